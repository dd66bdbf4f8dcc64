import Foundation
import IOCCore
import IOCStorage
import Logging
import PostgresNIO

/// Silences in PostgreSQL (`silences.matchers` is the matchers' JSON form).
public struct SilenceStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Silences active at `time`, read on the caller's connection (inside its transaction).
    static func active(at time: Timestamp, on connection: PostgresConnection, logger: Logger) async throws -> [Silence] {
        try await decode(connection.query("""
            SELECT id, matchers::text, starts_at, ends_at, created_by, comment FROM silences
            WHERE starts_at <= \(time) AND ends_at > \(time) ORDER BY id
            """, logger: logger))
    }

    /// All silences, or those still in force (not ended) with `current`.
    public func list(current: Bool, now: Timestamp) async throws -> [Silence] {
        try await Self.decode(client.query("""
            SELECT id, matchers::text, starts_at, ends_at, created_by, comment FROM silences
            WHERE NOT \(current) OR ends_at > \(now) ORDER BY id DESC LIMIT 1000
            """, logger: logger))
    }

    public func get(_ id: Int64) async throws -> Silence? {
        try await Self.decode(client.query("""
            SELECT id, matchers::text, starts_at, ends_at, created_by, comment FROM silences WHERE id = \(id)
            """, logger: logger)).first
    }

    public func create(_ silence: Silence) async throws -> Silence {
        if let problem = silence.problems.first { throw problem }
        let matchers = try Self.json(silence.matchers)
        let rows = try await client.query("""
            INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment)
            VALUES (\(matchers)::jsonb, \(silence.startsAt), \(silence.endsAt), \(silence.createdBy), \(silence.comment))
            RETURNING id
            """, logger: logger)
        var stored = silence
        for try await id in rows.decode(Int64.self) { stored.id = id }
        return stored
    }

    /// Ends a silence now (kept for the record); nil when there is none.
    public func expire(_ id: Int64, now: Timestamp) async throws -> Silence? {
        try await Self.decode(client.query("""
            UPDATE silences SET ends_at = GREATEST(starts_at + interval '1 microsecond', LEAST(ends_at, \(now)))
            WHERE id = \(id)
            RETURNING id, matchers::text, starts_at, ends_at, created_by, comment
            """, logger: logger)).first
    }

    static func json(_ matchers: Silence.Matchers) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(matchers), as: UTF8.self)
    }

    private static func decode(_ rows: PostgresRowSequence) async throws -> [Silence] {
        var result: [Silence] = []
        for try await (id, matchers, starts, ends, by, comment) in rows.decode((Int64, String, Timestamp, Timestamp, String, String).self) {
            let decoded = try JSONDecoder().decode(Silence.Matchers.self, from: Data(matchers.utf8))
            result.append(Silence(id: id, matchers: decoded, startsAt: starts, endsAt: ends, createdBy: by, comment: comment))
        }
        return result
    }
}
