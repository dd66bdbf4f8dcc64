import Foundation
import IOCAlerting
import IOCCore
import IOCStorage
import Logging
import PostgresNIO
import Testing

/// The rule pipeline against a real PostgreSQL: readings written by the real writer reach the
/// rules after commit; alerts, events and the outbox are checked in the database.
@Suite("The alert pipeline with a real PostgreSQL", .serialized)
struct AlertPipelineTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    static let floodRule = AlertRule(
        name: "Báo động lũ", severity: .warning, labels: ["team": "pctt"],
        scope: .metric(name: "water_level", domain: "hydrology", unitCode: nil),
        condition: .levels(.init(direction: .above, levels: [
            .init(name: "I", severity: .info, threshold: .attribute("alarm_levels.I")),
            .init(name: "II", severity: .warning, threshold: .attribute("alarm_levels.II")),
            .init(name: "III", severity: .critical, threshold: .attribute("alarm_levels.III")),
        ], hysteresis: 0.1)))

    /// Runs a pipeline (and the writer that feeds it) on `client` while `body` runs.
    func withPipeline<T: Sendable>(
        _ client: PostgresClient, tick: Duration = .milliseconds(50),
        _ body: @Sendable (AlertPipeline, ReadingWriter) async throws -> T
    ) async throws -> T {
        let logger = env.logger
        let pipeline = AlertPipeline(client: client, configuration: .init(shards: 2, tickInterval: tick, reloadInterval: .seconds(3600)),
                                     pager: Pager(logger: env.logger, cipher: env.dataCipher), logger: logger)
        let writer = ReadingWriter(client: client, configuration: .init(lanes: 1), logger: env.logger) { batch in
            await pipeline.submit(batch.readings)
        }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await pipeline.run(); return nil }
            defer { group.cancelAll() }
            let value = try await body(pipeline, writer)
            await pipeline.flush()
            return value
        }
    }

    func setUp(_ client: PostgresClient, rules: [AlertRule]) async throws -> Int32 {
        _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
        _ = try await RuleStore(client: client, logger: env.logger).importRules(rules)
        return try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
    }

    static let t0 = Timestamp(seconds: Date().timeIntervalSince1970.rounded() - 600)
    static func reading(_ sensor: Int32, _ seconds: Double, _ value: Double) -> Reading {
        Reading(sensorID: sensor, time: t0.adding(seconds: seconds), value: value)
    }

    func alerts(_ client: PostgresClient) async throws -> [(id: Int64, state: String, level: String?, severity: String)] {
        var result: [(Int64, String, String?, String)] = []
        for try await row in try await client.query("SELECT id, state, level, severity FROM alerts ORDER BY id").decode((Int64, String, String?, String).self) {
            result.append(row)
        }
        return result
    }

    @Test("level II fires, III escalates the same alert, a late reading is stored but not evaluated, acknowledgement holds, falling back clears it")
    func lifecycle() async throws {
        try await env.withFreshDatabase { client, _ in
            let sensor = try await setUp(client, rules: [Self.floodRule])
            try await withPipeline(client) { pipeline, writer in
                await writer.writeWithRetryForTesting([Self.reading(sensor, 0, 1.2), Self.reading(sensor, 10, 3.0)])
                await pipeline.flush()
                var list = try await alerts(client)
                #expect(list.count == 1)
                #expect(list.first?.state == "firing" && list.first?.level == "II" && list.first?.severity == "warning")

                // Older than the newest evaluated: stored, counted, not evaluated (5.0 would be level III).
                await writer.writeWithRetryForTesting([Self.reading(sensor, 5, 5.0)])
                await pipeline.flush()
                #expect(await pipeline.counters().late == 1)
                #expect(try await count(client, "SELECT count(*) FROM readings WHERE value = 5.0") == 1)
                #expect(try await alerts(client).first?.level == "II")

                await writer.writeWithRetryForTesting([Self.reading(sensor, 20, 3.9)])
                await pipeline.flush()
                list = try await alerts(client)
                #expect(list.count == 1, "level III raises the same alert")
                #expect(list.first?.level == "III" && list.first?.severity == "critical")

                let id = try #require(list.first?.id)
                let acknowledged = try await pipeline.acknowledge(alertID: id, by: "lan")
                #expect(acknowledged.state == "acknowledged" && acknowledged.acknowledgedBy == "lan")
                await #expect(throws: AlertActionError.self) { _ = try await pipeline.acknowledge(alertID: id, by: "minh") }

                // III → II: still open, still acknowledged; then below I − hysteresis: resolved.
                await writer.writeWithRetryForTesting([Self.reading(sensor, 30, 3.0)])
                await pipeline.flush()
                #expect(try await alerts(client).first?.state == "acknowledged")
                await writer.writeWithRetryForTesting([Self.reading(sensor, 40, 1.0)])
                await pipeline.flush()
                #expect(try await alerts(client).first?.state == "resolved")

                let events = try await AlertStore(client: client, logger: env.logger).events(of: id)
                let moves = events.filter { $0.kind == "transition" }.map { "\($0.fromState ?? "-")→\($0.toState ?? "-") \($0.level ?? "")" }
                #expect(moves == ["inactive→firing II", "firing→firing III", "firing→acknowledged III", "acknowledged→acknowledged II", "acknowledged→resolved "])
            }
        }
    }

    @Test("a restart resumes open alerts (no duplicate) and rebuilds windows from stored readings")
    func restart() async throws {
        let rain = AlertRule(name: "Mưa lớn 1 giờ", severity: .warning, scope: .metric(name: "rain", domain: nil, unitCode: nil),
                             condition: .window(.init(function: .sum, windowSeconds: 3600, comparison: .ge, threshold: 100)))
        try await env.withFreshDatabase { client, _ in
            let level = try await setUp(client, rules: [Self.floodRule, rain])
            let rainSensor = try await sensorID(client, station: "T-RIVER-1", metric: "rain")
            try await withPipeline(client) { pipeline, writer in
                await writer.writeWithRetryForTesting([Self.reading(level, 0, 3.0), Self.reading(rainSensor, 0, 60)])
                await pipeline.flush()
            }
            _ = try await RollupService(client: client, logger: env.logger).runOnce()
            #expect(try await alerts(client).count == 1)
            try await withPipeline(client) { pipeline, writer in
                // Still level II: the resumed alert, not a new one.
                await writer.writeWithRetryForTesting([Self.reading(level, 10, 3.1), Self.reading(rainSensor, 10, 50)])
                await pipeline.flush()
            }
            let list = try await alerts(client)
            #expect(list.count == 2, "one flood alert, resumed; one rain alert from 60 mm stored before the restart + 50 mm after: \(list)")
            #expect(try await count(client, "SELECT count(*) FROM alerts WHERE rule_name = 'Mưa lớn 1 giờ' AND state = 'firing'") == 1)
            #expect(try await count(client, "SELECT count(*) FROM alerts WHERE rule_name = 'Báo động lũ' AND state = 'firing'") == 1)
        }
    }

    @Test("a no-data rule fires on time with no traffic at all, and the next reading clears it")
    func noData() async throws {
        let silent = AlertRule(name: "Mất dữ liệu", severity: .warning, scope: .station(code: "T-RIVER-2", metric: nil),
                               condition: .noData(.init(afterSeconds: 1)))
        try await env.withFreshDatabase { client, _ in
            _ = try await setUp(client, rules: [silent])
            let sensor = try await sensorID(client, station: "T-RIVER-2", metric: "water_level")
            try await withPipeline(client) { pipeline, writer in
                let fired = try await eventually(timeout: .seconds(5)) {
                    try await count(client, "SELECT count(*) FROM alerts WHERE state = 'firing'") == 1
                }
                #expect(fired)
                await writer.writeWithRetryForTesting([Reading(sensorID: sensor, time: Timestamp(seconds: Date().timeIntervalSince1970), value: 1)])
                await pipeline.flush()
                #expect(try await alerts(client).first?.state == "resolved")
            }
        }
    }

    static func now(_ offset: Double = 0) -> Timestamp { Timestamp(seconds: Date().timeIntervalSince1970 + offset) }

    @Test("a no-data rule per station raises one alert for the station, only when none of its sensors (on both shards) reports")
    func stationSilence() async throws {
        let silent = AlertRule(name: "Trạm mất dữ liệu", severity: .warning, scope: .station(code: "T-RIVER-1", metric: nil),
                               condition: .noData(.init(afterSeconds: 2, per: .station)))
        try await env.withFreshDatabase { client, _ in
            let level = try await setUp(client, rules: [silent])
            let rain = try await sensorID(client, station: "T-RIVER-1", metric: "rain")
            #expect(level % 2 != rain % 2, "the station's two sensors are on different shards")
            try await withPipeline(client) { pipeline, writer in
                // Only the rain gauge reports, for longer than after_seconds: the station is not silent.
                for step in 0..<12 {
                    await writer.writeWithRetryForTesting([Reading(sensorID: rain, time: Self.now(), value: Double(step))])
                    try await Task.sleep(for: .milliseconds(300))
                }
                await pipeline.flush()
                #expect(try await alerts(client).isEmpty, "a station with one sensor still reporting is not silent")

                // Then nothing: one alert for the station, not one per sensor.
                #expect(try await eventually(timeout: .seconds(8)) {
                    try await count(client, "SELECT count(*) FROM alerts WHERE state = 'firing'") == 1
                })
                try await Task.sleep(for: .milliseconds(500))
                await pipeline.flush()
                let rows = try await client.query("""
                    SELECT subject, subject_key, sensor_id, station_code, condition, value FROM alerts
                    """).decode((String, String, Int32?, String?, String, Double).self)
                var seen: [(String, String, Int32?, String?, String, Double)] = []
                for try await row in rows { seen.append(row) }
                #expect(seen.count == 1)
                #expect(seen.first?.0 == "station" && seen.first?.1 == "T-RIVER-1" && seen.first?.2 == nil && seen.first?.3 == "T-RIVER-1")
                #expect(seen.first?.4 == "no_data" && (seen.first?.5 ?? 0) >= 2, "the value is the seconds of silence: \(seen)")

                // A reading from either sensor clears it.
                await writer.writeWithRetryForTesting([Reading(sensorID: level, time: Self.now(), value: 1)])
                #expect(try await eventually(timeout: .seconds(5)) {
                    try await count(client, "SELECT count(*) FROM alerts WHERE state = 'resolved' AND resolution = 'condition normal'") == 1
                })
            }
        }
    }

    @Test("a no-data rule per gateway fires when the gateway reports itself offline (even one with no stations) and clears when it is back")
    func gatewayOffline() async throws {
        let offline = AlertRule(name: "Gateway mất kết nối", severity: .critical, scope: .gateway(code: "GW-T9"),
                                condition: .noData(.init(afterSeconds: 1, per: .gateway)))
        try await env.withFreshDatabase { client, _ in
            _ = try await setUp(client, rules: [offline])
            try await client.query("INSERT INTO gateways (code, name, unit_id) SELECT 'GW-T9', 'Gateway 9', id FROM admin_units WHERE code = 'T-A'")
            try await withPipeline(client) { pipeline, _ in
                try await pipeline.reloadIfChanged()
                try await Task.sleep(for: .milliseconds(1500))
                await pipeline.flush()
                #expect(try await alerts(client).isEmpty, "status unknown and no stations: nothing to say")

                // What ingest writes when the broker publishes the gateway's last will.
                try await client.query("UPDATE gateways SET status = 'offline', status_changed_at = now() WHERE code = 'GW-T9'")
                #expect(try await eventually(timeout: .seconds(5)) {
                    try await count(client, """
                        SELECT count(*) FROM alerts WHERE state = 'firing' AND subject = 'gateway' AND subject_key = 'GW-T9'
                            AND gateway_name = 'Gateway 9' AND station_code IS NULL AND unit_path = '{T-A,T}'
                        """) == 1
                })
                try await client.query("UPDATE gateways SET status = 'online', status_changed_at = now() WHERE code = 'GW-T9'")
                #expect(try await eventually(timeout: .seconds(5)) {
                    try await count(client, "SELECT count(*) FROM alerts WHERE state = 'resolved'") == 1
                })
                let list = try await AlertStore(client: client, logger: env.logger).list(AlertFilter())
                #expect(list.first?.subject == "gateway" && list.first?.gatewayCode == "GW-T9" && list.first?.sensorID == nil)
            }
        }
    }

    @Test("a manual resolve is remembered across a restart: no new alert until the condition has been normal once")
    func manualResolveSurvivesRestart() async throws {
        try await env.withFreshDatabase { client, _ in
            let sensor = try await setUp(client, rules: [Self.floodRule])
            let alertID = try await withPipeline(client) { pipeline, writer in
                await writer.writeWithRetryForTesting([Self.reading(sensor, 0, 3.0)])
                await pipeline.flush()
                let id = try #require(try await alerts(client).first?.id)
                _ = try await pipeline.resolve(alertID: id, by: "lan")
                return id
            }
            #expect(try await count(client, "SELECT count(*) FROM alerts WHERE awaiting_normal") == 1)
            try await withPipeline(client) { pipeline, writer in
                // Still above level II after the restart: the person's resolve holds.
                await writer.writeWithRetryForTesting([Self.reading(sensor, 10, 3.1)])
                await pipeline.flush()
                let ids = try await alerts(client).map(\.id)
                #expect(ids == [alertID])
                // Normal once: the hold is released (and forgotten in the database) ...
                await writer.writeWithRetryForTesting([Self.reading(sensor, 20, 1.0)])
                await pipeline.flush()
                #expect(try await count(client, "SELECT count(*) FROM alerts WHERE awaiting_normal") == 0)
                // ... and the next rise is a new alert.
                await writer.writeWithRetryForTesting([Self.reading(sensor, 30, 3.0)])
                await pipeline.flush()
                let states = try await alerts(client).map(\.state)
                #expect(states == ["resolved", "firing"])
            }
        }
    }

    @Test("a rule created while running applies after the reload, without a restart; a deleted rule's open alert is closed")
    func reload() async throws {
        try await env.withFreshDatabase { client, _ in
            let sensor = try await setUp(client, rules: [])
            try await withPipeline(client) { pipeline, writer in
                await writer.writeWithRetryForTesting([Self.reading(sensor, 0, 3.0)])
                await pipeline.flush()
                #expect(try await alerts(client).isEmpty)
                let rule = try await RuleStore(client: client, logger: env.logger).create(Self.floodRule)
                try await pipeline.reloadIfChanged()
                await writer.writeWithRetryForTesting([Self.reading(sensor, 10, 3.1)])
                await pipeline.flush()
                #expect(try await alerts(client).first?.state == "firing")
                _ = try await RuleStore(client: client, logger: env.logger).delete(try #require(rule.id))
                try await pipeline.reloadIfChanged()
                #expect(try await alerts(client).first?.state == "resolved")
            }
        }
    }

    @Test("paging: the policy's first step is queued at once, a silence suppresses (recorded), the second step is queued when due")
    func paging() async throws {
        let paging = PagingConfiguration(
            contacts: [Contact(name: "Trực ban", channels: [.webhook(url: "http://127.0.0.1:9/hook", secret: "0123456789abcdef0123")]),
                       Contact(name: "Trưởng ban", channels: [.email(address: "truongban@example.vn")])],
            rotas: [],
            escalationPolicies: [EscalationPolicy(name: "Thủy văn", match: .init(domains: ["hydrology"]), steps: [
                .init(afterMinutes: 0, targets: [.contact("Trực ban")]),
                .init(afterMinutes: 5, targets: [.contact("Trưởng ban")]),
            ])])
        try await env.withFreshDatabase { client, _ in
            let sensor = try await setUp(client, rules: [Self.floodRule])
            let other = try await sensorID(client, station: "T-RIVER-2", metric: "water_level")
            _ = try await PagingStore(client: client, logger: env.logger, cipher: env.dataCipher).importConfiguration(paging)
            let now = Timestamp(seconds: Date().timeIntervalSince1970)
            _ = try await SilenceStore(client: client, logger: env.logger).create(Silence(
                matchers: .init(station: "T-RIVER-2"), startsAt: now.adding(seconds: -60), endsAt: now.adding(seconds: 3600), createdBy: "test"))
            // T-RIVER-2 has no alarm levels of its own: give it some.
            try await client.query(#"UPDATE stations SET attributes = '{"alarm_levels":{"II":1}}' WHERE code = 'T-RIVER-2'"#)
            try await withPipeline(client) { pipeline, writer in
                await writer.writeWithRetryForTesting([Self.reading(sensor, 0, 3.0), Self.reading(other, 0, 2.0)])
                await pipeline.flush()
            }
            #expect(try await count(client, "SELECT count(*) FROM notification_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.station_code = 'T-RIVER-1' AND o.status = 'pending' AND o.channel = 'webhook' AND o.contact = 'Trực ban'") == 1)
            #expect(try await count(client, "SELECT count(*) FROM notification_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.station_code = 'T-RIVER-2' AND o.status = 'suppressed'") == 1)
            #expect(try await count(client, "SELECT count(*) FROM notification_outbox o JOIN alerts a ON a.id = o.alert_id WHERE a.station_code = 'T-RIVER-2' AND o.status = 'pending'") == 0)
            #expect(try await count(client, "SELECT count(*) FROM alert_events WHERE kind = 'notification_suppressed'") == 1)

            // Nothing is due yet; five minutes later the second step is.
            let escalation = EscalationService(client: client, pager: Pager(logger: env.logger, cipher: env.dataCipher), logger: env.logger, onNotificationsQueued: {})
            #expect(try await escalation.runOnce() == 0)
            try await client.query("UPDATE alerts SET paged_at = paged_at - interval '6 minutes', next_page_at = next_page_at - interval '6 minutes'")
            #expect(try await escalation.runOnce() == 1)
            #expect(try await count(client, "SELECT count(*) FROM notification_outbox WHERE kind = 'reminder' AND channel = 'email' AND contact = 'Trưởng ban' AND status = 'pending'") == 1)
            #expect(try await count(client, "SELECT count(*) FROM alerts WHERE station_code = 'T-RIVER-1' AND next_page_at IS NULL") == 1, "no step left")
            // The message is in Vietnamese, with the station and the value.
            var bodies: [String] = []
            for try await body in try await client.query("SELECT body FROM notification_outbox WHERE kind = 'fired' AND status = 'pending'").decode(String.self) {
                bodies.append(body)
            }
            #expect(bodies.count == 1)
            for body in bodies {
                #expect(body.contains("Trạm sông 1") && body.contains("3"), "\(body)")
            }
        }
    }
}
