import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAPI
import IOCCore
import IOCStorage
import PostgresNIO
import Prometheus
import Testing

@Suite("Dashboard API (/api/v1 units, stations, geojson, sensors, latest, history, summary, dashboards) through the router, with a real PostgreSQL", .serialized)
struct DashboardAPITests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    // Province P with districts D1 (commune C1 inside) and D2; a second province X.
    // S-A (C1): water level 2.9 now (alarm level II), rain; S-B (D1): no coordinates, water level
    // 1.8 an hour ago (stale); S-C (D2, air): its gateway is offline; S-D (P itself): never reported;
    // S-E (X, traffic): no gateway, reported now.
    static let registry: RegistryFile = {
        var r = RegistryFile()
        r.units = [
            .init(code: "P", name: "Tỉnh P", level: "province", parent: nil),
            .init(code: "D1", name: "Huyện 1", level: "district", parent: "P"),
            .init(code: "C1", name: "Xã 1", level: "commune", parent: "D1"),
            .init(code: "D2", name: "Huyện 2", level: "district", parent: "P"),
            .init(code: "X", name: "Tỉnh X", level: "province", parent: nil),
        ]
        r.gateways = [.init(code: "GW-ON", name: "on", unit: "D1"), .init(code: "GW-OFF", name: "off", unit: "D2")]
        let levels = JSONValue.object(["alarm_levels": .object(["I": .number(1.7), "II": .number(2.7), "III": .number(3.7)])])
        r.stations = [
            .init(code: "S-A", name: "Trạm A", unit: "C1", domain: "hydrology", gateway: "GW-ON", lat: 13.1, lon: 109.2, attributes: levels,
                  sensors: [.init(metric: "water_level", unit: "m", min: nil, max: nil), .init(metric: "rain", unit: "mm", min: nil, max: nil)]),
            .init(code: "S-B", name: "Trạm B", unit: "D1", domain: "hydrology", gateway: "GW-ON", lat: nil, lon: nil, attributes: levels,
                  sensors: [.init(metric: "water_level", unit: "m", min: nil, max: nil)]),
            .init(code: "S-C", name: "Trạm C", unit: "D2", domain: "air", gateway: "GW-OFF", lat: 13.3, lon: 109.3, attributes: nil,
                  sensors: [.init(metric: "pm2_5", unit: "µg/m³", min: nil, max: nil)]),
            .init(code: "S-D", name: "Trạm D", unit: "P", domain: "hydrology", gateway: "GW-ON", lat: 13.4, lon: 109.4, attributes: levels,
                  sensors: [.init(metric: "water_level", unit: "m", min: nil, max: nil)]),
            .init(code: "S-E", name: "Trạm E", unit: "X", domain: "traffic", gateway: nil, lat: 12.0, lon: 108.0, attributes: nil,
                  sensors: [.init(metric: "vehicle_count", unit: "vehicles", min: nil, max: nil)]),
        ]
        return r
    }()

    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The registry above with latest values; `body` gets the test client and the database.
    func withAPI(layouts: URL = repository.appendingPathComponent("dashboards"),
                 _ body: @Sendable @escaping (any TestClientProtocol, PostgresClient, Timestamp) async throws -> Void) async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(Self.registry)
            try await client.query("UPDATE gateways SET status = 'offline' WHERE code = 'GW-OFF'")
            try await client.query("UPDATE gateways SET status = 'online' WHERE code = 'GW-ON'")
            let now = Timestamp.now
            for (station, metric, age, value) in [("S-A", "water_level", 30.0, 2.9), ("S-A", "rain", 30.0, 12.5), ("S-B", "water_level", 3600.0, 1.8),
                                                  ("S-C", "pm2_5", 60.0, 35.0), ("S-E", "vehicle_count", 10.0, 42.0)] {
                let sensor = try await sensorID(client, station: station, metric: metric)
                try await client.query("INSERT INTO latest_values (sensor_id, ts, value) VALUES (\(sensor), \(now.adding(seconds: -age)), \(value))")
            }
            let endpoints = DashboardEndpoints(store: DashboardStore(client: client, logger: env.logger), layouts: DashboardLayouts(directory: layouts))
            let router = APIServer.makeRouter(readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client), dashboard: endpoints)
            let token = try await makeToken(client, .admin)
            try await Application(router: router).test(.router) { http in
                try await body(AuthorizedClient(http, token: token), client, now)
            }
        }
    }

    static func object(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any], "\(String(buffer: response.body))")
    }

    static func get(_ http: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, [String: Any]) {
        let response = try await http.execute(uri: uri, method: .get)
        return (response.status, try object(response))
    }

    /// The error body: `{"error":{"code","message","field"?}}`.
    static func error(_ body: [String: Any]) throws -> (code: String, message: String, field: String?) {
        let error = try #require(body["error"] as? [String: Any])
        return (try #require(error["code"] as? String), try #require(error["message"] as? String), error["field"] as? String)
    }

    static func codes(_ list: Any?) -> [String] {
        ((list as? [[String: Any]]) ?? []).compactMap { $0["code"] as? String }
    }

    @Test("the unit tree, whole or from one unit; an unknown unit is a 404 that names it")
    func units() async throws {
        try await withAPI { http, _, _ in
            var (status, body) = try await Self.get(http, "/api/v1/units")
            #expect(status == .ok)
            let roots = try #require(body["units"] as? [[String: Any]])
            try #require(Self.codes(roots) == ["P", "X"])
            let p = roots[0]
            #expect(p["name"] as? String == "Tỉnh P" && p["level"] as? String == "province")
            let districts = try #require(p["children"] as? [[String: Any]])
            try #require(Self.codes(districts) == ["D1", "D2"])
            #expect(Self.codes(districts[0]["children"]) == ["C1"])
            #expect(Self.codes(districts[1]["children"]) == [])

            (status, body) = try await Self.get(http, "/api/v1/units?unit=D1")
            #expect(status == .ok)
            let d1 = try #require(body["units"] as? [[String: Any]])
            #expect(Self.codes(d1) == ["D1"] && Self.codes(d1.first?["children"]) == ["C1"])

            (status, body) = try await Self.get(http, "/api/v1/units?unit=NOPE")
            #expect(status == .notFound)
            let error = try Self.error(body)
            #expect(error.code == "not_found" && error.message.contains("NOPE") && error.field == "unit")
        }
    }

    @Test("stations filtered by unit subtree, domain, status and staleness threshold")
    func stationFilters() async throws {
        let cases: [(String, [String])] = [
            ("", ["S-A", "S-B", "S-C", "S-D", "S-E"]),
            ("unit=P", ["S-A", "S-B", "S-C", "S-D"]),
            ("unit=D1", ["S-A", "S-B"]),
            ("unit=C1", ["S-A"]),
            ("unit=X", ["S-E"]),
            ("unit=P&domain=hydrology", ["S-A", "S-B", "S-D"]),
            ("domain=air", ["S-C"]),
            ("domain=nothing", []),
            ("status=online", ["S-A", "S-E"]),
            ("status=stale", ["S-B"]),
            ("status=offline", ["S-C"]),
            ("status=unknown", ["S-D"]),
            ("status=online&unit=D1", ["S-A"]),
            // An hour-old reading is recent enough with a two-hour threshold.
            ("status=online&stale_after_seconds=7200", ["S-A", "S-B", "S-E"]),
            ("status=stale&stale_after_seconds=7200", []),
            // With a one-minute threshold, S-A (30 s) stays online, S-E (10 s) too.
            ("status=stale&stale_after_seconds=60", ["S-B"]),
        ]
        try await withAPI { http, _, _ in
            for (query, expected) in cases {
                let (status, body) = try await Self.get(http, "/api/v1/stations?\(query)")
                #expect(status == .ok, "\(query)")
                #expect(Self.codes(body["stations"]) == expected, "\(query)")
                #expect(body["next_cursor"] is NSNull, "\(query)")
            }
        }
    }

    @Test("a station carries its unit, gateway, position, attributes, status, newest reading time and sensors")
    func stationFields() async throws {
        try await withAPI { http, _, now in
            let (_, body) = try await Self.get(http, "/api/v1/stations?unit=D1")
            let stations = try #require(body["stations"] as? [[String: Any]])
            try #require(Self.codes(stations) == ["S-A", "S-B"])
            let a = stations[0]
            #expect(a["code"] as? String == "S-A" && a["name"] as? String == "Trạm A" && a["domain"] as? String == "hydrology")
            #expect(a["unit"] as? String == "C1" && a["gateway"] as? String == "GW-ON")
            #expect(a["lat"] as? Double == 13.1 && a["lon"] as? Double == 109.2)
            #expect(a["status"] as? String == "online")
            #expect(a["last_reading_at"] as? String == now.adding(seconds: -30).rfc3339)
            let levels = (a["attributes"] as? [String: Any])?["alarm_levels"] as? [String: Any]
            #expect(levels?["II"] as? Double == 2.7)
            let sensors = try #require(a["sensors"] as? [[String: Any]])
            #expect(sensors.compactMap { $0["metric"] as? String } == ["rain", "water_level"])
            #expect(sensors.compactMap { $0["unit"] as? String } == ["mm", "m"])
            let b = stations[1]
            #expect(b["lat"] is NSNull && b["lon"] is NSNull && b["status"] as? String == "stale")
            let (_, all) = try await Self.get(http, "/api/v1/stations?unit=X")
            let e = try #require((all["stations"] as? [[String: Any]])?.first)
            #expect(e["gateway"] is NSNull && e["status"] as? String == "online")
            let (_, unknown) = try await Self.get(http, "/api/v1/stations?status=unknown")
            #expect((unknown["stations"] as? [[String: Any]])?.first?["last_reading_at"] is NSNull)
        }
    }

    @Test("keyset paging: every station exactly once, in order, and next_cursor null on the last page")
    func paging() async throws {
        try await withAPI { http, client, _ in
            for (query, pages) in [("limit=2", [["S-A", "S-B"], ["S-C", "S-D"], ["S-E"]]),
                                   ("limit=3&unit=P", [["S-A", "S-B", "S-C"], ["S-D"]]),
                                   ("limit=1&status=online", [["S-A"], ["S-E"]]),
                                   ("limit=5", [["S-A", "S-B", "S-C", "S-D", "S-E"]])] {
                var cursor: String?
                var seen: [[String]] = []
                repeat {
                    let uri = "/api/v1/stations?\(query)" + (cursor.map { "&cursor=\($0)" } ?? "")
                    let (status, body) = try await Self.get(http, uri)
                    #expect(status == .ok)
                    seen.append(Self.codes(body["stations"]))
                    cursor = body["next_cursor"] as? String
                } while cursor != nil && seen.count < 10
                #expect(seen == pages, "\(query)")
            }
            // A station added between pages after the cursor shows up; the cursor does not skip or repeat.
            let (_, first) = try await Self.get(http, "/api/v1/stations?limit=2")
            let cursor = try #require(first["next_cursor"] as? String)
            try await client.query("""
                INSERT INTO stations (code, name, unit_id, domain) SELECT 'S-AA', 'Trạm AA', id, 'hydrology' FROM admin_units WHERE code = 'P'
                """)
            try await client.query("""
                INSERT INTO stations (code, name, unit_id, domain) SELECT 'S-BB', 'Trạm BB', id, 'hydrology' FROM admin_units WHERE code = 'P'
                """)
            let (_, second) = try await Self.get(http, "/api/v1/stations?limit=2&cursor=\(cursor)")
            #expect(Self.codes(second["stations"]) == ["S-BB", "S-C"])
        }
    }

    @Test("bad station parameters are 400s naming the parameter; unknown units and stations are 404s naming them")
    func stationErrors() async throws {
        let cases: [(String, HTTPResponse.Status, String, String)] = [
            ("/api/v1/stations?limit=0", .badRequest, "limit", "1 to 1000"),
            ("/api/v1/stations?limit=1001", .badRequest, "limit", "'1001'"),
            ("/api/v1/stations?limit=ten", .badRequest, "limit", "'ten'"),
            ("/api/v1/stations?cursor=%21%21", .badRequest, "cursor", "next_cursor"),
            ("/api/v1/stations?status=broken", .badRequest, "status", "'broken'"),
            ("/api/v1/stations?stale_after_seconds=5", .badRequest, "stale_after_seconds", "60 to 604800"),
            ("/api/v1/stations?unit=NOPE", .notFound, "unit", "NOPE"),
            ("/api/v1/stations.geojson?unit=NOPE", .notFound, "unit", "NOPE"),
            ("/api/v1/stations.geojson?status=broken", .badRequest, "status", "'broken'"),
            ("/api/v1/sensors?station=S-NOPE", .notFound, "station", "S-NOPE"),
            ("/api/v1/latest?station=S-NOPE", .notFound, "station", "S-NOPE"),
            ("/api/v1/latest?unit=NOPE", .notFound, "unit", "NOPE"),
            ("/api/v1/summary?unit=NOPE", .notFound, "unit", "NOPE"),
        ]
        try await withAPI { http, _, _ in
            for (uri, expectedStatus, field, says) in cases {
                let (status, body) = try await Self.get(http, uri)
                #expect(status == expectedStatus, "\(uri)")
                let error = try Self.error(body)
                #expect(error.field == field, "\(uri)")
                #expect(error.message.contains(says), "\(uri): \(error.message)")
            }
        }
    }

    @Test("GeoJSON: points with [lon, lat], stations without coordinates counted in skipped, status and latest values in properties")
    func geojson() async throws {
        try await withAPI { http, _, now in
            let response = try await http.execute(uri: "/api/v1/stations.geojson?unit=D1", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("application/geo+json") == true)
            let body = try Self.object(response)
            #expect(body["type"] as? String == "FeatureCollection")
            #expect(body["skipped"] as? Int == 1)
            let features = try #require(body["features"] as? [[String: Any]])
            #expect(features.count == 1)
            let a = try #require(features.first)
            #expect(a["type"] as? String == "Feature")
            let geometry = try #require(a["geometry"] as? [String: Any])
            #expect(geometry["type"] as? String == "Point")
            #expect(geometry["coordinates"] as? [Double] == [109.2, 13.1])
            let properties = try #require(a["properties"] as? [String: Any])
            #expect(properties["code"] as? String == "S-A" && properties["unit"] as? String == "C1" && properties["status"] as? String == "online")
            let latest = try #require(properties["latest"] as? [String: [String: Any]])
            #expect(Set(latest.keys) == ["rain", "water_level"])
            #expect(latest["water_level"]?["value"] as? Double == 2.9 && latest["water_level"]?["unit"] as? String == "m")
            #expect(latest["water_level"]?["ts"] as? String == now.adding(seconds: -30).rfc3339)

            let (_, all) = try await Self.get(http, "/api/v1/stations.geojson?domain=hydrology")
            #expect(all["skipped"] as? Int == 1)
            let codes = ((all["features"] as? [[String: Any]]) ?? []).compactMap { ($0["properties"] as? [String: Any])?["code"] as? String }
            #expect(codes == ["S-A", "S-D"])
            let d = ((all["features"] as? [[String: Any]])?.last?["properties"] as? [String: Any])
            #expect(d?["status"] as? String == "unknown" && (d?["latest"] as? [String: Any])?.isEmpty == true)
        }
    }

    @Test("sensors of a station, or all; latest values in bulk by unit subtree, domain or station")
    func sensorsAndLatest() async throws {
        try await withAPI { http, client, now in
            var (status, body) = try await Self.get(http, "/api/v1/sensors?station=S-A")
            #expect(status == .ok)
            let sensors = try #require(body["sensors"] as? [[String: Any]])
            #expect(sensors.compactMap { $0["metric"] as? String } == ["rain", "water_level"])
            let waterLevel = try await sensorID(client, station: "S-A", metric: "water_level")
            #expect(sensors.last?["id"] as? Int == Int(waterLevel) && sensors.last?["station"] as? String == "S-A")
            (_, body) = try await Self.get(http, "/api/v1/sensors")
            #expect((body["sensors"] as? [[String: Any]])?.count == 6)

            for (query, expected) in [("unit=D1", ["S-A/rain", "S-A/water_level", "S-B/water_level"]),
                                      ("unit=P", ["S-A/rain", "S-A/water_level", "S-B/water_level", "S-C/pm2_5"]),
                                      ("domain=air", ["S-C/pm2_5"]),
                                      ("station=S-E", ["S-E/vehicle_count"]),
                                      ("station=S-D", []),
                                      ("", ["S-A/rain", "S-A/water_level", "S-B/water_level", "S-C/pm2_5", "S-E/vehicle_count"])] {
                (status, body) = try await Self.get(http, "/api/v1/latest?\(query)")
                #expect(status == .ok)
                let values = try #require(body["values"] as? [[String: Any]])
                #expect(values.map { "\($0["station"] as? String ?? "?")/\($0["metric"] as? String ?? "?")" } == expected, "\(query)")
                #expect(body["count"] as? Int == expected.count)
            }
            (_, body) = try await Self.get(http, "/api/v1/latest?station=S-B")
            let b = try #require((body["values"] as? [[String: Any]])?.first)
            #expect(b["value"] as? Double == 1.8 && b["unit"] as? String == "m" && b["ts"] as? String == now.adding(seconds: -3600).rfc3339)
        }
    }

    struct HistoryBody: Decodable {
        struct Series: Decodable {
            struct Point: Decodable, Equatable { var t: String; var min: Double; var max: Double; var avg: Double; var sum: Double; var count: Int }
            var sensor: Int32; var station: String; var metric: String; var unit: String; var points: [Point]
        }
        var step: String; var automatic: Bool; var sources: [String]; var raw_from: String?; var series: [Series]
    }

    static func history(_ http: any TestClientProtocol, _ query: String) async throws -> HistoryBody {
        let response = try await http.execute(uri: "/api/v1/history?\(query)", method: .get)
        #expect(response.status == .ok, "\(query): \(String(buffer: response.body))")
        return try JSONDecoder().decode(HistoryBody.self, from: Data(buffer: response.body))
    }

    static func first(_ body: HistoryBody) throws -> HistoryBody.Series {
        try #require(body.series.first)
    }

    static func point(_ t: Timestamp, _ values: [Double]) -> HistoryBody.Series.Point {
        .init(t: t.rfc3339, min: values.min()!, max: values.max()!, avg: values.reduce(0, +) / Double(values.count), sum: values.reduce(0, +), count: values.count)
    }

    @Test("open-data export: CSV and JSON of a unit subtree and time range, streamed, with station metadata; bad requests say what to fix")
    func export() async throws {
        try await withAPI { http, client, now in
            let level = try await sensorID(client, station: "S-A", metric: "water_level")
            let rain = try await sensorID(client, station: "S-A", metric: "rain")
            let air = try await sensorID(client, station: "S-C", metric: "pm2_5")
            let start = now.adding(seconds: -3600)
            try await PartitionMaintenance.ensure(client: client, from: start.adding(seconds: -86_400), to: now, logger: env.logger)
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger)
            // 2,000 water levels (more than one streamed chunk of CSV), 2 rain values, 1 air value outside D1.
            await writer.writeWithRetryForTesting((0..<2000).map { Reading(sensorID: level, time: start.adding(seconds: Double($0)), value: 1 + Double($0) / 1000) }
                + [Reading(sensorID: rain, time: start, value: 2.5), Reading(sensorID: rain, time: start.adding(seconds: 60), value: 0),
                   Reading(sensorID: air, time: start, value: 35)])
            let range = "from=\(start.adding(seconds: -1).rfc3339)&to=\(now.rfc3339)".replacingOccurrences(of: "+", with: "%2B")

            var response = try await http.execute(uri: "/api/v1/export?unit=D1&\(range)&format=csv", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
            #expect(response.headers[.contentDisposition]?.contains("attachment; filename=\"ioc-readings_D1_") == true)
            let lines = String(buffer: response.body).split(separator: "\n").map(String.init)
            #expect(lines.first == "station_code,station_name,domain,unit_code,unit_name,lat,lon,sensor_id,metric,unit,ts,value")
            #expect(lines.count == 1 + 2002, "2,000 water levels and 2 rain values; the air station is in D2")
            #expect(lines[1] == "S-A,Trạm A,hydrology,C1,Xã 1,13.1,109.2,\(level),water_level,m,\(start.rfc3339),1.0")
            #expect(lines.last?.hasPrefix("S-A,Trạm A,hydrology,C1,Xã 1,13.1,109.2,\(rain),rain,mm,") == true)

            response = try await http.execute(uri: "/api/v1/export?station=S-C&\(range)&format=json", method: .get)
            #expect(response.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            let meta = try #require(json["meta"] as? [String: Any])
            let stations = try #require(meta["stations"] as? [[String: Any]])
            #expect(stations.count == 1 && stations[0]["code"] as? String == "S-C" && stations[0]["unit_code"] as? String == "D2")
            #expect((stations[0]["sensors"] as? [[String: Any]])?.first?["metric"] as? String == "pm2_5")
            let readings = try #require(json["readings"] as? [[Any]])
            #expect(readings.count == 1 && readings[0][0] as? Int == Int(air) && readings[0][2] as? Double == 35)

            let cases: [(String, HTTPResponse.Status, String)] = [
                ("format=xml&\(range)", .badRequest, "format"),
                ("unit=D1", .badRequest, "from"),
                ("from=yesterday", .badRequest, "from"),
                ("from=2025-01-01T00:00:00Z&to=2026-06-01T00:00:00Z", .badRequest, "to"),
                ("unit=NOWHERE&\(range)", .notFound, "unit"),
                ("station=S-NOPE&\(range)", .notFound, "station"),
            ]
            for (query, status, field) in cases {
                let (got, body) = try await Self.get(http, "/api/v1/export?\(query)")
                #expect(got == status, "\(query)")
                #expect(try Self.error(body).field == field, "\(query)")
            }
            // A NUL character cannot reach PostgreSQL: a 400 that says so, not a 503.
            let (got, body) = try await Self.get(http, "/api/v1/export?station=S%00A&\(range)")
            #expect(got == .badRequest)
            #expect(try Self.error(body).code == "invalid_text")
        }
    }

    @Test("history: raw readings, 1m and 1h from the rollups, 1d summed from 1h, auto step, and the newest minutes before the rollups have them")
    func history() async throws {
        try await withAPI { http, client, now in
            let level = try await sensorID(client, station: "S-A", metric: "water_level")
            let rain = try await sensorID(client, station: "S-A", metric: "rain")
            let hour: Int64 = 3_600_000_000
            // Two whole hours, starting 30 hours ago at the top of an hour.
            let h0 = Timestamp(microseconds: (now.microseconds / hour) * hour - 30 * hour)
            let dayStart = Timestamp(microseconds: (h0.microseconds / (24 * hour)) * 24 * hour)
            try await PartitionMaintenance.ensure(client: client, from: h0.adding(seconds: -86_400), to: now, logger: env.logger)
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger)
            let old: [(Double, Double)] = [(0, 1.0), (30, 3.0), (60, 5.0), (3660, 7.0)]
            await writer.writeWithRetryForTesting(old.map { Reading(sensorID: level, time: h0.adding(seconds: $0.0), value: $0.1) })
            try await RollupService(client: client, logger: env.logger).runOnce()

            let range = "from=\(h0.rfc3339)&to=\(h0.adding(seconds: 7200).rfc3339)"
            var body = try await Self.history(http, "sensor=\(level)&\(range)&step=1m")
            #expect(body.step == "1m" && !body.automatic && body.sources == ["readings_1m"] && body.raw_from == nil)
            let series = try Self.first(body)
            #expect(body.series.count == 1 && series.station == "S-A" && series.metric == "water_level" && series.unit == "m")
            #expect(try Self.first(body).points == [Self.point(h0, [1, 3]), Self.point(h0.adding(seconds: 60), [5]), Self.point(h0.adding(seconds: 3660), [7])])

            body = try await Self.history(http, "sensor=\(level)&\(range)&step=1h")
            #expect(body.sources == ["readings_1h"])
            #expect(try Self.first(body).points == [Self.point(h0, [1, 3, 5]), Self.point(h0.adding(seconds: 3600), [7])])

            body = try await Self.history(http, "sensor=\(level)&\(range)&step=1d")
            #expect(try Self.first(body).points == [Self.point(dayStart, [1, 3, 5, 7])])

            body = try await Self.history(http, "sensor=\(level)&\(range)&step=raw")
            #expect(body.sources == ["readings"])
            let raw = try Self.first(body).points
            #expect(raw.map(\.sum) == [1, 3, 5, 7] && raw.allSatisfy { $0.count == 1 })
            #expect(raw.first?.t == h0.rfc3339)

            // The range is two hours: auto picks minutes.
            body = try await Self.history(http, "sensor=\(level)&\(range)")
            #expect(body.step == "1m" && body.automatic)
            body = try await Self.history(http, "sensor=\(level)&from=\(now.adding(seconds: -30 * 86_400).rfc3339)&to=\(now.rfc3339)&step=auto")
            #expect(body.step == "1h" && body.automatic)
            #expect(try Self.first(body).points.reduce(0) { $0 + $1.count } == 4)
            body = try await Self.history(http, "sensor=\(level)&from=\(now.adding(seconds: -100 * 86_400).rfc3339)&to=\(now.rfc3339)&step=auto")
            #expect(body.step == "1d" && body.automatic)

            // Old buckets really come from the rollups: with the raw readings gone, 1h still has them and raw has none.
            try await client.query("DELETE FROM readings WHERE sensor_id = \(level)")
            body = try await Self.history(http, "sensor=\(level)&\(range)&step=1h")
            #expect(try Self.first(body).points == [Self.point(h0, [1, 3, 5]), Self.point(h0.adding(seconds: 3600), [7])])
            body = try await Self.history(http, "sensor=\(level)&\(range)&step=raw")
            #expect(try Self.first(body).points.isEmpty)

            // Readings of the last minutes, not folded into the rollups yet, are still in the newest buckets.
            await writer.writeWithRetryForTesting([Reading(sensorID: rain, time: now.adding(seconds: -90), value: 2),
                                                   Reading(sensorID: rain, time: now.adding(seconds: -30), value: 3)])
            #expect(try await count(client, "SELECT count(*) FROM readings_1m WHERE sensor_id = \(rain)") == 0)
            let recent = "from=\(now.adding(seconds: -600).rfc3339)&to=\(now.adding(seconds: 1).rfc3339)"
            for step in ["1m", "1h", "1d"] {
                body = try await Self.history(http, "sensor=\(rain),\(level)&\(recent)&step=\(step)")
                #expect(body.sources.contains("readings") && body.raw_from != nil, "\(step)")
                try #require(body.series.map(\.sensor) == [rain, level], "\(step)")
                let points = try Self.first(body).points
                #expect(points.reduce(0) { $0 + $1.count } == 2 && points.reduce(0) { $0 + $1.sum } == 5, "\(step)")
                #expect(body.series[1].points.isEmpty, "\(step)")
            }
        }
    }

    @Test("history limits are 400s that say what to fix; unknown sensors are a 404 naming them")
    func historyErrors() async throws {
        try await withAPI { http, _, now in
            let to = now.rfc3339
            let cases: [(String, HTTPResponse.Status, String, String)] = [
                ("from=\(now.adding(seconds: -3600).rfc3339)&to=\(to)", .badRequest, "sensor", "required"),
                ("sensor=1,abc&from=\(now.adding(seconds: -3600).rfc3339)&to=\(to)", .badRequest, "sensor", "'abc'"),
                ("sensor=\((1...51).map(String.init).joined(separator: ","))&from=\(now.adding(seconds: -3600).rfc3339)&to=\(to)", .badRequest, "sensor", "at most 50"),
                ("sensor=1&from=last-week&to=\(to)", .badRequest, "from", "RFC 3339"),
                ("sensor=1&from=\(now.adding(seconds: -3 * 86_400).rfc3339)&to=\(to)&step=raw", .badRequest, "step", "at most 2 days"),
                ("sensor=1&from=\(now.adding(seconds: -401 * 86_400).rfc3339)&to=\(to)", .badRequest, "to", "at most 400 days"),
                ("sensor=1&from=\(to)&to=\(now.adding(seconds: -60).rfc3339)", .badRequest, "to", "later than from"),
                ("sensor=1&from=\(now.adding(seconds: -3600).rfc3339)&to=\(to)&step=weekly", .badRequest, "step", "'weekly'"),
                ("sensor=1,999999&from=\(now.adding(seconds: -3600).rfc3339)&to=\(to)", .notFound, "sensor", "999999"),
            ]
            for (query, expectedStatus, field, says) in cases {
                let encoded = query.replacingOccurrences(of: "+", with: "%2B")
                let (status, body) = try await Self.get(http, "/api/v1/history?\(encoded)")
                #expect(status == expectedStatus, "\(query)")
                let error = try Self.error(body)
                #expect(error.field == field, "\(query)")
                #expect(error.message.contains(says), "\(query): \(error.message)")
            }
        }
    }

    @Test("summary per unit and domain: status counts, open alerts by severity, the highest water level against its alarm levels")
    func summary() async throws {
        try await withAPI { http, client, now in
            // Open: critical in C1 (hydrology), warning in D2 (air); resolved ones do not count.
            for (station, domain, path, severity, state) in [("S-A", "hydrology", ["C1", "D1", "P"], "critical", "firing"),
                                                             ("S-C", "air", ["D2", "P"], "warning", "acknowledged"),
                                                             ("S-A", "hydrology", ["C1", "D1", "P"], "critical", "resolved")] {
                try await client.query("""
                    INSERT INTO alerts (rule_id, rule_name, subject, subject_key, sensor_id, station_code, station_name, metric, unit, domain, unit_path, state, severity, value, opened_at)
                    VALUES (NULL, 'r', 'sensor', '1', 1, \(station), 'n', 'm', 'u', \(domain), \(path), \(state), \(severity), 1, \(now))
                    """)
            }
            var (status, body) = try await Self.get(http, "/api/v1/summary")
            #expect(status == .ok)
            #expect(body["total"] is NSNull && body["unit"] is NSNull)
            var groups = try #require(body["groups"] as? [[String: Any]])
            try #require(groups.compactMap { ($0["unit"] as? [String: Any])?["code"] as? String } == ["P", "X"])
            var p = Self.domains(groups[0])
            #expect(Array(p.keys).sorted() == ["air", "hydrology"])
            #expect(p["hydrology"]?["stations"] as? [String: Int] == ["online": 1, "stale": 1, "unknown": 1, "offline": 0, "total": 3])
            #expect(p["air"]?["stations"] as? [String: Int] == ["online": 0, "stale": 0, "unknown": 0, "offline": 1, "total": 1])
            #expect(p["hydrology"]?["open_alerts"] as? [String: Int] == ["info": 0, "warning": 0, "critical": 1, "total": 1])
            #expect(p["air"]?["open_alerts"] as? [String: Int] == ["info": 0, "warning": 1, "critical": 0, "total": 1])
            let water = try #require(p["hydrology"]?["highest_water_level"] as? [String: Any])
            #expect(water["station"] as? String == "S-A" && water["value"] as? Double == 2.9)
            #expect(water["level_reached"] as? String == "II" && water["next_level"] as? String == "III")
            #expect(abs((water["margin_to_next"] as? Double ?? 0) - 0.8) < 1e-9)
            #expect(p["air"]?["highest_water_level"] is NSNull && p["air"]?["worst_aqi_band"] is NSNull)
            #expect(Self.domains(groups[1])["traffic"]?["stations"] as? [String: Int] == ["online": 1, "stale": 0, "unknown": 0, "offline": 0, "total": 1])

            // Broken down by P's districts; S-D, attached to P itself, only in the total.
            (status, body) = try await Self.get(http, "/api/v1/summary?unit=P&domain=hydrology")
            #expect(status == .ok)
            groups = try #require(body["groups"] as? [[String: Any]])
            try #require(groups.compactMap { ($0["unit"] as? [String: Any])?["code"] as? String } == ["D1", "D2"])
            let d1 = Self.domains(groups[0])
            #expect(Array(d1.keys) == ["hydrology"])
            #expect(d1["hydrology"]?["stations"] as? [String: Int] == ["online": 1, "stale": 1, "unknown": 0, "offline": 0, "total": 2])
            #expect(Self.domains(groups[1]).isEmpty)
            let total = try #require(body["total"] as? [String: Any])
            p = Self.domains(total)
            #expect(Array(p.keys) == ["hydrology"] && (p["hydrology"]?["stations"] as? [String: Int])?["total"] == 3)

            // A unit without children is its own group.
            (_, body) = try await Self.get(http, "/api/v1/summary?unit=C1")
            groups = try #require(body["groups"] as? [[String: Any]])
            #expect(groups.compactMap { ($0["unit"] as? [String: Any])?["code"] as? String } == ["C1"])

            // S-B rising to 3.8 (level III) is now the most alarming one in D1.
            let sb = try await sensorID(client, station: "S-B", metric: "water_level")
            try await client.query("UPDATE latest_values SET value = 3.8 WHERE sensor_id = \(sb)")
            (_, body) = try await Self.get(http, "/api/v1/summary?unit=P")
            let rising = Self.domains(try #require((body["groups"] as? [[String: Any]])?.first))["hydrology"]?["highest_water_level"] as? [String: Any]
            #expect(rising?["station"] as? String == "S-B" && rising?["level_reached"] as? String == "III" && rising?["next_level"] is NSNull)
        }
    }

    static func domains(_ group: [String: Any]) -> [String: [String: Any]] {
        var result: [String: [String: Any]] = [:]
        for domain in (group["domains"] as? [[String: Any]]) ?? [] {
            if let name = domain["domain"] as? String { result[name] = domain }
        }
        return result
    }

    @Test("the four layouts in dashboards/ are served, each widget titled in Vietnamese and English")
    func layouts() async throws {
        try await withAPI { http, _, _ in
            let (status, body) = try await Self.get(http, "/api/v1/dashboards")
            #expect(status == .ok)
            let list = try #require(body["dashboards"] as? [[String: Any]])
            let names = list.compactMap { $0["name"] as? String }
            #expect(names == ["air-quality", "flood-watch", "province-overview", "traffic"])
            #expect(list.allSatisfy { ($0["title_vi"] as? String)?.isEmpty == false && ($0["title_en"] as? String)?.isEmpty == false })
            var types = Set<String>()
            for name in names {
                let (status, layout) = try await Self.get(http, "/api/v1/dashboards/\(name)")
                #expect(status == .ok)
                #expect(layout["name"] as? String == name)
                let widgets = try #require(layout["widgets"] as? [[String: Any]])
                for widget in widgets {
                    #expect(widget["title_vi"] is String && widget["title_en"] is String, "\(name): \(widget)")
                    if let type = widget["type"] as? String { types.insert(type) }
                }
            }
            #expect(types.isSuperset(of: ["map", "water_levels", "rainfall_bars", "aqi", "traffic", "alert_list", "clock", "data_age"]))
        }
    }

    @Test("layout names cannot leave the layouts directory")
    func layoutNames() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("layouts-\(UUID().uuidString)")
        let directory = base.appendingPathComponent("dashboards")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try Data(#"{"name":"secret","title_vi":"bí mật","title_en":"secret","widgets":[]}"#.utf8).write(to: base.appendingPathComponent("secret.json"))
        try Data(#"{"name":"ok","title_vi":"được","title_en":"ok","widgets":[]}"#.utf8).write(to: directory.appendingPathComponent("ok.json"))
        try Data("not json".utf8).write(to: directory.appendingPathComponent("broken.json"))
        try await withAPI(layouts: directory) { http, _, _ in
            let (_, list) = try await Self.get(http, "/api/v1/dashboards")
            #expect(((list["dashboards"] as? [[String: Any]]) ?? []).compactMap { $0["name"] as? String } == ["ok"])
            #expect(try await http.execute(uri: "/api/v1/dashboards/ok", method: .get).status == .ok)
            for (path, expected) in [("ok.json", HTTPResponse.Status.badRequest), ("OK", .badRequest), (".hidden", .badRequest),
                                     ("-ok", .badRequest), ("missing", .notFound)] {
                let response = try await http.execute(uri: "/api/v1/dashboards/\(path)", method: .get)
                #expect(response.status == expected, "\(path)")
                #expect(try Self.error(try Self.object(response)).message.contains("GET /api/v1/dashboards lists them"), "\(path)")
            }
            // Encoded separators: refused by the name check or not routed at all, never the file.
            for path in ["..", "..%2Fsecret", "%2E%2E%2Fsecret", "..%5Csecret"] {
                let response = try await http.execute(uri: "/api/v1/dashboards/\(path)", method: .get)
                #expect(response.status == .badRequest || response.status == .notFound, "\(path): \(response.status)")
                #expect(!String(buffer: response.body).contains("bí mật"), "\(path)")
            }
            // Not a route at all: the secret is not reachable through more path segments either.
            let nested = try await http.execute(uri: "/api/v1/dashboards/../secret", method: .get)
            #expect(nested.status != .ok && !String(buffer: nested.body).contains("bí mật"))
        }
    }

    @Test("/openapi.yaml describes every dashboard endpoint and the existing API")
    func openAPI() async throws {
        try await withAPI { http, _, _ in
            let response = try await http.execute(uri: "/openapi.yaml", method: .get)
            #expect(response.status == .ok)
            let text = String(buffer: response.body)
            #expect(text.hasPrefix("openapi: 3.1.0"))
            for path in ["/api/v1/units:", "/api/v1/stations:", "/api/v1/stations.geojson:", "/api/v1/sensors:", "/api/v1/latest:", "/api/v1/history:",
                         "/api/v1/summary:", "/api/v1/dashboards:", "/api/v1/dashboards/{name}:", "/api/v1/rules/{id}/enable:",
                         "/api/v1/alerts/{id}/comments:", "/api/v1/silences/{id}:", "/api/v1/rotas/{id}/on-call:", "/api/v1/escalation-policies/{id}:",
                         "/api/v1/contacts/{id}:"] {
                #expect(text.contains("\n  \(path)\n"), "\(path)")
            }
        }
    }
}
