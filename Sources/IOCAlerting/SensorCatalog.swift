import Foundation
import IOCCore
import IOCStorage
import Logging
import PostgresNIO

/// What alerts and messages say about a sensor besides what rules match on.
public struct SensorDescription: Sendable, Hashable {
    public var context: SensorContext
    public var stationName: String
    public var unit: String

    public init(context: SensorContext, stationName: String, unit: String) {
        self.context = context
        self.stationName = stationName
        self.unit = unit
    }
}

/// A station as alerts about it describe it.
public struct StationDescription: Sendable, Hashable {
    public var code: String
    public var name: String
    public var domain: String
    public var unitPath: [String]
    public var gatewayCode: String?
}

/// A registered, enabled gateway as alerts about it describe it. `domain` is its stations'
/// domain when they all share one.
public struct GatewayDescription: Sendable, Hashable {
    public var code: String
    public var name: String
    public var unitPath: [String]
    public var domain: String?
}

/// Every sensor of the registry with its station, domain, unit path and numeric attributes, and
/// the stations and gateways that no-data rules per station or gateway watch.
public struct SensorCatalog: Sendable {
    public var sensors: [Int32: SensorDescription]
    public var stations: [String: StationDescription]
    public var gateways: [String: GatewayDescription]

    public init(sensors: [Int32: SensorDescription] = [:], stations: [String: StationDescription] = [:], gateways: [String: GatewayDescription] = [:]) {
        self.sensors = sensors
        self.stations = stations
        self.gateways = gateways
    }

    public static func load(client: PostgresClient, logger: Logger) async throws -> SensorCatalog {
        let paths = """
            WITH RECURSIVE up AS (
                SELECT id AS unit_id, id AS current, code, 0 AS depth FROM admin_units
                UNION ALL
                SELECT up.unit_id, p.id, p.code, up.depth + 1
                FROM up JOIN admin_units c ON c.id = up.current JOIN admin_units p ON p.id = c.parent_id
                WHERE up.depth < 32
            ), paths AS (
                SELECT unit_id, array_agg(code ORDER BY depth) AS path FROM up GROUP BY unit_id
            )
            """
        let rows = try await client.query("""
            \(unescaped: paths)
            SELECT se.id, s.code, s.name, se.metric, se.unit, s.domain, s.attributes::text, COALESCE(p.path, '{}'), g.code
            FROM sensors se JOIN stations s ON s.id = se.station_id LEFT JOIN paths p ON p.unit_id = s.unit_id
            LEFT JOIN gateways g ON g.id = s.gateway_id
            """, logger: logger)
        var catalog = SensorCatalog()
        var domains: [String: Set<String>] = [:]
        for try await (id, station, name, metric, unit, domain, attributes, path, gateway) in rows.decode((Int32, String, String, String, String, String, String, [String], String?).self) {
            let context = SensorContext(
                sensorID: id, stationCode: station, metric: metric, domain: domain, unitPath: path,
                attributes: flattenNumbers(json: attributes), gatewayCode: gateway
            )
            catalog.sensors[id] = SensorDescription(context: context, stationName: name, unit: unit)
            catalog.stations[station] = StationDescription(code: station, name: name, domain: domain, unitPath: path, gatewayCode: gateway)
            if let gateway { domains[gateway, default: []].insert(domain) }
        }
        let gateways = try await client.query("""
            \(unescaped: paths)
            SELECT g.code, g.name, COALESCE(p.path, '{}') FROM gateways g LEFT JOIN paths p ON p.unit_id = g.unit_id WHERE g.enabled
            """, logger: logger)
        for try await (code, name, path) in gateways.decode((String, String, [String]).self) {
            let shared = domains[code].flatMap { $0.count == 1 ? $0.first : nil }
            catalog.gateways[code] = GatewayDescription(code: code, name: name.isEmpty ? code : name, unitPath: path, domain: shared)
        }
        return catalog
    }

    /// `{"alarm_levels":{"II":2.7},"river":"Ba"}` → `["alarm_levels.II": 2.7]`: numeric leaves by
    /// dotted path (numbers written as strings count too).
    public static func flattenNumbers(json: String) -> [String: Double] {
        guard let value = try? JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)) else { return [:] }
        var result: [String: Double] = [:]
        func walk(_ value: JSONValue, _ path: String) {
            switch value {
            case .object(let members):
                for (key, child) in members { walk(child, path.isEmpty ? key : path + "." + key) }
            case .number(let number) where !path.isEmpty:
                result[path] = number
            case .string(let text) where !path.isEmpty:
                if let number = Double(text), number.isFinite { result[path] = number }
            default:
                break
            }
        }
        walk(value, "")
        return result
    }
}

/// Any JSON document, for walking attributes whose shape is free.
enum JSONValue: Decodable {
    case object([String: JSONValue])
    case number(Double)
    case string(String)
    case other

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let members = try? container.decode([String: JSONValue].self) {
            self = .object(members)
        } else if let bool = try? container.decode(Bool.self) {
            _ = bool
            self = .other
        } else if let number = try? container.decode(Double.self) {
            self = .number(number)
        } else if let text = try? container.decode(String.self) {
            self = .string(text)
        } else {
            self = .other
        }
    }
}
