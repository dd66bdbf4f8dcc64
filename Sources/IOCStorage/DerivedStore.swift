import IOCCore
import Logging
import PostgresNIO

/// Reads what the derivations need and stores what they produce. Derived readings are upserted
/// (a late reading can change an hour's AQI), so they bypass the writer's insert-only path and
/// its rollup deltas: this store rewrites the affected rollup buckets from the rows themselves.
public struct DerivedStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Every station that has or should have derived sensors, creating the derived sensors it
    /// lacks (`DerivedMetric.applicable`). A station's later-added sensor gets its derivations at
    /// the next call.
    public func stations() async throws -> [DerivedStation] {
        var stations = try await loadStations()
        var missing: [(station: Int32, metric: DerivedMetric)] = []
        for station in stations {
            let measured = Set(station.inputs.keys)
            for metric in DerivedMetric.applicable(measured: measured, attributes: station.attributes) where station.outputs[metric] == nil {
                // A measured sensor with a derived metric's name keeps its place.
                if measured.contains(metric.rawValue) { continue }
                missing.append((station.id, metric))
            }
        }
        guard !missing.isEmpty else { return stations.filter { !$0.outputs.isEmpty } }
        try await client.query("""
            INSERT INTO sensors (station_id, metric, unit, derived)
            SELECT station_id, metric, unit, true
            FROM unnest(\(missing.map(\.station))::int4[], \(missing.map(\.metric.rawValue))::text[], \(missing.map(\.metric.unit))::text[])
                AS u(station_id, metric, unit)
            ON CONFLICT (station_id, metric) DO NOTHING
            """, logger: logger)
        logger.info("created derived sensors", metadata: ["sensors": "\(missing.count)"])
        stations = try await loadStations()
        return stations.filter { !$0.outputs.isEmpty }
    }

    private func loadStations() async throws -> [DerivedStation] {
        func number(_ path: String) -> String {
            "CASE WHEN jsonb_typeof(s.attributes #> '{\(path)}') = 'number' THEN (s.attributes #>> '{\(path)}')::float8 END"
        }
        let sql = """
            SELECT s.id, s.code, se.id, se.metric, se.derived,
                   \(number("alarm_levels,I")), \(number("alarm_levels,II")), \(number("alarm_levels,III")),
                   \(number("dead_water_level")), \(number("normal_water_level")), \(number("free_flow_kmh"))
            FROM stations s JOIN sensors se ON se.station_id = s.id
            ORDER BY s.id
            """
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        var stations: [DerivedStation] = []
        for try await (id, code, sensor, metric, derived, one, two, three, dead, normal, freeFlow)
            in rows.decode((Int32, String, Int32, String, Bool, Double?, Double?, Double?, Double?, Double?, Double?).self) {
            if stations.last?.id != id {
                let attributes = DerivedAttributes(alarmLevels: AlarmLevels(one: one, two: two, three: three),
                                                   deadLevel: dead, normalLevel: normal, freeFlowKmh: freeFlow)
                stations.append(DerivedStation(id: id, code: code, inputs: [:], outputs: [:], attributes: attributes))
            }
            if derived {
                if let metric = DerivedMetric(rawValue: metric) { stations[stations.count - 1].outputs[metric] = sensor }
            } else {
                stations[stations.count - 1].inputs[metric] = sensor
            }
        }
        return stations
    }

    /// Hourly means of `sensors` over [from, to), keyed by hour start (µs since the epoch), and the
    /// newest reading time among them (nil when there is none in the range).
    public func hourlyMeans(of sensors: [Int32], from: Timestamp, to: Timestamp) async throws -> (means: [Int32: [Int64: Double]], newest: Timestamp?) {
        let rows = try await client.query("""
            SELECT sensor_id, date_trunc('hour', ts, 'UTC'), avg(value), max(ts) FROM readings
            WHERE sensor_id = ANY(\(sensors)::int4[]) AND ts >= \(from) AND ts < \(to)
            GROUP BY 1, 2
            """, logger: logger)
        var means: [Int32: [Int64: Double]] = [:]
        var newest: Timestamp?
        for try await (sensor, hour, mean, last) in rows.decode((Int32, Timestamp, Double, Timestamp).self) {
            means[sensor, default: [:]][hour.microseconds] = mean
            newest = max(newest ?? last, last)
        }
        return (means, newest)
    }

    /// The newest reading of `sensor` and every reading up to `seconds` before it, oldest first.
    public func recent(of sensor: Int32, seconds: Double) async throws -> [(time: Timestamp, value: Double)] {
        let rows = try await client.query("""
            WITH newest AS (SELECT ts FROM readings WHERE sensor_id = \(sensor) ORDER BY ts DESC LIMIT 1)
            SELECT r.ts, r.value FROM readings r, newest
            WHERE r.sensor_id = \(sensor) AND r.ts >= newest.ts - make_interval(secs => \(seconds)) AND r.ts <= newest.ts
            ORDER BY r.ts
            """, logger: logger)
        var samples: [(time: Timestamp, value: Double)] = []
        for try await (time, value) in rows.decode((Timestamp, Double).self) { samples.append((time, value)) }
        return samples
    }

    /// The newest reading of `sensor` at or before `time` and no older than `seconds` before it.
    public func reading(of sensor: Int32, atOrBefore time: Timestamp, within seconds: Double) async throws -> Double? {
        let rows = try await client.query("""
            SELECT value FROM readings
            WHERE sensor_id = \(sensor) AND ts <= \(time) AND ts > \(time) - make_interval(secs => \(seconds))
            ORDER BY ts DESC LIMIT 1
            """, logger: logger)
        for try await value in rows.decode(Double.self) { return value }
        return nil
    }

    /// Stores derived readings: new ones are inserted, changed ones replaced, equal ones left.
    /// Returns the readings that were inserted or changed. The 1-minute and 1-hour rollups of the
    /// touched buckets are recomputed from the rows, and `latest_values` moves forward, in the
    /// same transaction.
    public func upsert(_ readings: [Reading]) async throws -> [Reading] {
        guard !readings.isEmpty else { return [] }
        do {
            return try await upsertOnce(readings)
        } catch let error as PSQLError where error.sqlState == "23514" {
            // No partition for some day yet.
            let times = readings.map(\.time)
            try await PartitionMaintenance.ensure(client: client, from: times.min()!, to: times.max()!, logger: logger)
            return try await upsertOnce(readings)
        }
    }

    private func upsertOnce(_ readings: [Reading]) async throws -> [Reading] {
        try await client.withTransaction(logger: logger) { tx in
            let rows = try await tx.query("""
                WITH input AS (
                    SELECT DISTINCT ON (sensor_id, ts) sensor_id, ts, value
                    FROM unnest(\(readings.map(\.sensorID))::int4[], \(readings.map(\.time))::timestamptz[], \(readings.map(\.value))::float8[])
                        AS u(sensor_id, ts, value)
                    ORDER BY sensor_id, ts
                )
                INSERT INTO readings AS r (sensor_id, ts, value) SELECT sensor_id, ts, value FROM input
                ON CONFLICT (sensor_id, ts) DO UPDATE SET value = excluded.value WHERE r.value IS DISTINCT FROM excluded.value
                RETURNING sensor_id, ts, value
                """, logger: logger)
            var changed: [Reading] = []
            for try await (sensor, time, value) in rows.decode((Int32, Timestamp, Double).self) {
                changed.append(Reading(sensorID: sensor, time: time, value: value))
            }
            guard !changed.isEmpty else { return [] }
            try await tx.query("""
                WITH changed AS (
                    SELECT * FROM unnest(\(changed.map(\.sensorID))::int4[], \(changed.map(\.time))::timestamptz[], \(changed.map(\.value))::float8[])
                        AS u(sensor_id, ts, value)
                ), \(unescaped: Self.rebuildRollup("readings_1m", width: "minute")), \(unescaped: Self.rebuildRollup("readings_1h", width: "hour"))
                INSERT INTO latest_values AS l (sensor_id, ts, value)
                SELECT DISTINCT ON (sensor_id) sensor_id, ts, value FROM changed ORDER BY sensor_id, ts DESC
                ON CONFLICT (sensor_id) DO UPDATE SET ts = excluded.ts, value = excluded.value WHERE l.ts <= excluded.ts
                """, logger: logger)
            return changed
        }
    }

    /// A CTE that rewrites the `table` rollup (`readings_1m` or `readings_1h`) of every (sensor,
    /// `width` bucket) in `changed` from the rows of `readings`.
    static func rebuildRollup(_ table: String, width: String) -> String {
        """
        \(width)_buckets AS (
            SELECT DISTINCT sensor_id, date_trunc('\(width)', ts, 'UTC') AS bucket FROM changed
        ), \(width)_rollup AS (
            INSERT INTO \(table) AS x (sensor_id, bucket, min, max, sum, count)
            SELECT b.sensor_id, b.bucket, min(r.value), max(r.value), sum(r.value), count(*)
            FROM \(width)_buckets b JOIN readings r ON r.sensor_id = b.sensor_id AND r.ts >= b.bucket AND r.ts < b.bucket + interval '1 \(width)'
            GROUP BY 1, 2
            ON CONFLICT (sensor_id, bucket) DO UPDATE SET min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count
        )
        """
    }
}
