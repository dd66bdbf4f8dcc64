import Foundation
import Hummingbird
import HummingbirdTesting
import HummingbirdWSClient
import IOCAPI
import IOCCore
import IOCStorage
import Logging
import PostgresNIO
import Prometheus
import Synchronization
import Testing

/// `/api/v1/live` through a real server and real WebSocket clients, with readings committed by the
/// real writer into a real PostgreSQL and alert events read from `alert_events`.
@Suite("The live feed over WebSockets, with a real PostgreSQL", .serialized)
struct LiveFeedTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    /// The text messages one client received, in order.
    final class Inbox: Sendable {
        private let texts = Mutex<[String]>([])

        func append(_ text: String) { texts.withLock { $0.append(text) } }

        var messages: [[String: Any]] {
            texts.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func of(_ type: String) -> [[String: Any]] { messages.filter { $0["type"] as? String == type } }

        /// Every reading received in frames of `type` (snapshot or readings), in order.
        func readings(_ type: String) -> [(sensor: Int, value: Double)] {
            of(type).flatMap { ($0["readings"] as? [[String: Any]]) ?? [] }.compactMap { reading in
                guard let sensor = reading["sensor"] as? Int, let value = reading["value"] as? Double else { return nil }
                return (sensor, value)
            }
        }
    }

    /// A WebSocket client of `/api/v1/live?query`, presenting `token` as `access_token` as the wall page does.
    func listen(port: Int, _ query: String, token: String?) -> (Inbox, Task<Void, any Error>) {
        let inbox = Inbox()
        let logger = env.logger
        let url = "ws://127.0.0.1:\(port)/api/v1/live?\(query)" + (token.map { "&access_token=\($0)" } ?? "")
        let task = Task {
            try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 22), logger: logger) { inbound, _, _ in
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    if case .text(let text) = message { inbox.append(text) }
                }
            }
            return
        }
        return (inbox, task)
    }

    static func now(_ offset: Double = 0) -> Timestamp { Timestamp(seconds: Date().timeIntervalSince1970 + offset) }

    @Test("subscriptions get a snapshot, then only their own coalesced readings and alert events; a reconnect replays missed events; bad subscriptions are refused")
    func liveFeed() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let level1 = try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
            let rain1 = try await sensorID(client, station: "T-RIVER-1", metric: "rain")
            let level2 = try await sensorID(client, station: "T-RIVER-2", metric: "water_level")
            let hub = LiveHub(client: client, configuration: .init(
                flushInterval: .milliseconds(50), eventPollInterval: .milliseconds(50), heartbeatInterval: .milliseconds(300)), logger: env.logger)
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger) { hub.publish($0.readings) }
            // Stored before the feed starts: the snapshot comes from latest_values.
            await writer.writeWithRetryForTesting([Reading(sensorID: level2, time: Self.now(-60), value: 2.0)])
            let app = APIServer.makeApplication(
                configuration: .init(host: "127.0.0.1", port: 0), readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(),
                access: testAccess(client), live: hub, logger: env.logger)
            let token = try await makeToken(client, .display)
            let districtToken = try await makeToken(client, .display, name: "t-a-wall", unit: "T-A")
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await hub.run() }
                defer { group.cancelAll() }
                #expect(try await eventually(timeout: .seconds(10)) { hub.isReady })
                try await app.test(.live) { raw in
                    let port = try #require(raw.port)
                    let http = AuthorizedClient(raw, token: token)

                    // Without a token, or with a wrong one, neither a request nor a WebSocket gets in.
                    var response = try await raw.execute(uri: "/api/v1/live?unit=T-A", method: .get)
                    #expect(response.status == .unauthorized)
                    #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                    response = try await raw.execute(uri: "/api/v1/live?unit=T-A&access_token=ioc_wrongwrongwrongwrong", method: .get)
                    #expect(response.status == .unauthorized)
                    let (anonymous, task0) = listen(port: port, "unit=T-A", token: nil)
                    let (forged, task00) = listen(port: port, "unit=T-A", token: "ioc_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                    defer { task0.cancel(); task00.cancel() }

                    // A plain request, or a subscription naming what does not exist, says what is wrong.
                    response = try await http.execute(uri: "/api/v1/live?station=T-NOPE", method: .get)
                    #expect(response.status == .notFound)
                    #expect(String(buffer: response.body).contains("no station 'T-NOPE'"))
                    response = try await http.execute(uri: "/api/v1/live?last_event_id=yesterday", method: .get)
                    #expect(response.status == .badRequest)
                    response = try await http.execute(uri: "/api/v1/live?unit=T-A", method: .get)
                    #expect(response.status == .upgradeRequired)

                    let (river1, task1) = listen(port: port, "station=T-RIVER-1&domain=hydrology", token: token)
                    let (river2, task2) = listen(port: port, "station=T-RIVER-2", token: token)
                    let (district, task3) = listen(port: port, "unit=T-A", token: token)
                    // A token limited to T-A asks for everything and gets T-A only; T-RIVER-2 (unit T) does not exist for it.
                    let (scoped, task5) = listen(port: port, "domain=hydrology", token: districtToken)
                    defer { task1.cancel(); task2.cancel(); task3.cancel(); task5.cancel() }
                    response = try await AuthorizedClient(raw, token: districtToken).execute(uri: "/api/v1/live?station=T-RIVER-2", method: .get)
                    #expect(response.status == .notFound)
                    response = try await AuthorizedClient(raw, token: districtToken).execute(uri: "/api/v1/live?unit=T", method: .get)
                    #expect(response.status == .notFound)
                    #expect(try await eventually(timeout: .seconds(10)) {
                        [river1, river2, district, scoped].allSatisfy { !$0.of("hello").isEmpty && !$0.of("snapshot").isEmpty }
                    })
                    #expect(scoped.readings("snapshot").isEmpty, "T-RIVER-2's stored value is outside the token's unit")
                    #expect(river2.readings("snapshot").map(\.sensor) == [Int(level2)])
                    #expect(river2.readings("snapshot").first?.value == 2.0)
                    #expect(river1.readings("snapshot").isEmpty, "T-RIVER-1 has no stored value yet")

                    // Five values of one sensor in one batch: only the newest goes out.
                    let base = Self.now()
                    await writer.writeWithRetryForTesting((0..<5).map { Reading(sensorID: level1, time: base.adding(seconds: Double($0)), value: 1.0 + Double($0)) }
                        + [Reading(sensorID: rain1, time: base, value: 3), Reading(sensorID: level2, time: base, value: 2.5)])
                    #expect(try await eventually(timeout: .seconds(5)) {
                        river1.readings("readings").count >= 2 && !river2.readings("readings").isEmpty && !district.readings("readings").isEmpty
                    })
                    let seen1 = river1.readings("readings")
                    #expect(Set(seen1.map(\.sensor)) == [Int(level1), Int(rain1)], "only T-RIVER-1's sensors")
                    #expect(seen1.filter { $0.sensor == Int(level1) }.map(\.value) == [5.0], "coalesced to the newest value")
                    #expect(river2.readings("readings").map(\.value) == [2.5])
                    #expect(Set(district.readings("readings").map(\.sensor)) == [Int(level1), Int(rain1)], "T-RIVER-2 is not under T-A")
                    #expect(try await eventually(timeout: .seconds(5)) { !scoped.readings("readings").isEmpty })
                    #expect(Set(scoped.readings("readings").map(\.sensor)) == [Int(level1), Int(rain1)], "the token's scope bounds the subscription")

                    // /api/v1/latest from memory gives what the latest_values query gives once the
                    // rollup service has folded the same batches, in the same order.
                    try await RollupService(client: client, logger: env.logger).runOnce()
                    let store = DashboardStore(client: client, logger: env.logger)
                    for unit in [nil, "T-A"] as [String?] {
                        let memory = try #require(try JSONSerialization.jsonObject(with: Data(buffer: hub.latestBody(unit: unit, domain: nil, station: nil))) as? [String: Any])
                        let values = try #require(memory["values"] as? [[String: Any]])
                        let stored = try await store.latest(unit: unit, domain: nil, station: nil)
                        #expect(values.compactMap { $0["sensor"] as? Int } == stored.map { Int($0.sensorID) }, "unit \(unit ?? "all")")
                        #expect(values.compactMap { $0["value"] as? Double } == stored.map(\.value))
                        #expect(values.compactMap { $0["ts"] as? String } == stored.map(\.time.rfc3339))
                        #expect(memory["count"] as? Int == stored.count && !stored.isEmpty)
                    }

                    // An alert event at T-RIVER-1 reaches its subscribers, and only them.
                    let rows = try await client.query("""
                        INSERT INTO alerts (rule_id, rule_name, subject, subject_key, sensor_id, station_code, station_name, metric, unit, domain,
                            unit_path, state, severity, level, value, opened_at, fired_at)
                        VALUES (NULL, 'Báo động lũ', 'sensor', \(String(level1)), \(level1), 'T-RIVER-1', 'Trạm sông 1', 'water_level', 'm',
                            'hydrology', '{T-A,T}', 'firing', 'warning', 'II', 3.0, now(), now())
                        RETURNING id
                        """)
                    var alertID: Int64 = 0
                    for try await id in rows.decode(Int64.self) { alertID = id }
                    try await client.query("""
                        INSERT INTO alert_events (alert_id, kind, from_state, to_state, severity, level, value, message)
                        VALUES (\(alertID), 'transition', 'inactive', 'firing', 'warning', 'II', 3.0, 'active: level II (warning), value 3')
                        """)
                    #expect(try await eventually(timeout: .seconds(5)) { !river1.of("alert").isEmpty && !district.of("alert").isEmpty && !scoped.of("alert").isEmpty })
                    let event = try #require(river1.of("alert").first)
                    #expect(event["alert_id"] as? Int == Int(alertID))
                    #expect(event["to_state"] as? String == "firing" && event["level"] as? String == "II" && event["station_code"] as? String == "T-RIVER-1")
                    let eventID = try #require(event["id"] as? Int)
                    #expect(river2.of("alert").isEmpty)
                    #expect(try await eventually(timeout: .seconds(3)) { !river1.of("heartbeat").isEmpty })

                    // A client that was away reconnects with the last event id it saw before: it gets what it missed.
                    let (back, task4) = listen(port: port, "station=T-RIVER-1&last_event_id=\(eventID - 1)", token: token)
                    defer { task4.cancel() }
                    #expect(try await eventually(timeout: .seconds(5)) { !back.of("alert").isEmpty })
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(back.of("alert").compactMap { $0["id"] as? Int } == [eventID], "replayed once, not again live")
                    #expect(hub.clientCount == 5, "the clients without a valid token were never connected")
                    #expect(anonymous.messages.isEmpty && forged.messages.isEmpty)
                }
            }
        }
    }
}
