import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAPI
import IOCCore
import IOCStorage
import PostgresNIO
import Testing

/// Tokens limited to an administrative unit, through the whole router against a real PostgreSQL:
/// every route, every scoped role; nothing from outside the unit in any answer, and what is
/// outside answers as what does not exist.
extension AccessTests {
    /// Province P: district D1 (commune C1) is the scope; D2, P itself and province X are outside.
    /// Inside: S-A (C1), S-B (D1). Outside: S-C (D2, gateway GW-OFF), S-D (P), S-E (X).
    static let outside = ["S-C", "S-D", "S-E", "GW-OFF", "Trạm C", "Trạm D", "Trạm E", "Huyện 2", "Tỉnh X", #""D2""#, #""X""#]

    struct Seeded {
        var insideAlert: Int64
        var outsideAlert: Int64
        var gatewayAlert: Int64
        var insideSensor: Int32
        var outsideSensor: Int32
        var insideSilence: Int64
        var outsideSilences: [Int64]
    }

    func seedScopeData(_ client: PostgresClient, now: Timestamp) async throws -> Seeded {
        _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(DashboardAPITests.registry)
        try await PartitionMaintenance.ensure(client: client, from: now.adding(seconds: -2 * 86_400), to: now, logger: env.logger)
        let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger)
        var readings: [Reading] = []
        for (station, metric) in [("S-A", "water_level"), ("S-A", "rain"), ("S-B", "water_level"), ("S-C", "pm2_5"), ("S-D", "water_level"), ("S-E", "vehicle_count")] {
            let sensor = try await sensorID(client, station: station, metric: metric)
            readings += (0..<30).map { Reading(sensorID: sensor, time: now.adding(seconds: Double(-60 * $0)), value: 2 + Double($0) / 10) }
        }
        await writer.writeWithRetryForTesting(readings)
        try await client.query("INSERT INTO latest_values (sensor_id, ts, value) SELECT sensor_id, max(ts), 1 FROM readings GROUP BY sensor_id")
        func alert(_ subject: String, _ key: String, station: String?, name: String?, path: String) async throws -> Int64 {
            let rows = try await client.query("""
                INSERT INTO alerts (rule_id, rule_name, subject, subject_key, station_code, station_name, gateway_code, metric, unit, domain,
                    unit_path, state, severity, level, value, opened_at, fired_at)
                VALUES (NULL, 'Báo động', \(subject), \(key), \(station), \(name), \(subject == "gateway" ? key : nil), 'water_level', 'm', 'hydrology',
                    \(path)::text[], 'firing', 'warning', 'II', 3.0, now(), now())
                RETURNING id
                """)
            for try await id in rows.decode(Int64.self) { return id }
            throw TestSetupError("no alert")
        }
        func silence(_ matchers: String) async throws -> Int64 {
            let rows = try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment)
                VALUES ('\(matchers)'::jsonb, now() - interval '1 hour', now() + interval '1 day', 'test', 'bảo trì') RETURNING id
                """))
            for try await id in rows.decode(Int64.self) { return id }
            throw TestSetupError("no silence")
        }
        return Seeded(
            insideAlert: try await alert("station", "S-A", station: "S-A", name: "Trạm A", path: "{C1,D1,P}"),
            outsideAlert: try await alert("station", "S-C", station: "S-C", name: "Trạm C", path: "{D2,P}"),
            gatewayAlert: try await alert("gateway", "GW-OFF", station: nil, name: nil, path: "{D2,P}"),
            insideSensor: try await sensorID(client, station: "S-A", metric: "water_level"),
            outsideSensor: try await sensorID(client, station: "S-C", metric: "pm2_5"),
            insideSilence: try await silence(#"{"unit":"D1"}"#),
            outsideSilences: [try await silence(#"{"station":"S-C"}"#), try await silence(#"{"unit":"P"}"#), try await silence(#"{"rule":"Báo động"}"#)])
    }

    @Test("a token limited to a unit: refused (403) the province-wide routes, and no route answers it with anything from outside its unit")
    func scopedTokens() async throws {
        try await env.withFreshDatabase { client, _ in
            let now = Timestamp.now
            let seeded = try await seedScopeData(client, now: now)
            var scoped: [Role: String] = [:]
            for role in [Role.display, .viewer, .operator] {
                scoped[role] = try await makeToken(client, role, name: "d1-\(role.rawValue)", unit: "D1")
            }
            let tokens = scoped
            let admin = try await makeToken(client, .admin, name: "province-admin")
            let router = try makeRouter(client)
            let routes = router.routes.map { (method: $0.method.rawValue, path: $0.path.description) }
            let policy = RoutePolicy(metricsOpen: false)
            let range = "from=\(now.adding(seconds: -7200).rfc3339)&to=\(now.adding(seconds: 60).rfc3339)".replacingOccurrences(of: "+", with: "%2B")

            try await Application(router: router).test(.router) { http in
                // Creating a scoped admin is refused; a scoped operator is made through the API too.
                let provincial = AuthorizedClient(http, token: admin)
                var response = try await provincial.execute(uri: "/api/v1/tokens", method: .post, body: ByteBuffer(string: #"{"name":"x","role":"admin","unit":"D1"}"#))
                #expect(response.status == .badRequest)
                response = try await provincial.execute(uri: "/api/v1/tokens", method: .post, body: ByteBuffer(string: #"{"name":"d2-viewer","role":"viewer","unit":"D2"}"#))
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains(#""unit":"D2""#))

                // 1. Every route × every scoped role: the policy's decision, and the scope's refusals.
                for route in routes {
                    let uri = Self.uri(route.path)
                    for (role, token) in tokens {
                        let grant = AccessGrant(tokenID: 0, name: "x", role: role, unit: "D1")
                        let allowed = policy.decide(method: route.method, path: route.path, grant: grant) == .allow
                        let response = try await AuthorizedClient(http, token: token).execute(uri: uri, method: HTTPRequest.Method(route.method)!)
                        if allowed {
                            #expect(response.status != .unauthorized && response.status != .forbidden,
                                    "scoped \(role) may \(route.method) \(uri), got \(response.status): \(String(buffer: response.body))")
                        } else {
                            #expect(response.status == .forbidden, "scoped \(role) may not \(route.method) \(uri), got \(response.status)")
                        }
                        let unscoped = policy.decide(method: route.method, path: route.path, grant: AccessGrant(tokenID: 0, name: "x", role: role)) == .allow
                        if !unscoped { #expect(!allowed, "a scope never adds rights: \(route.method) \(route.path)") }
                    }
                }

                // 2. Every GET route a scoped viewer may call, asked about things inside and outside its unit.
                let viewer = AuthorizedClient(http, token: tokens[.viewer]!)
                let variants = ["", "unit=D2", "unit=X", "unit=P", "unit=D1", "station=S-C", "station=S-E", "station=S-D", "station=S-A",
                                "sensor=\(seeded.outsideSensor)", "sensor=\(seeded.insideSensor),\(seeded.outsideSensor)", "sensor=\(seeded.insideSensor)",
                                "gateway=GW-OFF", "domain=air"]
                let ids = ["{id}": [seeded.insideAlert, seeded.outsideAlert, seeded.gatewayAlert, seeded.insideSilence] + seeded.outsideSilences,
                           "{name}": [], "{file}": []]
                var answered = 0
                for route in routes where route.method == "GET" {
                    guard policy.decide(method: route.method, path: route.path, grant: AccessGrant(tokenID: 0, name: "x", role: .viewer, unit: "D1")) == .allow,
                          policy.requirement(method: route.method, path: route.path) != .open else { continue }
                    var paths = [route.path]
                    if route.path.contains("{id}") { paths = ids["{id}"]!.map { route.path.replacingOccurrences(of: "{id}", with: "\($0)") } }
                    if route.path.contains("{name}") { paths = ["flood-watch", "province-overview"].map { route.path.replacingOccurrences(of: "{name}", with: $0) } }
                    for path in paths {
                        for variant in variants {
                            let uri = "\(path)?\(variant)&\(range)"
                            let response = try await viewer.execute(uri: uri, method: .get)
                            let body = String(buffer: response.body)
                            if response.status.code < 300 {
                                answered += 1
                                for marker in Self.outside {
                                    #expect(!body.contains(marker), "GET \(uri) by a D1 token shows \(marker): \(body.prefix(400))")
                                }
                            } else {
                                #expect([400, 404, 426].contains(response.status.code), "GET \(uri): \(response.status) \(body)")
                            }
                        }
                    }
                }
                #expect(answered > 100, "most of the calls are answered")

                // 3. Outside answers exactly as missing: the same status and error code.
                func status(_ uri: String) async throws -> (Int, String?) {
                    let response = try await viewer.execute(uri: uri, method: .get)
                    let error = try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                    return (response.status.code, error?.error.code)
                }
                for (outsideURI, missingURI) in [
                    ("/api/v1/stations?unit=D2", "/api/v1/stations?unit=NO-SUCH"), ("/api/v1/latest?station=S-C", "/api/v1/latest?station=NO-SUCH"),
                    ("/api/v1/sensors?station=S-E", "/api/v1/sensors?station=NO-SUCH"), ("/api/v1/history?sensor=\(seeded.outsideSensor)&\(range)", "/api/v1/history?sensor=999999&\(range)"),
                    ("/api/v1/alerts/\(seeded.outsideAlert)", "/api/v1/alerts/999999"), ("/api/v1/silences/\(seeded.outsideSilences[0])", "/api/v1/silences/999999"),
                    ("/api/v1/units?unit=P", "/api/v1/units?unit=NO-SUCH"), ("/api/v1/export?station=S-C&\(range)", "/api/v1/export?station=NO-SUCH&\(range)"),
                    ("/api/v1/live?unit=D2", "/api/v1/live?unit=NO-SUCH"), ("/api/v1/live?station=S-C", "/api/v1/live?station=NO-SUCH"),
                ] {
                    let (outside, missing) = (try await status(outsideURI), try await status(missingURI))
                    #expect(outside.0 == 404 && outside == missing, "\(outsideURI): \(outside), \(missingURI): \(missing)")
                }

                // 4. What is inside is all there.
                func json(_ uri: String) async throws -> [String: Any] {
                    let response = try await viewer.execute(uri: uri, method: .get)
                    #expect(response.status == .ok, "\(uri): \(String(buffer: response.body))")
                    return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                }
                let units = try await json("/api/v1/units")["units"] as? [[String: Any]]
                #expect(units?.map { $0["code"] as? String } == ["D1"], "the scope is the root of the tree")
                #expect((units?.first?["children"] as? [[String: Any]])?.map { $0["code"] as? String } == ["C1"])
                let stations = try await json("/api/v1/stations")["stations"] as? [[String: Any]]
                #expect(stations?.compactMap { $0["code"] as? String } == ["S-A", "S-B"])
                #expect((try await json("/api/v1/latest")["values"] as? [[String: Any]])?.count == 3)
                #expect((try await json("/api/v1/sensors")["sensors"] as? [[String: Any]])?.count == 3)
                let alerts = try await json("/api/v1/alerts")["alerts"] as? [[String: Any]]
                #expect(alerts?.compactMap { $0["id"] as? Int64 } == [seeded.insideAlert])
                let summary = try await json("/api/v1/summary")
                #expect(summary["unit"] as? String == "D1")
                let silences = try await json("/api/v1/silences")["silences"] as? [[String: Any]]
                #expect(silences?.compactMap { $0["id"] as? Int64 } == [seeded.insideSilence])
                let history = try await json("/api/v1/history?sensor=\(seeded.insideSensor)&\(range)")
                #expect(((history["series"] as? [[String: Any]])?.first?["points"] as? [Any])?.isEmpty == false)
                response = try await viewer.execute(uri: "/api/v1/export?\(range)", method: .get)
                let lines = String(buffer: response.body).split(separator: "\n")
                #expect(response.status == .ok && lines.count == 1 + 90, "S-A's two sensors and S-B's one, 30 readings each")

                // 5. Operators act within their unit only; their silences stay in it.
                let operatorClient = AuthorizedClient(http, token: tokens[.operator]!)
                let by = ByteBuffer(string: #"{"by":"Nguyễn Văn An"}"#)
                #expect(try await operatorClient.execute(uri: "/api/v1/alerts/\(seeded.outsideAlert)/acknowledge", method: .post, body: by).status == .notFound)
                #expect(try await operatorClient.execute(uri: "/api/v1/alerts/\(seeded.gatewayAlert)/assign", method: .post,
                                                         body: ByteBuffer(string: #"{"by":"An","assignee":"Bình"}"#)).status == .notFound)
                #expect(try await operatorClient.execute(uri: "/api/v1/alerts/\(seeded.outsideAlert)/comments", method: .post,
                                                         body: ByteBuffer(string: #"{"by":"An","text":"x"}"#)).status == .notFound)
                #expect(try await operatorClient.execute(uri: "/api/v1/silences/\(seeded.outsideSilences[1])", method: .delete).status == .notFound)
                // (This router's pipeline is not running, so the alert inside is commented on, not acknowledged.)
                response = try await operatorClient.execute(uri: "/api/v1/alerts/\(seeded.insideAlert)/comments", method: .post,
                                                            body: ByteBuffer(string: #"{"by":"An","text":"đã gọi trạm"}"#))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                let window = #""starts_at":"2026-11-27T08:00:00+07:00","ends_at":"2099-11-27T17:00:00+07:00","created_by":"An""#
                response = try await operatorClient.execute(uri: "/api/v1/silences", method: .post, body: ByteBuffer(string: #"{"matchers":{"metric":"water_level"},"# + window + "}"))
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains(#""unit":"D1""#), "confined to the token's unit: \(String(buffer: response.body))")
                for matchers in [#"{"unit":"P"}"#, #"{"station":"S-C"}"#, #"{"unit":"D2","metric":"pm2_5"}"#] {
                    response = try await operatorClient.execute(uri: "/api/v1/silences", method: .post, body: ByteBuffer(string: #"{"matchers":"# + matchers + "," + window + "}"))
                    #expect(response.status == .forbidden, "\(matchers): \(response.status)")
                }
                response = try await operatorClient.execute(uri: "/api/v1/silences", method: .post, body: ByteBuffer(string: #"{"matchers":{"station":"S-B"},"# + window + "}"))
                #expect(response.status == .created)
                // The province-wide admin still sees everything.
                let all = try #require(try JSONSerialization.jsonObject(with: Data(buffer: try await provincial.execute(uri: "/api/v1/stations", method: .get).body)) as? [String: Any])
                #expect((all["stations"] as? [Any])?.count == 5)
            }
        }
    }
}
