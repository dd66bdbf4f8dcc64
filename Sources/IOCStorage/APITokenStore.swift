import Crypto
import Foundation
import IOCCore
import Logging
import NIOCore
import PostgresNIO

/// An API token as it is listed: never its secret, which exists only in the answer that created it.
public struct APIToken: Sendable, Equatable {
    public var id: Int64
    public var name: String
    public var role: Role
    public var unit: String?
    /// The token's first characters, to recognise it (`ioc_Ab3dE7fG`); not enough to use it.
    public var prefix: String
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var lastUsedAt: Timestamp?
    public var revokedAt: Timestamp?

    public func isValid(at now: Timestamp) -> Bool {
        revokedAt == nil && (expiresAt.map { now < $0 } ?? true)
    }

    /// The token as JSON text (never a secret: there is none here), for the audit log.
    public var auditJSON: String {
        let object: [String: Any] = [
            "name": name, "role": role.rawValue, "unit": unit ?? NSNull(), "prefix": prefix, "created_at": createdAt.rfc3339,
            "expires_at": expiresAt?.rfc3339 ?? NSNull(), "revoked_at": revokedAt?.rfc3339 ?? NSNull(),
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// What the authenticator keeps of a token that is not revoked: enough to check one presented.
public struct APITokenCredential: Sendable {
    public var token: APIToken
    public var sha256: [UInt8]
}

/// `api_tokens`: tokens are created here (random, shown once), listed, revoked and looked up. Only
/// the SHA-256 of a token is stored.
public struct APITokenStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// `ioc_` and 32 bytes of the system's CSPRNG (getrandom on Linux) in base64url, 47 characters.
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        let base64 = Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return "ioc_" + base64
    }

    public static let prefixLength = 12

    public static func prefix(of secret: String) -> String { String(secret.prefix(prefixLength)) }

    public static func sha256(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Data(secret.utf8))) }

    /// Equality of two digests in time that does not depend on where they differ.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }

    static let columns = """
        t.id, t.name, t.role, u.code, t.prefix, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
        """

    /// Validates and stores a new token; returns it and its secret (shown once, never stored).
    public func create(_ request: APITokenRequest) async throws -> (token: APIToken, secret: String) {
        try request.validate()
        var unitID: Int32?
        if let unit = request.unit {
            let rows = try await client.query("SELECT id FROM admin_units WHERE code = \(unit)", logger: logger)
            for try await id in rows.decode(Int32.self) { unitID = id }
            guard unitID != nil else { throw TokenValidationError(field: "unit", message: "there is no administrative unit \(unit)") }
        }
        let secret = Self.generateSecret()
        let days = request.expiresDays
        do {
            let rows = try await client.query("""
                WITH t AS (
                    INSERT INTO api_tokens (name, role, unit_id, token_sha256, prefix, expires_at)
                    VALUES (\(request.name), \(request.role.rawValue), \(unitID), \(Data(Self.sha256(secret))), \(Self.prefix(of: secret)),
                            CASE WHEN \(days)::int IS NULL THEN NULL ELSE now() + make_interval(days => \(days)::int) END)
                    RETURNING *)
                SELECT \(unescaped: Self.columns) FROM t LEFT JOIN admin_units u ON u.id = t.unit_id
                """, logger: logger)
            for try await row in rows.decode(Row.self) { return (try Self.token(row), secret) }
        } catch let error as PSQLError where error.sqlState == "23505" {
            throw TokenValidationError(field: "name", message: "there is already a token named \(request.name); revoke it or pick another name")
        }
        throw StorageError(.database, "the new token was not returned")
    }

    public func list() async throws -> [APIToken] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns) FROM api_tokens t LEFT JOIN admin_units u ON u.id = t.unit_id ORDER BY t.name
            """, logger: logger)
        var tokens: [APIToken] = []
        for try await row in rows.decode(Row.self) { tokens.append(try Self.token(row)) }
        return tokens
    }

    public func get(name: String) async throws -> APIToken? {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns) FROM api_tokens t LEFT JOIN admin_units u ON u.id = t.unit_id WHERE t.name = \(name)
            """, logger: logger)
        for try await row in rows.decode(Row.self) { return try Self.token(row) }
        return nil
    }

    /// Revokes token `name` now (it stays listed); nil when there is no such token. Revoking a
    /// revoked token changes nothing.
    public func revoke(name: String) async throws -> APIToken? {
        try await client.query("UPDATE api_tokens SET revoked_at = now() WHERE name = \(name) AND revoked_at IS NULL", logger: logger)
        return try await get(name: name)
    }

    /// Every token that is not revoked, with its digest.
    public func credentials() async throws -> [APITokenCredential] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns), t.token_sha256 FROM api_tokens t LEFT JOIN admin_units u ON u.id = t.unit_id
            WHERE t.revoked_at IS NULL
            """, logger: logger)
        var result: [APITokenCredential] = []
        for try await (id, name, role, unit, prefix, created, expires, used, revoked, digest)
            in rows.decode((Int64, String, String, String?, String, Timestamp, Timestamp?, Timestamp?, Timestamp?, ByteBuffer).self) {
            let token = try Self.token((id, name, role, unit, prefix, created, expires, used, revoked))
            result.append(APITokenCredential(token: token, sha256: Array(buffer: digest)))
        }
        return result
    }

    /// Notes that token `id` was used now.
    public func touch(_ id: Int64) async throws {
        try await client.query("UPDATE api_tokens SET last_used_at = now() WHERE id = \(id)", logger: logger)
    }

    typealias Row = (Int64, String, String, String?, String, Timestamp, Timestamp?, Timestamp?, Timestamp?)

    static func token(_ row: Row) throws -> APIToken {
        guard let role = Role(rawValue: row.2) else { throw StorageError(.database, "token \(row.1) has an unknown role \(row.2)") }
        return APIToken(id: row.0, name: row.1, role: role, unit: row.3, prefix: row.4, createdAt: row.5,
                        expiresAt: row.6, lastUsedAt: row.7, revokedAt: row.8)
    }
}
