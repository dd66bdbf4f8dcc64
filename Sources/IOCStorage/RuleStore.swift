import Foundation
import IOCCore
import Logging
import PostgresNIO

/// Alert rules in PostgreSQL: the rule's JSON form in `rules.definition`, validated before it is
/// written. Ids are the table's; the `id` inside a definition is ignored.
public struct RuleStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func list(enabledOnly: Bool = false) async throws -> [AlertRule] {
        let rows = try await client.query("""
            SELECT id, definition::text, enabled FROM rules WHERE enabled OR NOT \(enabledOnly) ORDER BY id
            """, logger: logger)
        var rules: [AlertRule] = []
        for try await (id, definition, enabled) in rows.decode((Int64, String, Bool).self) {
            rules.append(try Self.rule(id: id, definition: definition, enabled: enabled))
        }
        return rules
    }

    public func get(_ id: Int64) async throws -> AlertRule? {
        let rows = try await client.query("SELECT definition::text, enabled FROM rules WHERE id = \(id)", logger: logger)
        for try await (definition, enabled) in rows.decode((String, Bool).self) {
            return try Self.rule(id: id, definition: definition, enabled: enabled)
        }
        return nil
    }

    /// Validates and stores a new rule; returns it with its id.
    public func create(_ rule: AlertRule) async throws -> AlertRule {
        try rule.validate()
        let definition = try Self.definition(of: rule)
        let rows = try await client.query("""
            INSERT INTO rules (name, enabled, severity, kind, definition)
            VALUES (\(rule.name), \(rule.enabled), \(rule.severity.rawValue), \(rule.condition.kind), \(definition)::jsonb)
            RETURNING id
            """, logger: logger)
        var stored = rule
        for try await id in rows.decode(Int64.self) { stored.id = id }
        return stored
    }

    /// Validates and replaces rule `id`; nil when there is no such rule.
    public func update(_ id: Int64, with rule: AlertRule) async throws -> AlertRule? {
        try rule.validate()
        let definition = try Self.definition(of: rule)
        let rows = try await client.query("""
            UPDATE rules SET name = \(rule.name), enabled = \(rule.enabled), severity = \(rule.severity.rawValue),
                kind = \(rule.condition.kind), definition = \(definition)::jsonb, updated_at = now()
            WHERE id = \(id) RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) {
            var stored = rule
            stored.id = id
            return stored
        }
        return nil
    }

    /// Enables or disables rule `id`; nil when there is no such rule.
    public func setEnabled(_ id: Int64, _ enabled: Bool) async throws -> AlertRule? {
        let rows = try await client.query("""
            UPDATE rules SET enabled = \(enabled), updated_at = now() WHERE id = \(id) RETURNING definition::text, enabled
            """, logger: logger)
        for try await (definition, enabled) in rows.decode((String, Bool).self) {
            return try Self.rule(id: id, definition: definition, enabled: enabled)
        }
        return nil
    }

    /// Deletes rule `id`; false when there was none.
    public func delete(_ id: Int64) async throws -> Bool {
        let rows = try await client.query("DELETE FROM rules WHERE id = \(id) RETURNING id", logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Loads a rule set: a rule whose name is already stored replaces it, the others are created.
    /// Every rule is validated first, so a set with one bad rule changes nothing.
    public func importRules(_ rules: [AlertRule]) async throws -> (created: Int, updated: Int) {
        for (index, rule) in rules.enumerated() {
            do { try rule.validate() } catch {
                throw StorageError(.importFormat, "rule \(index + 1) (\(rule.name.isEmpty ? "no name" : rule.name)): \(error.field): \(error.message)")
            }
        }
        var byName: [String: Int64] = [:]
        for stored in try await list() { if let id = stored.id { byName[stored.name] = id } }
        var created = 0, updated = 0
        for rule in rules {
            if let id = byName[rule.name], try await update(id, with: rule) != nil {
                updated += 1
            } else {
                _ = try await create(rule)
                created += 1
            }
        }
        return (created, updated)
    }

    /// The file form of a rule set: `{"rules": [ … ]}`.
    public struct RuleSet: Codable, Sendable {
        public var rules: [AlertRule]
        public init(rules: [AlertRule]) { self.rules = rules }
    }

    public static func loadRuleSet(path: String) throws -> [AlertRule] {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw StorageError(.importFormat, "cannot read \(path): \(error.localizedDescription)")
        }
        do { return try JSONDecoder().decode(RuleSet.self, from: data).rules } catch {
            throw StorageError(.importFormat, "\(path) is not a rule set ({\"rules\": [...]}): \(error)")
        }
    }

    static func definition(of rule: AlertRule) throws -> String {
        var rule = rule
        rule.id = nil
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(rule), as: UTF8.self)
    }

    static func rule(id: Int64, definition: String, enabled: Bool) throws -> AlertRule {
        do {
            var rule = try JSONDecoder().decode(AlertRule.self, from: Data(definition.utf8))
            rule.id = id
            rule.enabled = enabled
            return rule
        } catch {
            throw StorageError(.database, "rule \(id) in the database cannot be read (\(error)); fix or delete it")
        }
    }
}
