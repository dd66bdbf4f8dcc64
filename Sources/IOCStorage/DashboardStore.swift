import IOCCore
import Logging
import PostgresNIO

/// The read-only queries behind the dashboard API: the unit tree, stations with their status,
/// sensors, latest values, history from readings and rollups, and per-unit summaries.
public struct DashboardStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// How far back from now history takes buckets from raw `readings` instead of the rollups,
    /// which trail the readings by the rollup interval (10 s by default, more with a backlog).
    public let freshTailSeconds: Double

    public init(client: PostgresClient, freshTailSeconds: Double = 300, logger: Logger) {
        self.client = client
        self.freshTailSeconds = freshTailSeconds
        self.logger = logger
    }

    // MARK: Units

    public struct UnitRow: Sendable, Equatable {
        public var id: Int32
        public var code: String
        public var name: String
        public var level: String
        public var parentID: Int32?
    }

    public func units() async throws -> [UnitRow] {
        let rows = try await client.query("SELECT id, code, name, level, parent_id FROM admin_units ORDER BY code COLLATE \"C\"", logger: logger)
        var units: [UnitRow] = []
        for try await (id, code, name, level, parent) in rows.decode((Int32, String, String, String, Int32?).self) {
            units.append(UnitRow(id: id, code: code, name: name, level: level, parentID: parent))
        }
        return units
    }

    public func unit(code: String) async throws -> UnitRow? {
        let rows = try await client.query("SELECT id, code, name, level, parent_id FROM admin_units WHERE code = \(code)", logger: logger)
        for try await (id, code, name, level, parent) in rows.decode((Int32, String, String, String, Int32?).self) {
            return UnitRow(id: id, code: code, name: name, level: level, parentID: parent)
        }
        return nil
    }

    /// Unit `code` and its ancestors, the unit first; nil when there is no such unit.
    public func unitPath(code: String) async throws -> [String]? {
        try await path("""
            WITH RECURSIVE up AS (
                SELECT id, parent_id, code, 0 AS depth FROM admin_units WHERE code = \(code)
                UNION ALL SELECT u.id, u.parent_id, u.code, up.depth + 1 FROM admin_units u JOIN up ON u.id = up.parent_id WHERE up.depth < 64
            )
            SELECT code FROM up ORDER BY depth
            """)
    }

    /// The unit of station `code` and that unit's ancestors, the unit first; nil when there is no such station.
    public func stationUnitPath(code: String) async throws -> [String]? {
        try await path("""
            WITH RECURSIVE up AS (
                SELECT u.id, u.parent_id, u.code, 0 AS depth FROM stations s JOIN admin_units u ON u.id = s.unit_id WHERE s.code = \(code)
                UNION ALL SELECT u.id, u.parent_id, u.code, up.depth + 1 FROM admin_units u JOIN up ON u.id = up.parent_id WHERE up.depth < 64
            )
            SELECT code FROM up ORDER BY depth
            """)
    }

    private func path(_ query: PostgresQuery) async throws -> [String]? {
        var path: [String] = []
        for try await code in try await client.query(query, logger: logger).decode(String.self) { path.append(code) }
        return path.isEmpty ? nil : path
    }

    /// The id of station `code`, nil when there is none.
    public func stationID(code: String) async throws -> Int32? {
        let rows = try await client.query("SELECT id FROM stations WHERE code = \(code)", logger: logger)
        for try await id in rows.decode(Int32.self) { return id }
        return nil
    }

    // MARK: Stations

    public struct StationFilter: Sendable {
        public var unit: String?
        public var domain: String?
        public var status: StationStatus?
        public var station: String?
        /// Readings older than this make a station stale.
        public var staleAfterSeconds: Int
        /// Keyset paging: only stations whose code sorts (bytewise) after this one.
        public var afterCode: String?
        /// Nil: every matching station.
        public var limit: Int?

        public init(unit: String? = nil, domain: String? = nil, status: StationStatus? = nil, station: String? = nil,
                    staleAfterSeconds: Int = StationStatus.defaultStaleAfterSeconds, afterCode: String? = nil, limit: Int? = nil) {
            self.unit = unit; self.domain = domain; self.status = status; self.station = station
            self.staleAfterSeconds = staleAfterSeconds; self.afterCode = afterCode; self.limit = limit
        }
    }

    public struct StationRow: Sendable {
        public var id: Int32
        public var code: String
        public var name: String
        public var domain: String
        public var unit: String
        public var gateway: String?
        public var lat: Double?
        public var lon: Double?
        /// The station's `attributes` as JSON text.
        public var attributes: String
        public var status: StationStatus
        public var lastReadingAt: Timestamp?
    }

    /// Stations in the unit subtree, domain and status asked for, ordered by code (bytewise).
    public func stations(_ filter: StationFilter, now: Timestamp) async throws -> [StationRow] {
        let staleBefore = now.adding(seconds: -Double(filter.staleAfterSeconds))
        let limit = filter.limit.map { Int64($0) }
        let status = filter.status?.rawValue
        let rows = try await client.query("""
            WITH RECURSIVE scope(id) AS (
                SELECT id FROM admin_units WHERE code = \(filter.unit)
                UNION SELECT u.id FROM admin_units u JOIN scope ON u.parent_id = scope.id
            ), listed AS (
                SELECT s.id, s.code, s.name, s.domain, u.code AS unit, g.code AS gateway, s.lat, s.lon, s.attributes::text AS attributes,
                    l.ts AS last_ts,
                    CASE WHEN g.status = 'offline' THEN 'offline' WHEN l.ts IS NULL THEN 'unknown'
                         WHEN l.ts < \(staleBefore) THEN 'stale' ELSE 'online' END AS status
                FROM stations s
                JOIN admin_units u ON u.id = s.unit_id
                LEFT JOIN gateways g ON g.id = s.gateway_id
                LEFT JOIN LATERAL (SELECT max(lv.ts) AS ts FROM sensors se JOIN latest_values lv ON lv.sensor_id = se.id
                                   WHERE se.station_id = s.id) l ON true
                WHERE (\(filter.unit)::text IS NULL OR s.unit_id IN (SELECT id FROM scope))
                  AND (\(filter.domain)::text IS NULL OR s.domain = \(filter.domain))
                  AND (\(filter.station)::text IS NULL OR s.code = \(filter.station))
                  AND (\(filter.afterCode)::text IS NULL OR s.code COLLATE "C" > \(filter.afterCode))
            )
            SELECT id, code, name, domain, unit, gateway, lat, lon, attributes, status, last_ts FROM listed
            WHERE \(status)::text IS NULL OR status = \(status)
            ORDER BY code COLLATE "C"
            LIMIT \(limit)
            """, logger: logger)
        var stations: [StationRow] = []
        for try await (id, code, name, domain, unit, gateway, lat, lon, attributes, status, last) in rows.decode(
            (Int32, String, String, String, String, String?, Double?, Double?, String, String, Timestamp?).self) {
            stations.append(StationRow(id: id, code: code, name: name, domain: domain, unit: unit, gateway: gateway, lat: lat, lon: lon,
                                       attributes: attributes, status: StationStatus(rawValue: status) ?? .unknown, lastReadingAt: last))
        }
        return stations
    }

    // MARK: Sensors and latest values

    public struct SensorRow: Sendable, Equatable {
        public var id: Int32
        public var stationID: Int32
        public var stationCode: String
        public var metric: String
        public var unit: String
        /// Computed by IOC from the station's other readings (VN_AQI, rain windows, …).
        public var derived: Bool
    }

    /// The sensors of the given stations (of every station when nil) under administrative unit
    /// `unit` (anywhere when nil), ordered by station and metric.
    public func sensors(ofStations ids: [Int32]?, under unit: String? = nil) async throws -> [SensorRow] {
        try await sensorRows("""
            WITH RECURSIVE scope AS (
                SELECT id FROM admin_units WHERE code = \(unit)
                UNION SELECT u.id FROM admin_units u JOIN scope ON u.parent_id = scope.id
            )
            \(unescaped: Self.sensorColumns)
            WHERE (\(unit)::text IS NULL OR s.unit_id IN (SELECT id FROM scope)) AND (\(ids)::int4[] IS NULL OR se.station_id = ANY(\(ids)))
            ORDER BY s.code COLLATE "C", se.metric COLLATE "C"
            """)
    }

    /// The given sensors with their stations, of stations under `unit` (anywhere when nil); ids
    /// that name no sensor there are missing from the answer.
    public func sensors(ids: [Int32], under unit: String? = nil) async throws -> [SensorRow] {
        try await sensorRows("""
            WITH RECURSIVE scope AS (
                SELECT id FROM admin_units WHERE code = \(unit)
                UNION SELECT u.id FROM admin_units u JOIN scope ON u.parent_id = scope.id
            )
            \(unescaped: Self.sensorColumns)
            WHERE (\(unit)::text IS NULL OR s.unit_id IN (SELECT id FROM scope)) AND se.id = ANY(\(ids))
            """)
    }

    private static let sensorColumns = "SELECT se.id, s.id, s.code, se.metric, se.unit, se.derived FROM sensors se JOIN stations s ON s.id = se.station_id"

    private func sensorRows(_ query: PostgresQuery) async throws -> [SensorRow] {
        let rows = try await client.query(query, logger: logger)
        var sensors: [SensorRow] = []
        for try await (id, station, code, metric, unit, derived) in rows.decode((Int32, Int32, String, String, String, Bool).self) {
            sensors.append(SensorRow(id: id, stationID: station, stationCode: code, metric: metric, unit: unit, derived: derived))
        }
        return sensors
    }

    public struct LatestRow: Sendable {
        public var sensorID: Int32
        public var stationID: Int32
        public var stationCode: String
        public var metric: String
        public var unit: String
        public var time: Timestamp
        public var value: Double
    }

    /// The newest value of every sensor in the unit subtree, domain and station asked for that
    /// has one, in one query, ordered by station code and metric.
    public func latest(unit: String?, domain: String?, station: String?) async throws -> [LatestRow] {
        let rows = try await client.query("""
            WITH RECURSIVE scope(id) AS (
                SELECT id FROM admin_units WHERE code = \(unit)
                UNION SELECT u.id FROM admin_units u JOIN scope ON u.parent_id = scope.id
            )
            SELECT se.id, s.id, s.code, se.metric, se.unit, lv.ts, lv.value
            FROM latest_values lv
            JOIN sensors se ON se.id = lv.sensor_id
            JOIN stations s ON s.id = se.station_id
            WHERE (\(unit)::text IS NULL OR s.unit_id IN (SELECT id FROM scope))
              AND (\(domain)::text IS NULL OR s.domain = \(domain))
              AND (\(station)::text IS NULL OR s.code = \(station))
            ORDER BY s.code COLLATE "C", se.metric COLLATE "C"
            """, logger: logger)
        var values: [LatestRow] = []
        values.reserveCapacity(1024)
        for try await (id, stationID, code, metric, unitName, ts, value) in rows.decode((Int32, Int32, String, String, String, Timestamp, Double).self) {
            values.append(LatestRow(sensorID: id, stationID: stationID, stationCode: code, metric: metric, unit: unitName, time: ts, value: value))
        }
        return values
    }

    /// The newest values of the given stations' sensors.
    public func latest(ofStations ids: [Int32]) async throws -> [LatestRow] {
        let rows = try await client.query("""
            SELECT se.id, s.id, s.code, se.metric, se.unit, lv.ts, lv.value
            FROM latest_values lv JOIN sensors se ON se.id = lv.sensor_id JOIN stations s ON s.id = se.station_id
            WHERE se.station_id = ANY(\(ids))
            """, logger: logger)
        var values: [LatestRow] = []
        for try await (id, stationID, code, metric, unitName, ts, value) in rows.decode((Int32, Int32, String, String, String, Timestamp, Double).self) {
            values.append(LatestRow(sensorID: id, stationID: stationID, stationCode: code, metric: metric, unit: unitName, time: ts, value: value))
        }
        return values
    }

    // MARK: History

    public struct Bucket: Sendable, Equatable {
        public var sensorID: Int32
        public var start: Timestamp
        public var min: Double
        public var max: Double
        public var sum: Double
        public var count: Int64

        public init(sensorID: Int32, start: Timestamp, min: Double, max: Double, sum: Double, count: Int64) {
            self.sensorID = sensorID; self.start = start; self.min = min; self.max = max; self.sum = sum; self.count = count
        }
    }

    /// Raw readings served per request, over all its sensors; more is refused rather than truncated.
    public static let maxRawReadings = 200_000

    /// What history read, and from where: the tables named in `sources`, in the order used.
    public struct History: Sendable {
        public var buckets: [Bucket]
        public var sources: [String]
        /// Buckets starting at or after this time were aggregated from raw readings (the rollups
        /// may not have folded them yet); nil for raw requests.
        public var rawFrom: Timestamp?
        /// True when a raw request had more than ``maxRawReadings`` readings (none are returned).
        public var tooManyRaw: Bool
    }

    /// The buckets of `plan` ordered by sensor and time. Steps of a minute come from
    /// `readings_1m`, of an hour from `readings_1h`, of a day from `readings_1h` summed by UTC
    /// day; the newest part (from `freshTailSeconds` before `now`, aligned down to the rollup's
    /// bucket) is aggregated from raw `readings`, so that the newest buckets are complete even
    /// though the rollups trail the readings.
    public func history(_ plan: HistoryPlan, now: Timestamp) async throws -> History {
        guard plan.step != .raw else { return try await rawHistory(plan) }
        let (table, granularity): (String, Int64) = plan.step == .minute ? ("readings_1m", 60_000_000) : ("readings_1h", 3_600_000_000)
        let field = plan.step == .minute ? "minute" : plan.step == .hour ? "hour" : "day"
        let tail = now.adding(seconds: -freshTailSeconds).microseconds.flooredQuotient(by: granularity) * granularity
        let cutoff = Timestamp(microseconds: tail)
        var binds = PostgresBindings(capacity: 4)
        binds.append(plan.sensorIDs)
        binds.append(plan.lowerBound)
        binds.append(plan.upperBound)
        binds.append(cutoff)
        // The table and field names come from the two fixed choices above, never from the request.
        let sql = """
            WITH parts AS (
                SELECT sensor_id, date_trunc('\(field)', bucket, 'UTC') AS b, min, max, sum, count FROM \(table)
                WHERE sensor_id = ANY($1) AND bucket >= $2 AND bucket < least($3, $4)
                UNION ALL
                SELECT sensor_id, date_trunc('\(field)', ts, 'UTC'), value, value, value, 1 FROM readings
                WHERE sensor_id = ANY($1) AND ts >= greatest($2, $4) AND ts < $3
            )
            SELECT sensor_id, b, min(min), max(max), sum(sum), sum(count)::bigint FROM parts GROUP BY 1, 2 ORDER BY 1, 2
            """
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        var buckets: [Bucket] = []
        for try await (sensor, start, min, max, sum, count) in rows.decode((Int32, Timestamp, Double, Double, Double, Int64).self) {
            buckets.append(Bucket(sensorID: sensor, start: start, min: min, max: max, sum: sum, count: count))
        }
        let sources = cutoff >= plan.upperBound ? [table] : cutoff <= plan.lowerBound ? ["readings"] : [table, "readings"]
        return History(buckets: buckets, sources: sources, rawFrom: cutoff < plan.upperBound ? max(cutoff, plan.lowerBound) : nil, tooManyRaw: false)
    }

    private func rawHistory(_ plan: HistoryPlan) async throws -> History {
        let cap = Int64(Self.maxRawReadings + 1)
        let rows = try await client.query("""
            SELECT sensor_id, ts, value FROM readings
            WHERE sensor_id = ANY(\(plan.sensorIDs)) AND ts >= \(plan.from) AND ts < \(plan.to)
            ORDER BY sensor_id, ts LIMIT \(cap)
            """, logger: logger)
        var buckets: [Bucket] = []
        for try await (sensor, ts, value) in rows.decode((Int32, Timestamp, Double).self) {
            buckets.append(Bucket(sensorID: sensor, start: ts, min: value, max: value, sum: value, count: 1))
        }
        if buckets.count > Self.maxRawReadings { return History(buckets: [], sources: ["readings"], rawFrom: nil, tooManyRaw: true) }
        return History(buckets: buckets, sources: ["readings"], rawFrom: nil, tooManyRaw: false)
    }

    // MARK: Summary

    public struct SummaryGroup: Sendable {
        public var unit: UnitRow
        /// Per domain: station counts by status.
        public var stations: [String: [StationStatus: Int]] = [:]
        /// Per domain: open alerts by severity.
        public var openAlerts: [String: [String: Int]] = [:]
        /// Per domain: the most alarming water level against its station's alarm levels.
        public var worstWaterLevel: [String: WaterLevel] = [:]
        /// Per domain: the highest recent hourly VN_AQI (derived sensor `vn_aqi`).
        public var worstAQI: [String: AirQuality] = [:]
    }

    public struct AirQuality: Sendable {
        public var station: String
        public var name: String
        public var sensorID: Int32
        public var time: Timestamp
        public var aqi: Int
        public var band: AQIBand { AQIBand.of(aqi) }
    }

    /// An hourly VN_AQI older than this is left out of summaries: it no longer says how the air is.
    public static let aqiRecentSeconds: Double = 3 * 3600

    public struct WaterLevel: Sendable {
        public var station: String
        public var name: String
        public var sensorID: Int32
        public var time: Timestamp
        public var standing: AlarmLevelStanding
    }

    /// The units a summary is broken down by: the direct children of `unit` (the root units when
    /// nil; `unit` itself when it has no children).
    public func summaryUnits(under unit: UnitRow?) async throws -> [UnitRow] {
        var units: [UnitRow] = []
        let rows = try await client.query("""
            SELECT id, code, name, level, parent_id FROM admin_units
            WHERE CASE WHEN \(unit?.id)::int4 IS NULL THEN parent_id IS NULL ELSE parent_id = \(unit?.id) END
            ORDER BY code COLLATE "C"
            """, logger: logger)
        for try await (id, code, name, level, parent) in rows.decode((Int32, String, String, String, Int32?).self) {
            units.append(UnitRow(id: id, code: code, name: name, level: level, parentID: parent))
        }
        if units.isEmpty, let unit { units = [unit] }
        return units
    }

    /// A summary of each unit over its whole subtree.
    public func summary(of units: [UnitRow], domain: String?, staleAfterSeconds: Int, now: Timestamp) async throws -> [SummaryGroup] {
        var groups = units.map { SummaryGroup(unit: $0) }
        guard !groups.isEmpty else { return [] }
        let ids = groups.map(\.unit.id)
        let index = Dictionary(uniqueKeysWithValues: groups.enumerated().map { ($0.element.unit.id, $0.offset) })
        let staleBefore = now.adding(seconds: -Double(staleAfterSeconds))
        let tree = """
            WITH RECURSIVE tree(id, grp) AS (
                SELECT id, id FROM admin_units WHERE id = ANY($1)
                UNION SELECT u.id, t.grp FROM admin_units u JOIN tree t ON u.parent_id = t.id
            )
            """

        var binds = PostgresBindings(capacity: 3)
        binds.append(ids)
        binds.append(domain)
        binds.append(staleBefore)
        let counts = try await client.query(PostgresQuery(unsafeSQL: tree + """
            SELECT t.grp, s.domain,
                CASE WHEN g.status = 'offline' THEN 'offline' WHEN l.ts IS NULL THEN 'unknown'
                     WHEN l.ts < $3 THEN 'stale' ELSE 'online' END AS status,
                count(*)
            FROM stations s
            JOIN tree t ON t.id = s.unit_id
            LEFT JOIN gateways g ON g.id = s.gateway_id
            LEFT JOIN LATERAL (SELECT max(lv.ts) AS ts FROM sensors se JOIN latest_values lv ON lv.sensor_id = se.id
                               WHERE se.station_id = s.id) l ON true
            WHERE $2::text IS NULL OR s.domain = $2
            GROUP BY 1, 2, 3
            """, binds: binds), logger: logger)
        for try await (group, domain, status, n) in counts.decode((Int32, String, String, Int64).self) {
            guard let i = index[group], let status = StationStatus(rawValue: status) else { continue }
            groups[i].stations[domain, default: [:]][status, default: 0] += Int(n)
        }

        // Per domain; an alert about a gateway whose stations are of several domains (or none) has
        // no domain and is not counted here (the alert list shows it).
        let alerts = try await client.query("""
            SELECT g.id, a.domain, a.severity, count(*)
            FROM alerts a JOIN admin_units g ON g.id = ANY(\(ids)) AND a.unit_path @> ARRAY[g.code]
            WHERE a.state <> 'resolved' AND a.domain IS NOT NULL AND (\(domain)::text IS NULL OR a.domain = \(domain))
            GROUP BY 1, 2, 3
            """, logger: logger)
        for try await (group, domain, severity, n) in alerts.decode((Int32, String, String, Int64).self) {
            guard let i = index[group] else { continue }
            groups[i].openAlerts[domain, default: [:]][severity, default: 0] += Int(n)
        }

        var levelBinds = PostgresBindings(capacity: 2)
        levelBinds.append(ids)
        levelBinds.append(domain)
        let levels = try await client.query(PostgresQuery(unsafeSQL: tree + """
            SELECT t.grp, s.domain, s.code, s.name, se.id, lv.ts, lv.value,
                (s.attributes #>> '{alarm_levels,I}')::float8, (s.attributes #>> '{alarm_levels,II}')::float8,
                (s.attributes #>> '{alarm_levels,III}')::float8
            FROM stations s
            JOIN tree t ON t.id = s.unit_id
            JOIN sensors se ON se.station_id = s.id AND se.metric = 'water_level'
            JOIN latest_values lv ON lv.sensor_id = se.id
            WHERE ($2::text IS NULL OR s.domain = $2)
              AND jsonb_typeof(s.attributes #> '{alarm_levels,I}') = 'number'
              AND jsonb_typeof(s.attributes #> '{alarm_levels,II}') = 'number'
              AND jsonb_typeof(s.attributes #> '{alarm_levels,III}') = 'number'
            ORDER BY 1, s.code COLLATE "C"
            """, binds: levelBinds), logger: logger)
        for try await (group, domain, code, name, sensor, ts, value, one, two, three) in levels.decode(
            (Int32, String, String, String, Int32, Timestamp, Double, Double, Double, Double).self) {
            guard let i = index[group], let standing = AlarmLevelStanding(value: value, thresholds: [one, two, three]) else { continue }
            if let current = groups[i].worstWaterLevel[domain], !standing.isWorse(than: current.standing) { continue }
            groups[i].worstWaterLevel[domain] = WaterLevel(station: code, name: name, sensorID: sensor, time: ts, standing: standing)
        }

        var aqiBinds = PostgresBindings(capacity: 3)
        aqiBinds.append(ids)
        aqiBinds.append(domain)
        aqiBinds.append(now.adding(seconds: -Self.aqiRecentSeconds))
        let aqi = try await client.query(PostgresQuery(unsafeSQL: tree + """
            SELECT t.grp, s.domain, s.code, s.name, se.id, lv.ts, lv.value
            FROM stations s
            JOIN tree t ON t.id = s.unit_id
            JOIN sensors se ON se.station_id = s.id AND se.metric = 'vn_aqi' AND se.derived
            JOIN latest_values lv ON lv.sensor_id = se.id
            WHERE ($2::text IS NULL OR s.domain = $2) AND lv.ts >= $3
            ORDER BY 1, lv.value DESC, s.code COLLATE "C"
            """, binds: aqiBinds), logger: logger)
        for try await (group, domain, code, name, sensor, ts, value) in aqi.decode((Int32, String, String, String, Int32, Timestamp, Double).self) {
            guard let i = index[group], groups[i].worstAQI[domain] == nil else { continue }
            groups[i].worstAQI[domain] = AirQuality(station: code, name: name, sensorID: sensor, time: ts, aqi: Int(value.rounded()))
        }
        return groups
    }
}

extension Int64 {
    /// The quotient rounded towards minus infinity.
    func flooredQuotient(by divisor: Int64) -> Int64 {
        let q = self / divisor
        return self % divisor < 0 ? q - 1 : q
    }
}
