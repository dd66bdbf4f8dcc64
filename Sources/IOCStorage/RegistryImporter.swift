import Foundation
import Logging
import PostgresNIO

/// A registry file: administrative units, gateways, stations with their sensors.
/// JSON shape documented in README.md ("Registry format"); CSV files are one per kind.
public struct RegistryFile: Codable, Sendable {
    public struct Unit: Codable, Sendable {
        public var code: String
        public var name: String
        public var level: String?
        public var parent: String?
        public init(code: String, name: String, level: String?, parent: String?) {
            self.code = code; self.name = name; self.level = level; self.parent = parent
        }
    }
    public struct Gateway: Codable, Sendable {
        public var code: String
        public var name: String?
        public var unit: String?
        public init(code: String, name: String?, unit: String?) {
            self.code = code; self.name = name; self.unit = unit
        }
    }
    public struct Sensor: Codable, Sendable {
        public var metric: String
        public var unit: String
        public var min: Double?
        public var max: Double?
        public init(metric: String, unit: String, min: Double?, max: Double?) {
            self.metric = metric; self.unit = unit; self.min = min; self.max = max
        }
    }
    public struct Station: Codable, Sendable {
        public var code: String
        public var name: String
        public var unit: String
        public var domain: String
        public var gateway: String?
        public var lat: Double?
        public var lon: Double?
        public var attributes: JSONValue?
        public var sensors: [Sensor]?
        public init(code: String, name: String, unit: String, domain: String, gateway: String? = nil, lat: Double? = nil, lon: Double? = nil,
                    attributes: JSONValue? = nil, sensors: [Sensor]? = nil) {
            self.code = code; self.name = name; self.unit = unit; self.domain = domain; self.gateway = gateway
            self.lat = lat; self.lon = lon; self.attributes = attributes; self.sensors = sensors
        }
    }
    public var units: [Unit]
    public var gateways: [Gateway]
    public var stations: [Station]
    /// True for a sensors CSV: its stations are references to existing ones, not definitions.
    public var sensorsOnly = false

    enum CodingKeys: String, CodingKey { case units, gateways, stations }

    public init(units: [Unit] = [], gateways: [Gateway] = [], stations: [Station] = []) {
        self.units = units
        self.gateways = gateways
        self.stations = stations
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        units = try c.decodeIfPresent([Unit].self, forKey: .units) ?? []
        gateways = try c.decodeIfPresent([Gateway].self, forKey: .gateways) ?? []
        stations = try c.decodeIfPresent([Station].self, forKey: .stations) ?? []
    }
}

/// Any JSON value, for free-form station attributes.
public enum JSONValue: Codable, Sendable, Hashable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n): try c.encode(n)
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    public var jsonString: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "null"
    }
}

extension RegistryFile {
    /// Reads a JSON registry, or a CSV file of one kind (units, gateways, stations or sensors,
    /// told apart by the header line).
    public static func load(path: String) throws(StorageError) -> RegistryFile {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw StorageError(.importFormat, "cannot read \(path): \(error.localizedDescription)")
        }
        if path.lowercased().hasSuffix(".csv") {
            return try CSVRegistry.parse(String(decoding: data, as: UTF8.self), file: path)
        }
        do {
            return try JSONDecoder().decode(RegistryFile.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw StorageError(.importFormat, "\(path): missing field \"\(key.stringValue)\" at \(pathString(context.codingPath))")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw StorageError(.importFormat, "\(path): wrong type at \(pathString(context.codingPath)): \(context.debugDescription)")
        } catch let DecodingError.dataCorrupted(context) {
            throw StorageError(.importFormat, "\(path): not valid JSON: \(context.debugDescription) \((context.underlyingError as NSError?)?.userInfo["NSDebugDescription"] as? String ?? "")")
        } catch {
            throw StorageError(.importFormat, "\(path): \(error)")
        }
    }

    private static func pathString(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
    }

    /// Checks references inside the file; entities not in the file must exist in the database.
    public func validate() -> [String] {
        var problems: [String] = []
        var seen = Set<String>()
        for s in stations {
            if !seen.insert(s.code).inserted { problems.append("station \(s.code) appears twice") }
            if let lat = s.lat, !(-90...90).contains(lat) { problems.append("station \(s.code): lat \(lat) is outside -90…90") }
            if let lon = s.lon, !(-180...180).contains(lon) { problems.append("station \(s.code): lon \(lon) is outside -180…180") }
            for sensor in s.sensors ?? [] {
                if let min = sensor.min, let max = sensor.max, min > max {
                    problems.append("station \(s.code) sensor \(sensor.metric): min \(min) is above max \(max)")
                }
            }
        }
        for u in units where u.parent == u.code { problems.append("unit \(u.code) is its own parent") }
        return problems
    }
}

/// CSV registry files: one kind per file, recognised by the header.
enum CSVRegistry {
    static func parse(_ text: String, file: String) throws(StorageError) -> RegistryFile {
        let rows = parseRows(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            throw StorageError(.importFormat, "\(file) is empty")
        }
        let body = rows.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }
        func column(_ name: String) -> Int? { header.firstIndex(of: name) }
        func need(_ name: String) throws(StorageError) -> Int {
            guard let i = column(name) else { throw StorageError(.importFormat, "\(file): header has no column \"\(name)\" (header: \(header.joined(separator: ",")))") }
            return i
        }
        func value(_ row: [String], _ i: Int?) -> String? {
            guard let i, i < row.count else { return nil }
            let v = row[i].trimmingCharacters(in: .whitespaces)
            return v.isEmpty ? nil : v
        }
        func number(_ row: [String], _ i: Int?, _ line: Int, _ name: String) throws(StorageError) -> Double? {
            guard let s = value(row, i) else { return nil }
            guard let d = Double(s), d.isFinite else { throw StorageError(.importFormat, "\(file) line \(line): \(name) \"\(s)\" is not a number") }
            return d
        }
        var registry = RegistryFile()
        if header.contains("metric") {
            let station = try need("station"), metric = try need("metric"), unit = try need("unit")
            var byStation: [String: [RegistryFile.Sensor]] = [:]
            var order: [String] = []
            for (n, row) in body.enumerated() {
                let line = n + 2
                guard let s = value(row, station), let m = value(row, metric), let u = value(row, unit) else {
                    throw StorageError(.importFormat, "\(file) line \(line): station, metric and unit are required")
                }
                if byStation[s] == nil { order.append(s) }
                byStation[s, default: []].append(.init(metric: m, unit: u, min: try number(row, column("min"), line, "min"), max: try number(row, column("max"), line, "max")))
            }
            // Sensors alone: stations are looked up in the database by code at import time.
            registry.stations = order.map { RegistryFile.Station(code: $0, name: "", unit: "", domain: "", sensors: byStation[$0]) }
            registry.sensorsOnly = true
        } else if header.contains("domain") {
            let code = try need("code"), name = try need("name"), unit = try need("unit"), domain = try need("domain")
            for (n, row) in body.enumerated() {
                let line = n + 2
                guard let c = value(row, code), let nm = value(row, name), let u = value(row, unit), let d = value(row, domain) else {
                    throw StorageError(.importFormat, "\(file) line \(line): code, name, unit and domain are required")
                }
                var attributes: JSONValue?
                if let a = value(row, column("attributes")) {
                    do { attributes = try JSONDecoder().decode(JSONValue.self, from: Data(a.utf8)) } catch {
                        throw StorageError(.importFormat, "\(file) line \(line): attributes is not valid JSON")
                    }
                }
                registry.stations.append(.init(code: c, name: nm, unit: u, domain: d, gateway: value(row, column("gateway")),
                                               lat: try number(row, column("lat"), line, "lat"), lon: try number(row, column("lon"), line, "lon"),
                                               attributes: attributes, sensors: nil))
            }
        } else if header.contains("level") || header.contains("parent") {
            let code = try need("code"), name = try need("name")
            for (n, row) in body.enumerated() {
                guard let c = value(row, code), let nm = value(row, name) else {
                    throw StorageError(.importFormat, "\(file) line \(n + 2): code and name are required")
                }
                registry.units.append(.init(code: c, name: nm, level: value(row, column("level")), parent: value(row, column("parent"))))
            }
        } else if header.contains("code") {
            let code = try need("code")
            for (n, row) in body.enumerated() {
                guard let c = value(row, code) else { throw StorageError(.importFormat, "\(file) line \(n + 2): code is required") }
                registry.gateways.append(.init(code: c, name: value(row, column("name")), unit: value(row, column("unit"))))
            }
        } else {
            throw StorageError(.importFormat, "\(file): cannot tell the kind from the header \(header.joined(separator: ",")); expected units (code,name,level,parent), gateways (code,name,unit), stations (code,name,unit,domain,…) or sensors (station,metric,unit,min,max)")
        }
        return registry
    }

    /// RFC 4180 rows: quoted fields may hold commas, quotes ("") and newlines.
    static func parseRows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": row.append(field); field = ""
            case "\n", "\r\n": row.append(field); rows.append(row); row = []; field = ""
            case "\r": break
            default: field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }
}

/// Loads registry files into PostgreSQL. Idempotent: entities are matched by code and updated.
public struct RegistryImporter: Sendable {
    public struct Summary: Sendable, CustomStringConvertible {
        public var units = 0, gateways = 0, stations = 0, sensors = 0
        public var description: String { "\(units) units, \(gateways) gateways, \(stations) stations, \(sensors) sensors" }
    }

    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// The stored units, gateways, stations and sensors that `registry` names, as JSON text: what
    /// the audit log keeps before and after an import.
    public func snapshot(of registry: RegistryFile) async throws -> String {
        let units = registry.units.map(\.code), gateways = registry.gateways.map(\.code), stations = registry.stations.map(\.code)
        let rows = try await client.query("""
            SELECT json_build_object(
                'units', (SELECT coalesce(json_agg(json_build_object('code', u.code, 'name', u.name, 'level', u.level, 'parent', p.code) ORDER BY u.code), '[]')
                          FROM admin_units u LEFT JOIN admin_units p ON p.id = u.parent_id WHERE u.code = ANY(\(units))),
                'gateways', (SELECT coalesce(json_agg(json_build_object('code', g.code, 'name', g.name, 'unit', u.code, 'enabled', g.enabled) ORDER BY g.code), '[]')
                             FROM gateways g LEFT JOIN admin_units u ON u.id = g.unit_id WHERE g.code = ANY(\(gateways))),
                'stations', (SELECT coalesce(json_agg(json_build_object('code', s.code, 'name', s.name, 'unit', u.code, 'domain', s.domain, 'gateway', g.code,
                                                                          'lat', s.lat, 'lon', s.lon, 'attributes', s.attributes,
                                                                          'sensors', (SELECT coalesce(json_agg(json_build_object('metric', se.metric, 'unit', se.unit,
                                                                                          'min', se.valid_min, 'max', se.valid_max) ORDER BY se.metric), '[]')
                                                                                      FROM sensors se WHERE se.station_id = s.id AND NOT se.derived)) ORDER BY s.code), '[]')
                             FROM stations s JOIN admin_units u ON u.id = s.unit_id LEFT JOIN gateways g ON g.id = s.gateway_id WHERE s.code = ANY(\(stations)))
            )::text
            """, logger: logger)
        for try await text in rows.decode(String.self) { return text }
        return "{}"
    }

    /// Imports `registry` and records in `audit` who (`actor`) imported what (`key`, the file):
    /// the units, gateways, stations and sensors it names as they were before and are after.
    public func importRegistry(_ registry: RegistryFile, audit: AuditLog, actor: String, key: String) async throws -> Summary {
        let before = try await snapshot(of: registry)
        let summary = try await importRegistry(registry)
        try await audit.record(actor: actor, action: "import", entity: "registry", key: key, before: before, after: try await snapshot(of: registry))
        return summary
    }

    public func importRegistry(_ registry: RegistryFile) async throws -> Summary {
        let problems = registry.validate()
        guard problems.isEmpty else {
            throw StorageError(.importFormat, "the registry has \(problems.count) problem(s):\n  " + problems.joined(separator: "\n  "))
        }
        do {
            return try await importInTransaction(registry)
        } catch let error as PostgresTransactionError {
            // Report what went wrong inside, not the transaction wrapper.
            if let inner = error.closureError { throw inner }
            throw StorageError(.database, "import failed: \(error.commitError?.databaseSummary ?? error.beginError?.databaseSummary ?? "\(error)")")
        }
    }

    private func importInTransaction(_ registry: RegistryFile) async throws -> Summary {
        var summary = Summary()
        let logger = self.logger
        try await client.withTransaction(logger: logger) { tx in
            // Parents first: insert every unit, then link parents, so order in the file does not matter.
            for unit in registry.units {
                try await tx.query("""
                    INSERT INTO admin_units (code, name, level) VALUES (\(unit.code), \(unit.name), \(unit.level ?? "unit"))
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, updated_at = now()
                    """, logger: logger)
                summary.units += 1
            }
            for unit in registry.units {
                if let parent = unit.parent {
                    let rows = try await tx.query("""
                        UPDATE admin_units SET parent_id = (SELECT id FROM admin_units WHERE code = \(parent))
                        WHERE code = \(unit.code) AND EXISTS (SELECT 1 FROM admin_units WHERE code = \(parent)) RETURNING id
                        """, logger: logger)
                    var found = false
                    for try await _ in rows { found = true }
                    if !found { throw StorageError(.importFormat, "unit \(unit.code): parent unit \(parent) does not exist") }
                } else {
                    try await tx.query("UPDATE admin_units SET parent_id = NULL WHERE code = \(unit.code)", logger: logger)
                }
            }
            // A cycle in the unit tree would make every subtree query loop.
            let cycles = try await tx.query("""
                WITH RECURSIVE walk(id, start, depth) AS (
                    SELECT parent_id, id, 1 FROM admin_units WHERE parent_id IS NOT NULL
                    UNION ALL
                    SELECT u.parent_id, w.start, w.depth + 1 FROM walk w JOIN admin_units u ON u.id = w.id
                    WHERE u.parent_id IS NOT NULL AND w.depth < 100
                )
                SELECT a.code FROM walk w JOIN admin_units a ON a.id = w.start WHERE w.id = w.start LIMIT 1
                """, logger: logger)
            for try await code in cycles.decode(String.self) {
                throw StorageError(.importFormat, "unit \(code) is its own ancestor: the unit tree has a cycle")
            }
            for gateway in registry.gateways {
                try await tx.query("""
                    INSERT INTO gateways (code, name, unit_id)
                    VALUES (\(gateway.code), \(gateway.name ?? ""), (SELECT id FROM admin_units WHERE code = \(gateway.unit)))
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id, updated_at = now()
                    """, logger: logger)
                if let unit = gateway.unit, try await !exists(tx, "admin_units", unit) {
                    throw StorageError(.importFormat, "gateway \(gateway.code): unit \(unit) does not exist")
                }
                summary.gateways += 1
            }
            for station in registry.stations {
                if !registry.sensorsOnly {
                    guard try await exists(tx, "admin_units", station.unit) else {
                        throw StorageError(.importFormat, "station \(station.code): unit \(station.unit) does not exist")
                    }
                    if let gateway = station.gateway, try await !exists(tx, "gateways", gateway) {
                        throw StorageError(.importFormat, "station \(station.code): gateway \(gateway) does not exist")
                    }
                    let attributes = (station.attributes ?? .object([:])).jsonString
                    try await tx.query("""
                        INSERT INTO stations (code, name, unit_id, domain, gateway_id, lat, lon, attributes)
                        VALUES (\(station.code), \(station.name), (SELECT id FROM admin_units WHERE code = \(station.unit)), \(station.domain),
                                (SELECT id FROM gateways WHERE code = \(station.gateway)), \(station.lat), \(station.lon), \(attributes)::jsonb)
                        ON CONFLICT (code) DO UPDATE SET name = excluded.name, unit_id = excluded.unit_id, domain = excluded.domain,
                            gateway_id = excluded.gateway_id, lat = excluded.lat, lon = excluded.lon, attributes = excluded.attributes, updated_at = now()
                        """, logger: logger)
                    summary.stations += 1
                } else if try await !exists(tx, "stations", station.code) {
                    throw StorageError(.importFormat, "sensors of station \(station.code): the station does not exist; import stations first")
                }
                for sensor in station.sensors ?? [] {
                    try await tx.query("""
                        INSERT INTO sensors (station_id, metric, unit, valid_min, valid_max)
                        VALUES ((SELECT id FROM stations WHERE code = \(station.code)), \(sensor.metric), \(sensor.unit), \(sensor.min), \(sensor.max))
                        ON CONFLICT (station_id, metric) DO UPDATE SET unit = excluded.unit, valid_min = excluded.valid_min, valid_max = excluded.valid_max
                        """, logger: logger)
                    summary.sensors += 1
                }
            }
            try await tx.query("NOTIFY ioc_registry", logger: logger)
        }
        return summary
    }

    private func exists(_ connection: PostgresConnection, _ table: String, _ code: String) async throws -> Bool {
        let rows = try await connection.query(PostgresQuery(unsafeSQL: "SELECT 1 FROM \(table) WHERE code = $1", binds: {
            var b = PostgresBindings(); b.append(code); return b
        }()), logger: logger)
        for try await _ in rows { return true }
        return false
    }
}
