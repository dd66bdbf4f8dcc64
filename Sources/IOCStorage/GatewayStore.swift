import Foundation
import IOCCore
import Logging
import PostgresNIO

/// A row of `gateways` with its unit's code.
public struct GatewayRecord: Sendable, Equatable {
    public var code: String
    public var name: String
    public var unit: String?
    public var enabled: Bool
    /// `online`, `offline` or `unknown`, from the gateway's retained status message.
    public var status: String
    public var lastSeenAt: Timestamp?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    /// What an administrator changes (no passwords: the IOC never stores them), with the state of
    /// the broker account, for the audit log.
    public func auditJSON(broker: BrokerAccountState) -> String {
        let object: [String: Any] = [
            "code": code, "name": name, "unit": unit ?? NSNull(), "enabled": enabled, "broker_account": broker.rawValue,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// There is no gateway with this code in the registry.
public struct GatewayNotFoundError: Error, Sendable, CustomStringConvertible {
    public var code: String
    public var description: String { "there is no gateway \(code) in the registry" }
}

/// `gateways`: the registry's side of a gateway (its broker account is `GatewayAccounts`').
public struct GatewayStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    static let columns = """
        g.code, g.name, u.code, g.enabled, g.status, g.last_seen_at, g.created_at, g.updated_at
        """
    typealias Row = (String, String, String?, Bool, String, Timestamp?, Timestamp, Timestamp)

    static func record(_ row: Row) -> GatewayRecord {
        GatewayRecord(code: row.0, name: row.1, unit: row.2, enabled: row.3, status: row.4, lastSeenAt: row.5, createdAt: row.6, updatedAt: row.7)
    }

    public func list() async throws -> [GatewayRecord] {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns) FROM gateways g LEFT JOIN admin_units u ON u.id = g.unit_id ORDER BY g.code
            """, logger: logger)
        var result: [GatewayRecord] = []
        for try await row in rows.decode(Row.self) { result.append(Self.record(row)) }
        return result
    }

    public func get(code: String) async throws -> GatewayRecord? {
        let rows = try await client.query("""
            SELECT \(unescaped: Self.columns) FROM gateways g LEFT JOIN admin_units u ON u.id = g.unit_id WHERE g.code = \(code)
            """, logger: logger)
        for try await row in rows.decode(Row.self) { return Self.record(row) }
        return nil
    }

    /// Inserts the gateway, or updates the unit (and the name, when given) of an existing row,
    /// such as one a registry import created. Returns the row before (nil if new) and after.
    public func register(_ request: GatewayRequest) async throws -> (before: GatewayRecord?, after: GatewayRecord) {
        try request.validate()
        var unitID: Int32?
        let units = try await client.query("SELECT id FROM admin_units WHERE code = \(request.unit)", logger: logger)
        for try await id in units.decode(Int32.self) { unitID = id }
        guard let unitID else {
            throw GatewayValidationError(field: "unit", message: "there is no administrative unit \(request.unit); GET /api/v1/units lists them")
        }
        let before = try await get(code: request.code)
        try await client.query("""
            INSERT INTO gateways (code, name, unit_id) VALUES (\(request.code), \(request.name ?? ""), \(unitID))
            ON CONFLICT (code) DO UPDATE SET name = COALESCE(\(request.name), gateways.name), unit_id = excluded.unit_id, updated_at = now()
            """, logger: logger)
        guard let after = try await get(code: request.code) else { throw StorageError(.database, "gateway \(request.code) was not stored") }
        return (before, after)
    }

    /// Nil when there is no such gateway.
    public func setEnabled(code: String, _ enabled: Bool) async throws -> GatewayRecord? {
        try await client.query("""
            UPDATE gateways SET enabled = \(enabled), updated_at = now() WHERE code = \(code) AND enabled <> \(enabled)
            """, logger: logger)
        return try await get(code: code)
    }
}
