import Foundation

/// The SMTP server that e-mail notifications are handed to, and how.
public struct SMTPConfiguration: Sendable, CustomStringConvertible {
    /// `smtp://host:587` (STARTTLS when offered, or required with `requireTLS`) or `smtps://host:465`
    /// (TLS from the first byte). A path, if any, is the name curl gives in EHLO.
    public let url: URL
    /// The envelope sender and the `From:` header, a bare address: `canhbao@ioc.example.gov.vn`.
    public let from: String
    public let username: String?
    /// Never printed: `description` and every error leave it out.
    public let password: String?
    /// Refuse to send unless the connection is encrypted (curl's CURLUSESSL_ALL). Without it, an
    /// `smtp://` connection still upgrades with STARTTLS when the server offers it, but a server
    /// that does not would receive the password in the clear: set it for any server not on this host.
    public let requireTLS: Bool
    /// Bounds connecting and the whole exchange.
    public let timeout: Duration

    public init(url: String, from: String, username: String? = nil, password: String? = nil, requireTLS: Bool = false, timeout: Duration = .seconds(10)) throws(NotifyConfigurationError) {
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), scheme == "smtp" || scheme == "smtps",
              let host = parsed.host, !host.isEmpty else {
            throw NotifyConfigurationError("the SMTP URL must look like smtp://mail.example.vn:587 or smtps://mail.example.vn:465, got \"\(Self.redacted(url))\"")
        }
        guard EmailAddress.isValid(from) else {
            throw NotifyConfigurationError("the sender \"\(from)\" is not an e-mail address such as canhbao@ioc.example.gov.vn")
        }
        let username = username?.isEmpty == true ? nil : username
        let password = password?.isEmpty == true ? nil : password
        if let username, password == nil {
            throw NotifyConfigurationError("an SMTP user name (\(username)) is set without a password")
        }
        if username == nil, password != nil {
            throw NotifyConfigurationError("an SMTP password is set without a user name")
        }
        guard timeout > .zero else {
            throw NotifyConfigurationError("the SMTP timeout must be positive, got \(timeout)")
        }
        self.url = parsed
        self.from = from
        self.username = username
        self.password = password
        self.requireTLS = requireTLS
        self.timeout = timeout
    }

    /// Without the password, for logs.
    public var description: String {
        var text = "SMTP \(url.redacted) from \(from)"
        if let username { text += " as \(username)" }
        text += requireTLS ? ", TLS required" : ""
        return text + ", timeout \(timeout.spoken)"
    }

    private static func redacted(_ string: String) -> String {
        URL(string: string)?.redacted ?? String(string.prefix(100))
    }
}

/// The plain `local@domain` addresses the e-mail channel sends to and from: no display name, no
/// comments, nothing that could end a header line.
enum EmailAddress {
    static func isValid(_ address: String) -> Bool {
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, address.utf8.count <= 254 else { return false }
        let forbidden: Set<Character> = ["<", ">", "(", ")", "[", "]", ",", ";", ":", "\\", "\""]
        return !address.contains { character in
            character.isWhitespace || character.isNewline || forbidden.contains(character)
                || character.unicodeScalars.contains { $0.value < 32 || $0.value == 127 }
        }
    }

    /// What follows the @, for the Message-ID.
    static func domain(of address: String) -> String {
        guard let at = address.lastIndex(of: "@") else { return "ioc.invalid" }
        return String(address[address.index(after: at)...])
    }
}
