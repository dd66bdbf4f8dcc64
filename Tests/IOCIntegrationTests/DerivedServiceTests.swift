import Foundation
import IOCCore
import IOCDerived
import IOCStorage
import PostgresNIO
import Synchronization
import Testing

@Suite("Derived metrics (VN_AQI, rain windows, alarm level, rise rate, useful capacity, congestion) against a real PostgreSQL", .serialized)
struct DerivedServiceTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    static let registry: RegistryFile = {
        var r = RegistryFile()
        r.units = [.init(code: "P", name: "Tỉnh P", level: "province", parent: nil)]
        r.gateways = [.init(code: "GW", name: "gw", unit: "P")]
        func sensor(_ metric: String, _ unit: String) -> RegistryFile.Sensor { .init(metric: metric, unit: unit, min: nil, max: nil) }
        r.stations = [
            .init(code: "AIR", name: "Không khí", unit: "P", domain: "air", gateway: "GW", lat: nil, lon: nil, attributes: nil,
                  sensors: [sensor("pm2_5", "ug/m3"), sensor("o3", "ug/m3"), sensor("temperature", "Cel")]),
            .init(code: "HYD", name: "Thủy văn", unit: "P", domain: "hydrology", gateway: "GW", lat: nil, lon: nil,
                  attributes: .object(["alarm_levels": .object(["I": .number(1.7), "II": .number(2.7), "III": .number(3.7)])]),
                  sensors: [sensor("water_level", "m")]),
            .init(code: "RAIN", name: "Đo mưa", unit: "P", domain: "rain", gateway: "GW", lat: nil, lon: nil, attributes: nil,
                  sensors: [sensor("rain", "mm")]),
            .init(code: "RES", name: "Hồ chứa", unit: "P", domain: "reservoir", gateway: "GW", lat: nil, lon: nil,
                  attributes: .object(["dead_water_level": .number(101), "normal_water_level": .number(105)]),
                  sensors: [sensor("water_level", "m")]),
            .init(code: "TRF", name: "Giao thông", unit: "P", domain: "traffic", gateway: "GW", lat: nil, lon: nil,
                  attributes: .object(["free_flow_kmh": .number(60)]),
                  sensors: [sensor("speed", "km/h"), sensor("occupancy", "%"), sensor("vehicle_count", "vehicles")]),
        ]
        return r
    }()

    /// The value of derived sensor `metric` of `station` at `time`, nil when none is stored.
    func derived(_ client: PostgresClient, _ station: String, _ metric: String, at time: Timestamp? = nil) async throws -> Double? {
        let sensor = try await sensorID(client, station: station, metric: metric)
        let rows = try await client.query("""
            SELECT value FROM readings WHERE sensor_id = \(sensor) AND (\(time)::timestamptz IS NULL OR ts = \(time))
            ORDER BY ts DESC LIMIT 1
            """)
        for try await value in rows.decode(Double.self) { return value }
        return nil
    }

    @Test func derivesEveryKindStoresThemLikeReadingsAndRecomputesLateHours() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(Self.registry)
            let stored = Mutex<[Reading]>([])
            let service = DerivedService(store: DerivedStore(client: client, logger: env.logger),
                                         registry: RegistryStore(client: client, logger: env.logger), logger: env.logger) { readings in
                stored.withLock { $0.append(contentsOf: readings) }
            }
            // First pass: the derived sensors are created; there is nothing to derive from yet.
            try await service.runOnce()
            let created = try await count(client, "SELECT count(*) FROM sensors WHERE derived")
            // AIR: vn_aqi, its pm2_5 and o3 sub-indices, vn_aqi_day; HYD: alarm level, margin, rise rate;
            // RAIN: six windows and the risk level; RES: rise rate, useful capacity; TRF: congestion.
            #expect(created == 4 + 3 + 7 + 2 + 1)
            let snapshot = try await RegistryStore(client: client, logger: env.logger).load()
            #expect(snapshot.stations["AIR"]?.derivedMetrics.contains("vn_aqi") == true)
            #expect(snapshot.stations["AIR"]?.sensors["vn_aqi"] == nil)

            let writer = ReadingWriter(client: client, logger: env.logger)
            let now = Timestamp.now
            let h0 = DerivedComputation.hourStart(now)
            let hour = DerivedComputation.hour
            func at(_ micros: Int64) -> Timestamp { Timestamp(microseconds: micros) }
            let pm = try await sensorID(client, station: "AIR", metric: "pm2_5")
            let level = try await sensorID(client, station: "HYD", metric: "water_level")
            let rain = try await sensorID(client, station: "RAIN", metric: "rain")
            let reservoir = try await sensorID(client, station: "RES", metric: "water_level")
            let speed = try await sensorID(client, station: "TRF", metric: "speed")
            let occupancy = try await sensorID(client, station: "TRF", metric: "occupancy")
            var batch: [Reading] = []
            // PM2.5 35 µg/m³ at the start of this hour and each of the 12 before.
            for k in 0...12 { batch.append(Reading(sensorID: pm, time: at(h0 - Int64(k) * hour), value: 35)) }
            // Water level rising 0.05 m every 10 minutes for an hour, to 2.8 m (level II, 0.9 m below III).
            for k in 0...6 { batch.append(Reading(sensorID: level, time: now.adding(seconds: -Double(6 - k) * 600), value: 2.5 + Double(k) * 0.05)) }
            // Rain: 5 mm in each of the last six 10-minute intervals, and 10 mm two hours ago.
            for k in 0..<6 { batch.append(Reading(sensorID: rain, time: now.adding(seconds: -Double(k) * 600), value: 5)) }
            batch.append(Reading(sensorID: rain, time: now.adding(seconds: -7200), value: 10))
            batch.append(Reading(sensorID: reservoir, time: now, value: 104))
            batch.append(Reading(sensorID: occupancy, time: now.adding(seconds: -60), value: 12))
            batch.append(Reading(sensorID: speed, time: now, value: 40))
            await writer.writeWithRetryForTesting(batch)
            service.observe(batch)
            try await service.runOnce()

            // The last hour is over (the station reported past its end): PM2.5 NowCast of hours at
            // 35 is 35, AQI (100−50)/(50−25)×(35−25)+50 = 70. This hour is not over: no AQI yet.
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - hour)) == 70)
            #expect(try await derived(client, "AIR", "vn_aqi_pm2_5", at: at(h0 - hour)) == 70)
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0)) == nil)
            // Twelve hours ago only c1 of c1…c3 exists: no NowCast, no AQI. Eleven hours ago, two do.
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - 12 * hour)) == nil)
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - 11 * hour)) == 70)
            // Twelve hours are fewer than a day needs.
            #expect(try await count(client, "SELECT count(*) FROM readings r JOIN sensors s ON s.id = r.sensor_id WHERE s.metric = 'vn_aqi_day'") == 0)

            #expect(try await derived(client, "HYD", "alarm_level") == 2)
            let margin = try #require(try await derived(client, "HYD", "alarm_margin"))
            #expect(abs(margin - 0.9) < 1e-9)
            let rise = try #require(try await derived(client, "HYD", "rise_rate"))
            #expect(abs(rise - 0.3) < 1e-6)
            #expect(try await derived(client, "RAIN", "rain_1h") == 30)
            #expect(try await derived(client, "RAIN", "rain_3h") == 40)
            #expect(try await derived(client, "RAIN", "rain_48h") == 40)
            #expect(try await derived(client, "RES", "useful_capacity") == 75)
            // 40 of 60 km/h free flow is a ratio of 0.67: slow.
            #expect(try await derived(client, "TRF", "congestion") == 1)

            // Stored like readings: rollups and latest values are there.
            let aqiSensor = try await sensorID(client, station: "AIR", metric: "vn_aqi")
            #expect(try await count(client, "SELECT count(*) FROM readings_1h WHERE sensor_id = \(aqiSensor)") == 11)
            #expect(try await count(client, "SELECT count(*) FROM latest_values WHERE sensor_id = \(aqiSensor) AND value = 70") == 1)
            let handedOn = stored.withLock { $0 }
            #expect(handedOn.contains { $0.sensorID == aqiSensor && $0.time == at(h0 - hour) && $0.value == 70 })

            // A pass with nothing new stores nothing.
            stored.withLock { $0 = [] }
            try await service.runOnce()
            #expect(stored.withLock { $0.isEmpty })

            // A late reading of 200 three hours ago: that hour's mean becomes 117.5, its NowCast
            // 76.26 (w = 1/2), its AQI 144; the next hour's NowCast is 55.63, AQI 109; the last
            // hour's 45.32, AQI 91.
            let late = [Reading(sensorID: pm, time: at(h0 - 3 * hour + 1_000_000), value: 200)]
            await writer.writeWithRetryForTesting(late)
            service.observe(late)
            try await service.runOnce()
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - 3 * hour)) == 144)
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - 2 * hour)) == 109)
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - hour)) == 91)
            #expect(try await derived(client, "AIR", "vn_aqi", at: at(h0 - 4 * hour)) == 70)
            // The hour's rollup is rebuilt from the row, not added to.
            let rollup = try await client.query("SELECT count, max FROM readings_1h WHERE sensor_id = \(aqiSensor) AND bucket = \(at(h0 - 3 * hour))")
            var rollups: [(Int64, Double)] = []
            for try await row in rollup.decode((Int64, Double).self) { rollups.append(row) }
            #expect(rollups.count == 1 && rollups.first?.0 == 1 && rollups.first?.1 == 144)

            // The summary's worst AQI band comes from the newest hourly VN_AQI: 91 (Trung bình).
            let dashboard = DashboardStore(client: client, logger: env.logger)
            let units = try await dashboard.summaryUnits(under: nil)
            let summary = try await dashboard.summary(of: units, domain: nil, staleAfterSeconds: 900, now: Timestamp.now)
            let air = try #require(summary.first?.worstAQI["air"])
            #expect(air.station == "AIR")
            #expect(air.aqi == 91)
            #expect(air.band.code == "moderate" && air.band.nameVI == "Trung bình")
        }
    }

    @Test func aPassThatFailsKeepsItsWorkForTheNext() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(Self.registry)
            let service = DerivedService(store: DerivedStore(client: client, logger: env.logger),
                                         registry: RegistryStore(client: client, logger: env.logger), logger: env.logger)
            try await service.runOnce()
            let level = try await sensorID(client, station: "HYD", metric: "water_level")
            let speed = try await sensorID(client, station: "TRF", metric: "speed")
            let now = Timestamp.now
            let batch = [Reading(sensorID: level, time: now, value: 3.9), Reading(sensorID: speed, time: now, value: 5)]
            await ReadingWriter(client: client, logger: env.logger).writeWithRetryForTesting(batch)
            service.observe(batch)
            // The rollup table the upsert rewrites is gone: the pass fails and stores nothing.
            try await client.query("ALTER TABLE readings_1m RENAME TO readings_1m_away")
            await #expect(throws: (any Error).self) { try await service.runOnce() }
            try await client.query("ALTER TABLE readings_1m_away RENAME TO readings_1m")
            #expect(try await derived(client, "HYD", "alarm_level") == nil)
            // The next pass does the work it kept: level III, and a crawl is a jam.
            try await service.runOnce()
            #expect(try await derived(client, "HYD", "alarm_level") == 3)
            #expect(try await derived(client, "TRF", "congestion") == 3)
        }
    }
}
