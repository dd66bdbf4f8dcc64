import Crypto
import Foundation

/// Seals personal data (contacts' phone numbers, e-mail addresses, chat ids, webhook URLs and
/// secrets) before it reaches PostgreSQL: AES-256-GCM with the key of `IOC_DATA_KEY`.
///
/// The stored form is `ioc1.KEYID.BASE64`, where BASE64 is the nonce, the ciphertext and the tag
/// (`AES.GCM.SealedBox.combined`) and KEYID names the key (8 hex digits of a hash of it), so that
/// a value sealed with an earlier key is recognised and opened with it (`IOC_DATA_KEY_PREVIOUS`)
/// and sealed again with the current one. The associated data is the `context` of each call, the
/// table, row and field (`contacts/12/channels`): a ciphertext moved to another row or field does
/// not open.
public struct DataCipher: Sendable {
    /// The environment variable of the current key: 32 random bytes, base64.
    public static let keyVariable = "IOC_DATA_KEY"
    /// Earlier keys, comma-separated, still accepted for opening while values are sealed again.
    public static let previousKeysVariable = "IOC_DATA_KEY_PREVIOUS"
    static let prefix = "ioc1"

    /// The id of the key that seals.
    public let keyID: String
    private let key: SymmetricKey
    private let keys: [String: SymmetricKey]
    /// Keys the audit log's fingerprints of personal values (never the sealing key itself).
    private let fingerprintKey: SymmetricKey

    /// `key` seals and opens; `previous` only open.
    public init(key: String, previous: [String] = []) throws(DataCipherError) {
        let current = try Self.parseKey(key, variable: Self.keyVariable)
        self.key = current
        keyID = Self.id(of: current)
        var keys = [keyID: current]
        for text in previous {
            let old = try Self.parseKey(text, variable: Self.previousKeysVariable)
            keys[Self.id(of: old)] = old
        }
        self.keys = keys
        fingerprintKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: current, info: Data("ioc audit fingerprint".utf8), outputByteCount: 32)
    }

    /// The cipher of `IOC_DATA_KEY` (and `IOC_DATA_KEY_PREVIOUS`); nil when no key is set.
    public static func fromEnvironment(_ environment: [String: String]) throws(DataCipherError) -> DataCipher? {
        guard let key = environment[keyVariable]?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty else { return nil }
        let previous = (environment[previousKeysVariable] ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try DataCipher(key: key, previous: previous)
    }

    /// A new random key in the form `IOC_DATA_KEY` takes.
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    static func parseKey(_ text: String, variable: String) throws(DataCipherError) -> SymmetricKey {
        guard let bytes = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw DataCipherError("\(variable) is not base64; generate a key with: head -c 32 /dev/urandom | base64")
        }
        guard bytes.count == 32 else {
            throw DataCipherError("\(variable) holds \(bytes.count) bytes, AES-256 needs 32; generate a key with: head -c 32 /dev/urandom | base64")
        }
        return SymmetricKey(data: bytes)
    }

    static func id(of key: SymmetricKey) -> String {
        var hash = SHA256()
        hash.update(data: Data("ioc data key id".utf8))
        key.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return hash.finalize().prefix(4).map { String(format: "%02x", $0) }.joined()
    }

    /// `plaintext` sealed with the current key, bound to `context`.
    public func seal(_ plaintext: String, context: String) throws(DataCipherError) -> String {
        do {
            let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: Data(context.utf8))
            guard let combined = box.combined else { throw DataCipherError("AES-GCM gave no combined form") }
            return "\(Self.prefix).\(keyID).\(combined.base64EncodedString())"
        } catch let error as DataCipherError {
            throw error
        } catch {
            throw DataCipherError("sealing \(context) failed: \(error)")
        }
    }

    /// The plaintext of `sealed`, which must have been sealed for `context` with a known key.
    public func open(_ sealed: String, context: String) throws(DataCipherError) -> String {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == Self.prefix, let combined = Data(base64Encoded: String(parts[2])) else {
            throw DataCipherError("\(context) is not a sealed value (expected \(Self.prefix).KEYID.BASE64)")
        }
        guard let key = keys[String(parts[1])] else {
            throw DataCipherError("\(context) was sealed with key \(parts[1]), but \(Self.keyVariable) is key \(keyID)"
                + " and \(Self.previousKeysVariable) holds no such key: set the key it was sealed with")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(box, using: key, authenticating: Data(context.utf8))
            guard let text = String(data: plaintext, encoding: .utf8) else { throw DataCipherError("\(context) is not UTF-8 text once opened") }
            return text
        } catch let error as DataCipherError {
            throw error
        } catch {
            throw DataCipherError("\(context) does not open with key \(parts[1]): it was altered, or moved from another row or field")
        }
    }

    /// Whether `sealed` was sealed with another key than the current one (seal it again).
    public func isSealedWithOlderKey(_ sealed: String) -> Bool {
        let parts = sealed.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count != 3 || parts[1] != keyID
    }

    /// A short keyed fingerprint of a personal value (`redacted:1a2b3c4d`): the audit log shows
    /// whether a value changed without showing it; without the key it cannot be guessed back.
    public func fingerprint(_ value: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: fingerprintKey)
        return "redacted:" + code.prefix(4).map { String(format: "%02x", $0) }.joined()
    }
}

/// Why personal data could not be sealed or opened; says which variable to set or fix.
public struct DataCipherError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }

    /// Personal data is to be read or written, and no key is configured.
    public static let missingKey = DataCipherError(
        "\(DataCipher.keyVariable) is not set: contacts' phone numbers, e-mail addresses and chat ids are stored encrypted with it."
            + " Generate one with `head -c 32 /dev/urandom | base64`, keep a copy with the database backups, and set it (scripts/up.sh keeps one in .data/env)")
}

extension Optional where Wrapped == DataCipher {
    /// The cipher, or `DataCipherError.missingKey`.
    public func required() throws(DataCipherError) -> DataCipher {
        guard let self else { throw .missingKey }
        return self
    }
}
