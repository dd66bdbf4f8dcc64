import Foundation
import IOCCore
import IOCStorage
import Logging
import PostgresNIO

/// A piece of paging configuration kept as JSON in a table of its own.
public protocol PagingEntity: Codable, Sendable {
    static var table: String { get }
    /// "contact", "rota", "escalation policy": for messages.
    static var noun: String { get }
    var id: Int64? { get set }
    var name: String { get }
    var problems: [PagingValidationError] { get }
    /// Where a snapshot keeps entities of this kind, by name.
    static var inSnapshot: WritableKeyPath<PagingStore.Snapshot, [String: Self]> { get }
}

extension Contact: PagingEntity {
    public static let table = "contacts"
    public static let noun = "contact"
    public static var inSnapshot: WritableKeyPath<PagingStore.Snapshot, [String: Contact]> { \.contacts }
}

extension Rota: PagingEntity {
    public static let table = "rotas"
    public static let noun = "rota"
    public static var inSnapshot: WritableKeyPath<PagingStore.Snapshot, [String: Rota]> { \.rotas }
}

extension EscalationPolicy: PagingEntity {
    public static let table = "escalation_policies"
    public static let noun = "escalation policy"
    public static var inSnapshot: WritableKeyPath<PagingStore.Snapshot, [String: EscalationPolicy]> { \.policies }
}

/// Contacts, rotas and escalation policies in PostgreSQL. Every write is validated on its own
/// and then as part of the whole configuration (a rota naming a contact that does not exist, a
/// contact still named by a policy being deleted) before it is committed.
public struct PagingStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Everything the pager needs, read in one go.
    public struct Snapshot: Sendable {
        public var contacts: [String: Contact] = [:]
        public var rotas: [String: Rota] = [:]
        public var policies: [String: EscalationPolicy] = [:]

        var configuration: PagingConfiguration {
            PagingConfiguration(
                contacts: contacts.values.sorted { $0.name < $1.name },
                rotas: rotas.values.sorted { $0.name < $1.name },
                escalationPolicies: policies.values.sorted { $0.name < $1.name })
        }
    }

    static func load(on connection: PostgresConnection, logger: Logger) async throws -> Snapshot {
        var snapshot = Snapshot()
        for contact: Contact in try await entities(connection.query(PostgresQuery(unsafeSQL: "SELECT id, definition::text FROM contacts"), logger: logger)) {
            snapshot.contacts[contact.name] = contact
        }
        for rota: Rota in try await entities(connection.query(PostgresQuery(unsafeSQL: "SELECT id, definition::text FROM rotas"), logger: logger)) {
            snapshot.rotas[rota.name] = rota
        }
        for policy: EscalationPolicy in try await entities(connection.query(PostgresQuery(unsafeSQL: "SELECT id, definition::text FROM escalation_policies"), logger: logger)) {
            snapshot.policies[policy.name] = policy
        }
        return snapshot
    }

    public func snapshot() async throws -> Snapshot {
        try await client.withConnection { try await Self.load(on: $0, logger: logger) }
    }

    private static func entities<T: PagingEntity>(_ rows: PostgresRowSequence) async throws -> [T] {
        var result: [T] = []
        for try await (id, definition) in rows.decode((Int64, String).self) {
            do {
                var entity = try JSONDecoder().decode(T.self, from: Data(definition.utf8))
                entity.id = id
                result.append(entity)
            } catch {
                throw StorageError(.database, "\(T.noun) \(id) in the database cannot be read (\(error)); fix or delete it")
            }
        }
        return result
    }

    public func list<T: PagingEntity>(_ type: T.Type) async throws -> [T] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT id, definition::text FROM \(T.table) ORDER BY name"), logger: logger)
        let entities: [T] = try await Self.entities(rows)
        return entities
    }

    public func get<T: PagingEntity>(_ type: T.Type, id: Int64) async throws -> T? {
        var query = PostgresQuery(unsafeSQL: "SELECT id, definition::text FROM \(T.table) WHERE id = $1")
        query.binds.append(id)
        let rows = try await client.query(query, logger: logger)
        let entities: [T] = try await Self.entities(rows)
        return entities.first
    }

    /// Creates (id nil) or replaces (id given) an entity; nil when `id` names nothing.
    public func save<T: PagingEntity>(_ entity: T, id: Int64? = nil) async throws -> T? {
        if let problem = entity.problems.first { throw problem }
        return try await client.withTransaction(logger: logger) { connection in
            // One writer at a time, so that the cross-check below sees what will be committed.
            try await connection.query("LOCK TABLE contacts, rotas, escalation_policies IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            var snapshot = try await Self.load(on: connection, logger: logger)
            if let id {
                guard let old = snapshot[keyPath: T.inSnapshot].values.first(where: { $0.id == id }) else { return nil }
                snapshot[keyPath: T.inSnapshot][old.name] = nil
            }
            var stored = entity
            stored.id = id
            snapshot[keyPath: T.inSnapshot][stored.name] = stored
            if let problem = snapshot.configuration.problems.first { throw problem }
            var definition = entity
            definition.id = nil
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = String(decoding: try encoder.encode(definition), as: UTF8.self)
            var query: PostgresQuery
            if let id {
                query = PostgresQuery(unsafeSQL: "UPDATE \(T.table) SET name = $1, definition = $2::jsonb, updated_at = now() WHERE id = $3 RETURNING id")
                query.binds.append(entity.name)
                query.binds.append(json)
                query.binds.append(id)
            } else {
                query = PostgresQuery(unsafeSQL: "INSERT INTO \(T.table) (name, definition) VALUES ($1, $2::jsonb) RETURNING id")
                query.binds.append(entity.name)
                query.binds.append(json)
            }
            do {
                for try await newID in try await connection.query(query, logger: logger).decode(Int64.self) { stored.id = newID }
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
                throw PagingValidationError(field: "name", message: "another \(T.noun) is already named '\(entity.name)'; choose another name or update that one")
            }
            return stored
        }
    }

    /// Deletes an entity; false when there is none. Refused while others still name it.
    public func delete<T: PagingEntity>(_ type: T.Type, id: Int64) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("LOCK TABLE contacts, rotas, escalation_policies IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            var snapshot = try await Self.load(on: connection, logger: logger)
            guard let old = snapshot[keyPath: T.inSnapshot].values.first(where: { $0.id == id }) else { return false }
            snapshot[keyPath: T.inSnapshot][old.name] = nil
            if let problem = snapshot.configuration.problems.first {
                throw PagingValidationError(field: problem.field, message: "\(T.noun) '\(old.name)' cannot be deleted: \(problem.message)")
            }
            var query = PostgresQuery(unsafeSQL: "DELETE FROM \(T.table) WHERE id = $1")
            query.binds.append(id)
            try await connection.query(query, logger: logger)
            return true
        }
    }

    /// Loads a whole configuration file: each entry replaces the one of the same name or is
    /// created. Everything is validated first, so a file with one mistake changes nothing.
    public func importConfiguration(_ configuration: PagingConfiguration) async throws -> Int {
        if let problem = configuration.problems.first { throw problem }
        var count = 0
        let existing = try await snapshot()
        for contact in configuration.contacts {
            _ = try await save(contact, id: existing.contacts[contact.name]?.id)
            count += 1
        }
        for rota in configuration.rotas {
            _ = try await save(rota, id: existing.rotas[rota.name]?.id)
            count += 1
        }
        for policy in configuration.escalationPolicies {
            _ = try await save(policy, id: existing.policies[policy.name]?.id)
            count += 1
        }
        return count
    }
}
