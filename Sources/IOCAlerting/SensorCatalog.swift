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

/// Every sensor of the registry with its station, domain, unit path and numeric attributes.
public struct SensorCatalog: Sendable {
    public var sensors: [Int32: SensorDescription]

    public init(sensors: [Int32: SensorDescription] = [:]) { self.sensors = sensors }

    public static func load(client: PostgresClient, logger: Logger) async throws -> SensorCatalog {
        let rows = try await client.query("""
            WITH RECURSIVE up AS (
                SELECT id AS unit_id, id AS current, code, 0 AS depth FROM admin_units
                UNION ALL
                SELECT up.unit_id, p.id, p.code, up.depth + 1
                FROM up JOIN admin_units c ON c.id = up.current JOIN admin_units p ON p.id = c.parent_id
                WHERE up.depth < 32
            ), paths AS (
                SELECT unit_id, array_agg(code ORDER BY depth) AS path FROM up GROUP BY unit_id
            )
            SELECT se.id, s.code, s.name, se.metric, se.unit, s.domain, s.attributes::text, COALESCE(p.path, '{}')
            FROM sensors se JOIN stations s ON s.id = se.station_id LEFT JOIN paths p ON p.unit_id = s.unit_id
            """, logger: logger)
        var catalog = SensorCatalog()
        for try await (id, station, name, metric, unit, domain, attributes, path) in rows.decode((Int32, String, String, String, String, String, String, [String]).self) {
            let context = SensorContext(
                sensorID: id, stationCode: station, metric: metric, domain: domain, unitPath: path,
                attributes: flattenNumbers(json: attributes)
            )
            catalog.sensors[id] = SensorDescription(context: context, stationName: name, unit: unit)
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
