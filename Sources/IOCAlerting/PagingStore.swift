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
    /// The column that keeps the entity's personal data sealed (see `DataCipher`); nil when it
    /// has none and `definition` holds all of it.
    static var sealedColumn: String? { get }
    /// The entity of a row: `definition`, and `sealed` (the sealed column, nil when none).
    static func stored(id: Int64, definition: String, sealed: String?, cipher: DataCipher?) throws -> Self
    /// What a row keeps of the entity stored with `id`: the definition (JSON) and the sealed column.
    func storedForm(id: Int64, cipher: DataCipher?) throws -> (definition: String, sealed: String?)
    /// The entity as the audit log keeps it: without personal data.
    func auditForm(with cipher: DataCipher?) -> Self
}

extension PagingEntity {
    public static var sealedColumn: String? { nil }

    public static func stored(id: Int64, definition: String, sealed: String?, cipher: DataCipher?) throws -> Self {
        var entity = try JSONDecoder().decode(Self.self, from: Data(definition.utf8))
        entity.id = id
        return entity
    }

    public func storedForm(id: Int64, cipher: DataCipher?) throws -> (definition: String, sealed: String?) {
        var definition = self
        definition.id = nil
        return (PagingStore.json(definition), nil)
    }

    public func auditForm(with cipher: DataCipher?) -> Self { self }
}

extension Contact: PagingEntity {
    public static let table = "contacts"
    public static let noun = "contact"
    public static var inSnapshot: WritableKeyPath<PagingStore.Snapshot, [String: Contact]> { \.contacts }
    public static var sealedColumn: String? { "channels_sealed" }

    /// What `contacts.definition` keeps of a contact: nothing personal.
    struct Header: Codable {
        var name: String
        var language: NotificationText.Language?
    }

    /// The associated data of a contact's sealed channels: its row and field.
    public static func sealContext(id: Int64) -> String { "contacts/\(id)/channels" }

    /// A row written before migration 012 has no sealed channels: its definition holds them in
    /// plaintext until the start-up pass (`PersonalDataSealer`) seals them.
    public static func stored(id: Int64, definition: String, sealed: String?, cipher: DataCipher?) throws -> Contact {
        guard let sealed else {
            var contact = try JSONDecoder().decode(Contact.self, from: Data(definition.utf8))
            contact.id = id
            return contact
        }
        let header = try JSONDecoder().decode(Header.self, from: Data(definition.utf8))
        let channels = try cipher.required().open(sealed, context: sealContext(id: id))
        return Contact(id: id, name: header.name, language: header.language ?? .vi,
                       channels: try JSONDecoder().decode([ContactChannel].self, from: Data(channels.utf8)))
    }

    public func storedForm(id: Int64, cipher: DataCipher?) throws -> (definition: String, sealed: String?) {
        let sealed = try cipher.required().seal(PagingStore.json(channels), context: Self.sealContext(id: id))
        return (PagingStore.json(Header(name: name, language: language)), sealed)
    }

    /// The contact as the audit log keeps it: each personal value replaced by its keyed
    /// fingerprint (`redacted:1a2b3c4d`), so an entry shows what changed and never the value.
    public func auditForm(with cipher: DataCipher?) -> Contact {
        func hide(_ value: String) -> String { cipher?.fingerprint(value) ?? "redacted" }
        var copy = self
        copy.channels = channels.map { channel in
            switch channel {
            case .webhook(let url, let secret): .webhook(url: hide(url), secret: hide(secret))
            case .email(let address): .email(address: hide(address))
            case .sms(let phone): .sms(phone: hide(phone))
            case .telegram(let chatID): .telegram(chatID: hide(chatID))
            }
        }
        return copy
    }
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
    /// Seals and opens contacts' channels; without it contacts can be neither read nor written.
    public let cipher: DataCipher?

    public init(client: PostgresClient, logger: Logger, cipher: DataCipher? = nil) {
        self.client = client
        self.logger = logger
        self.cipher = cipher
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

    static func load(on connection: PostgresConnection, cipher: DataCipher?, logger: Logger) async throws -> Snapshot {
        var snapshot = Snapshot()
        for contact: Contact in try await entities(connection.query(PostgresQuery(unsafeSQL: select(Contact.self)), logger: logger), cipher: cipher) {
            snapshot.contacts[contact.name] = contact
        }
        for rota: Rota in try await entities(connection.query(PostgresQuery(unsafeSQL: select(Rota.self)), logger: logger), cipher: cipher) {
            snapshot.rotas[rota.name] = rota
        }
        for policy: EscalationPolicy in try await entities(connection.query(PostgresQuery(unsafeSQL: select(EscalationPolicy.self)), logger: logger), cipher: cipher) {
            snapshot.policies[policy.name] = policy
        }
        return snapshot
    }

    public func snapshot() async throws -> Snapshot {
        try await client.withConnection { try await Self.load(on: $0, cipher: cipher, logger: logger) }
    }

    /// `SELECT id, definition, sealed column FROM table`, with `suffix` (WHERE, ORDER BY) after.
    static func select<T: PagingEntity>(_ type: T.Type, _ suffix: String = "") -> String {
        "SELECT id, definition::text, \(T.sealedColumn ?? "NULL::text") FROM \(T.table) \(suffix)"
    }

    static func entities<T: PagingEntity>(_ rows: PostgresRowSequence, cipher: DataCipher?) async throws -> [T] {
        var result: [T] = []
        for try await (id, definition, sealed) in rows.decode((Int64, String, String?).self) {
            do {
                result.append(try T.stored(id: id, definition: definition, sealed: sealed, cipher: cipher))
            } catch let error as DataCipherError {
                throw error
            } catch {
                throw StorageError(.database, "\(T.noun) \(id) in the database cannot be read (\(error)); fix or delete it")
            }
        }
        return result
    }

    static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(value)) ?? Data("null".utf8), as: UTF8.self)
    }

    public func list<T: PagingEntity>(_ type: T.Type) async throws -> [T] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: Self.select(T.self, "ORDER BY name")), logger: logger)
        let entities: [T] = try await Self.entities(rows, cipher: cipher)
        return entities
    }

    public func get<T: PagingEntity>(_ type: T.Type, id: Int64) async throws -> T? {
        var query = PostgresQuery(unsafeSQL: Self.select(T.self, "WHERE id = $1"))
        query.binds.append(id)
        let rows = try await client.query(query, logger: logger)
        let entities: [T] = try await Self.entities(rows, cipher: cipher)
        return entities.first
    }

    /// Creates (id nil) or replaces (id given) an entity; nil when `id` names nothing.
    public func save<T: PagingEntity>(_ entity: T, id: Int64? = nil) async throws -> T? {
        if let problem = entity.problems.first { throw problem }
        // Personal data is never stored unsealed: without a key, say so before anything else.
        if T.sealedColumn != nil { _ = try cipher.required() }
        return try await client.withTransaction(logger: logger) { connection in
            // One writer at a time, so that the cross-check below sees what will be committed.
            try await connection.query("LOCK TABLE contacts, rotas, escalation_policies IN SHARE ROW EXCLUSIVE MODE", logger: logger)
            var snapshot = try await Self.load(on: connection, cipher: cipher, logger: logger)
            if let id {
                guard let old = snapshot[keyPath: T.inSnapshot].values.first(where: { $0.id == id }) else { return nil }
                snapshot[keyPath: T.inSnapshot][old.name] = nil
            }
            var stored = entity
            stored.id = id
            snapshot[keyPath: T.inSnapshot][stored.name] = stored
            if let problem = snapshot.configuration.problems.first { throw problem }
            // A new row's id is taken first: sealed data is bound to it.
            var rowID: Int64 = 0
            if let id { rowID = id } else {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT nextval(pg_get_serial_sequence('\(T.table)', 'id'))"), logger: logger)
                for try await next in rows.decode(Int64.self) { rowID = next }
            }
            let form = try entity.storedForm(id: rowID, cipher: cipher)
            let sealedColumn = T.sealedColumn.map { ", \($0)" } ?? ""
            var query: PostgresQuery
            if id != nil {
                let sealedSet = T.sealedColumn.map { ", \($0) = $4" } ?? ""
                query = PostgresQuery(unsafeSQL: "UPDATE \(T.table) SET name = $1, definition = $2::jsonb\(sealedSet), updated_at = now() WHERE id = $3 RETURNING id")
            } else {
                let sealedValue = T.sealedColumn == nil ? "" : ", $4"
                query = PostgresQuery(unsafeSQL: "INSERT INTO \(T.table) (name, definition, id\(sealedColumn)) VALUES ($1, $2::jsonb, $3\(sealedValue)) RETURNING id")
            }
            query.binds.append(entity.name)
            query.binds.append(form.definition)
            query.binds.append(rowID)
            if T.sealedColumn != nil { query.binds.append(form.sealed) }
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
            var snapshot = try await Self.load(on: connection, cipher: cipher, logger: logger)
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
