import Foundation
import IOCCore
import Logging
import PostgresNIO

/// One row of `audit_log`.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: Timestamp
    public var actor: String
    public var action: String
    public var entity: String
    public var key: String
    /// The entity before and after, as JSON text; nil where it did not exist.
    public var before: String?
    public var after: String?
}

/// Which audit entries to list: all given filters at once, newest first, `limit` per page.
public struct AuditFilter: Sendable {
    public var actor: String?
    public var action: String?
    public var entity: String?
    public var key: String?
    public var from: Timestamp?
    public var to: Timestamp?
    public var limit = 100
    /// Entries with an id below this one (the previous page's `next_before`).
    public var before: Int64?

    public init() {}
}

/// `audit_log`: appended to after every change made through the API or the CLI, read by admins.
/// The table refuses UPDATE, DELETE and TRUNCATE.
public struct AuditLog: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Who a change from the command line is by: `cli:` and the login name.
    public static var commandLineActor: String {
        "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"] ?? "unknown")
    }

    /// `before` and `after` are JSON texts (nil where the entity did not exist).
    public func record(actor: String, action: String, entity: String, key: String, before: String?, after: String?) async throws {
        try await client.query("""
            INSERT INTO audit_log (actor, action, entity, key, before, after)
            VALUES (\(actor), \(action), \(entity), \(key), \(before)::jsonb, \(after)::jsonb)
            """, logger: logger)
    }

    public func list(_ filter: AuditFilter) async throws -> [AuditEntry] {
        let rows = try await client.query("""
            SELECT id, at, actor, action, entity, key, before::text, after::text FROM audit_log
            WHERE (\(filter.actor)::text IS NULL OR actor = \(filter.actor))
              AND (\(filter.action)::text IS NULL OR action = \(filter.action))
              AND (\(filter.entity)::text IS NULL OR entity = \(filter.entity))
              AND (\(filter.key)::text IS NULL OR key = \(filter.key))
              AND (\(filter.from)::timestamptz IS NULL OR at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR at < \(filter.to))
              AND (\(filter.before)::int8 IS NULL OR id < \(filter.before))
            ORDER BY id DESC LIMIT \(filter.limit)
            """, logger: logger)
        var entries: [AuditEntry] = []
        for try await (id, at, actor, action, entity, key, before, after)
            in rows.decode((Int64, Timestamp, String, String, String, String, String?, String?).self) {
            entries.append(AuditEntry(id: id, at: at, actor: actor, action: action, entity: entity, key: key, before: before, after: after))
        }
        return entries
    }
}
