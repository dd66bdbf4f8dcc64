import Foundation
import Logging
import PostgresNIO

/// Builds a `PostgresClient` configuration from a `postgres://user:pass@host:port/db` URL.
public enum DatabaseConfiguration {
    public static func make(url string: String, maximumConnections: Int = 12) throws(StorageError) -> PostgresClient.Configuration {
        guard let url = URLComponents(string: string), url.scheme == "postgres" || url.scheme == "postgresql" else {
            throw StorageError(.configuration, "IOC_DATABASE_URL must look like postgres://user:password@host:5432/database, got \(redacted(string))")
        }
        guard let user = url.user, !user.isEmpty else {
            throw StorageError(.configuration, "IOC_DATABASE_URL has no user name: \(redacted(string))")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        var tls: PostgresClient.Configuration.TLS = .disable
        if let mode = url.queryItems?.first(where: { $0.name == "sslmode" })?.value {
            switch mode {
            case "disable": tls = .disable
            case "prefer": tls = .prefer(.makeClientConfiguration())
            case "require": tls = .require(.makeClientConfiguration())
            default: throw StorageError(.configuration, "sslmode \(mode) is not supported; use disable, prefer or require")
            }
        }
        var config = PostgresClient.Configuration(
            host: url.host ?? "127.0.0.1",
            port: url.port ?? 5432,
            username: user,
            password: url.password,
            database: database.isEmpty ? user : database,
            tls: tls
        )
        config.options.maximumConnections = maximumConnections
        config.options.connectTimeout = .seconds(5)
        return config
    }

    /// The URL with its password replaced, safe for logs and error messages.
    public static func redacted(_ string: String) -> String {
        guard var url = URLComponents(string: string) else { return "<unparseable URL>" }
        if url.password != nil { url.password = "***" }
        return url.string ?? "<unparseable URL>"
    }
}

/// An error of the storage layer, with what went wrong and what to do about it.
public struct StorageError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable {
        case configuration, migration, importFormat, database
    }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension PSQLError {
    /// The SQLSTATE of a server error, e.g. `23514` for a row that fits no partition.
    var sqlState: String? { serverInfo?[.sqlState] }

    /// A one-line description without the bound parameters (they may be large or sensitive).
    var summary: String {
        if let info = serverInfo {
            return "\(info[.sqlState] ?? "?????"): \(info[.message] ?? "server error")"
        }
        return "\(code)"
    }
}

extension Error {
    /// A short, parameter-free description suitable for logs.
    public var databaseSummary: String {
        if let error = self as? PSQLError { return error.summary }
        return "\(self)"
    }
}

extension Error {
    /// For text PostgreSQL cannot store (a NUL character, U+0000, in a string): what is wrong, for
    /// a 400 answer; nil for any other error.
    public var invalidTextMessage: String? {
        guard let error = underlyingError(self) as? PSQLError, let state = error.serverInfo?[.sqlState] else { return nil }
        switch state {
        case "22021", "22P05": return "text contains a character that cannot be stored (a NUL character, U+0000, or invalid UTF-8): remove it"
        default: return nil
        }
    }
}

/// The error a transaction's body threw (a validation error, say), rather than postgres-nio's
/// wrapper around it; other errors as they are.
public func underlyingError(_ error: any Error) -> any Error {
    if let transaction = error as? PostgresTransactionError, let inner = transaction.closureError {
        return underlyingError(inner)
    }
    return error
}
