import Foundation
import IOCCore
import IOCIngest
import IOCStorage
import Logging
import PostgresNIO
import ServiceLifecycle
import Testing

@Suite("Ingest through a real Mosquitto into a real PostgreSQL", .serialized)
struct IngestTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    /// Runs writer + ingest as in `ioc serve` while `body` publishes; shuts them down gracefully after.
    func withIngest(_ client: PostgresClient, clientID: String, keepSession: Bool = false, _ body: @Sendable () async throws -> Void) async throws {
        let registry = RegistryCache(try await RegistryStore(client: client, logger: env.logger).load())
        let writer = ReadingWriter(client: client, configuration: .init(lanes: 2, batchSize: 500, maxDelay: .milliseconds(20)), logger: env.logger)
        let ingest = IngestService(configuration: .init(endpoint: try MQTTEndpoint(url: env.mqttURL), clientID: clientID),
                                   registry: registry, writer: writer, logger: env.logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: writer), .init(service: ingest)], logger: env.logger))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let check1 = try await eventually { ingest.isConnected }
            #expect(check1, "ingest connects to the broker")
            try await Task.sleep(for: .milliseconds(200)) // subscriptions acknowledged
            do { try await body() } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        if !keepSession {
            // Connecting once with a clean session ends the persistent one, so the broker stops queueing for it.
            let cleaner = try MQTTClient(endpoint: try MQTTEndpoint(url: env.mqttURL), options: .init(clientID: clientID, cleanSession: true))
            try cleaner.start()
            _ = try await eventually(timeout: .seconds(5)) { cleaner.isConnected }
            await cleaner.stopInBackground()
        }
    }

    func publisher(_ gateway: String) throws -> MQTTClient {
        let client = try MQTTClient(endpoint: try env.endpoint(gateway: gateway), options: .init(clientID: "test-pub-\(UUID().uuidString.prefix(8))"))
        try client.start()
        return client
    }

    @Test("SenML, compact JSON and raw readings are stored; a repeated pack is stored once; cm are converted to m")
    func formatsAndDuplicates() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let level = try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
            let now = Timestamp.now.seconds
            let pack = """
                [{"bn":"T-RIVER-1/","bt":\(now - 30),"n":"water_level","u":"m","v":1.5},
                 {"n":"water_level","t":10,"v":1.6},
                 {"n":"water_level","t":20,"u":"cm","v":170},
                 {"n":"rain","t":20,"u":"mm","v":2.5}]
                """
            try await withIngest(client, clientID: "test-formats-\(UUID().uuidString.prefix(8))") {
                let mqtt = try publisher("GW-T1")
                let check2 = try await eventually { mqtt.isConnected }
                #expect(check2)
                try mqtt.publish(topic: "ioc/v1/GW-T1/senml", payload: Data(pack.utf8))
                try mqtt.publish(topic: "ioc/v1/GW-T1/senml", payload: Data(pack.utf8))
                try mqtt.publish(topic: "ioc/v1/GW-T1/json", payload: Data(#"{"station":"T-RIVER-1","ts":\#(Int64((now - 5) * 1000)),"values":{"water_level":1.8,"rain":0.5}}"#.utf8))
                try mqtt.publish(topic: "ioc/v1/GW-T1/raw/T-RIVER-1/water_level", payload: Data("1.9".utf8))
                let check3 = try await eventually { try await count(client, "SELECT count(*) FROM readings") == 7 }
                #expect(check3)
                mqtt.stop()
            }
            let check4 = try await count(client, "SELECT count(*) FROM readings") == 7
            #expect(check4, "4 + 2 + 1 distinct readings, the repeated pack adds none")
            let converted = try await client.query("SELECT value FROM readings WHERE sensor_id = \(level) AND ts = \(Timestamp(seconds: now - 10))")
            for try await v in converted.decode(Double.self) { #expect(abs(v - 1.7) < 1e-9, "170 cm is stored as 1.7 m") }
            try await RollupService(client: client, logger: env.logger).runOnce()
            let check5 = try await count(client, "SELECT count(*) FROM latest_values") == 2
            #expect(check5)
            var reasons: [String] = []
            for try await reason in try await client.query("SELECT reason FROM dead_letters WHERE topic LIKE 'ioc/v1/GW-T1/%'").decode(String.self) { reasons.append(reason) }
            #expect(reasons.isEmpty, "nothing is dead-lettered: \(reasons)")
        }
    }

    @Test("bad messages are dead-lettered with their reasons; the good records of a partly bad pack are stored; gateway status is kept")
    func deadLettersAndStatus() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let now = Timestamp.now.seconds
            try await withIngest(client, clientID: "test-bad-\(UUID().uuidString.prefix(8))") {
                let mqtt = try publisher("GW-T1")
                let check7 = try await eventually { mqtt.isConnected }
                #expect(check7)
                try mqtt.publish(topic: "ioc/v1/GW-T1/senml", payload: Data("""
                    [{"bn":"T-RIVER-1/","bt":\(now),"n":"water_level","v":1.1},
                     {"bn":"PY-XYZ/","n":"water_level","v":1.0},
                     {"bn":"T-RIVER-2/","n":"water_level","v":1.0},
                     {"bn":"T-RIVER-1/","n":"salinity","v":1.0},
                     {"n":"water_level","t":-1,"v":99}]
                    """.utf8))
                try mqtt.publish(topic: "ioc/v1/GW-T1/raw/T-RIVER-1/water_level", payload: Data("NaN".utf8))
                try mqtt.publish(topic: "ioc/v1/GW-T1/json", payload: Data("{\"station\": ".utf8))
                try mqtt.publish(topic: "ioc/v1/GW-T1/status", payload: Data("online".utf8))
                let check8 = try await eventually { try await count(client, "SELECT count(*) FROM dead_letters WHERE topic LIKE 'ioc/v1/GW-T1/%'") == 6 }
                #expect(check8)
                let check9 = try await eventually { try await count(client, "SELECT count(*) FROM gateways WHERE code = 'GW-T1' AND status = 'online'") == 1 }
                #expect(check9)
                mqtt.stop()
            }
            let check10 = try await count(client, "SELECT count(*) FROM readings") == 1
            #expect(check10, "the one good record of the pack is stored")
            var kinds: [String: String] = [:]
            for try await (kind, reason) in try await client.query("SELECT kind, reason FROM dead_letters WHERE topic LIKE 'ioc/v1/GW-T1/%'").decode((String, String).self) {
                kinds[kind] = reason
            }
            #expect(kinds["unknown_station"]?.contains("PY-XYZ") == true)
            #expect(kinds["station_not_on_gateway"]?.contains("T-RIVER-2") == true)
            #expect(kinds["unknown_metric"]?.contains("salinity") == true)
            #expect(kinds["out_of_range"] != nil)
            #expect(kinds["non_finite_value"] != nil)
            #expect(kinds["malformed_json"] != nil)
        }
    }

    @Test("stopping ingest mid-stream loses nothing: the broker keeps the session and a restarted ingest stores the rest")
    func restartMidStream() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let clientID = "test-restart-\(UUID().uuidString.prefix(8))"
            let total = 3000
            let start = Timestamp.now.microseconds / 1000 - 600_000
            let mqtt = try publisher("GW-T1")
            let check11 = try await eventually { mqtt.isConnected }
            #expect(check11)
            // First run: publish half, stop ingest while more is on the way.
            try await withIngest(client, clientID: clientID, keepSession: true) {
                for i in 0..<total {
                    let payload = #"[{"bn":"T-RIVER-1/","n":"water_level","t":\#(Double(start + Int64(i)) / 1000),"v":\#(Double(i % 100) / 10)}]"#
                    try mqtt.publish(topic: "ioc/v1/GW-T1/senml", payload: Data(payload.utf8))
                    if i == total / 2 { break }
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            let afterFirst = try await count(client, "SELECT count(*) FROM readings")
            // While ingest is down, the rest goes to the broker, which queues it for our session.
            for i in (total / 2 + 1)..<total {
                let payload = #"[{"bn":"T-RIVER-1/","n":"water_level","t":\#(Double(start + Int64(i)) / 1000),"v":\#(Double(i % 100) / 10)}]"#
                try mqtt.publish(topic: "ioc/v1/GW-T1/senml", payload: Data(payload.utf8))
            }
            try await Task.sleep(for: .milliseconds(500))
            try await withIngest(client, clientID: clientID) {
                let check12 = try await eventually(timeout: .seconds(30)) { try await count(client, "SELECT count(*) FROM readings") == total }
                #expect(check12)
            }
            mqtt.stop()
            let stored = try await count(client, "SELECT count(*) FROM readings")
            print("restart mid-stream: \(afterFirst) stored before the stop, \(stored) of \(total) after the restart")
            #expect(stored == total)
        }
    }
}
