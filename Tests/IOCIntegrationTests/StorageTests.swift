import Foundation
import IOCCore
import IOCStorage
import PostgresNIO
import Testing

@Suite("Storage against a real PostgreSQL", .serialized)
struct StorageTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    @Test("migrations apply once and again without change")
    func migrationsIdempotent() async throws {
        try await env.withFreshDatabase { client, _ in
            let again = try await Migrator(client: client, logger: env.logger).migrate(try Migrator.bundled())
            #expect(again.isEmpty)
            let tables = try await count(client, "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('admin_units','gateways','stations','sensors','readings','readings_1m','readings_1h','latest_values','dead_letters')")
            #expect(tables == 9)
        }
    }

    @Test("importing a registry twice leaves the same rows; the sample registry's JSON and CSV agree")
    func importIdempotent() async throws {
        try await env.withFreshDatabase { client, _ in
            let importer = RegistryImporter(client: client, logger: env.logger)
            let sample = try RegistryFile.load(path: repoPath("deploy/sample/registry.json"))
            _ = try await importer.importRegistry(sample)
            let counts = try await registryCounts(client)
            _ = try await importer.importRegistry(sample)
            let check1 = try await registryCounts(client) == counts
            #expect(check1)
            for file in ["units", "gateways", "stations", "sensors"] {
                _ = try await importer.importRegistry(try RegistryFile.load(path: repoPath("deploy/sample/csv/\(file).csv")))
            }
            let check2 = try await registryCounts(client) == counts
            #expect(check2)
            #expect(counts[2] >= 20, "the sample registry should have a believable number of stations")
        }
    }

    @Test("the registry version moves with stations, sensors and gateways, not with a gateway's last-seen time")
    func registryVersion() async throws {
        try await env.withFreshDatabase { client, _ in
            let store = RegistryStore(client: client, logger: env.logger)
            let v0 = try await store.version()
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let v1 = try await store.version()
            #expect(v1 > v0, "an import changes the version")
            try await client.query("UPDATE gateways SET last_seen_at = now(), status = 'online'")
            let v2 = try await store.version()
            #expect(v2 == v1, "status and last-seen are not part of the snapshot")
            try await client.query("UPDATE sensors SET valid_max = 99 WHERE metric = 'water_level'")
            let v3 = try await store.version()
            #expect(v3 > v2)
            try await client.query("UPDATE gateways SET enabled = false WHERE code = 'GW-T2'")
            let v4 = try await store.version()
            #expect(v4 > v3)
        }
    }

    @Test("a registry with a missing parent unit is refused with the reason")
    func importMissingParent() async throws {
        try await env.withFreshDatabase { client, _ in
            var bad = RegistryFile()
            bad.units = [.init(code: "X", name: "X", level: "district", parent: "NOPE")]
            await #expect(throws: StorageError.self) {
                _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(bad)
            }
            let check3 = try await count(client, "SELECT count(*) FROM admin_units") == 0
            #expect(check3, "a failed import changes nothing")
        }
    }

    @Test("the writer stores a reading once, keeps rollups exact with duplicates and late readings, and moves latest forward only")
    func writerRollups() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let id = try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 2, batchSize: 10), logger: env.logger)
            let t0 = Timestamp(seconds: floor(Timestamp.now.seconds / 3600) * 3600 - 3600) // the start of the previous hour
            let batch = [
                Reading(sensorID: id, time: t0.adding(seconds: 10), value: 1.0),
                Reading(sensorID: id, time: t0.adding(seconds: 20), value: 3.0),
                Reading(sensorID: id, time: t0.adding(seconds: 70), value: 2.0),
            ]
            let check4 = try await writer.insert(batch) == 3
            #expect(check4)
            let check5 = try await writer.insert(batch) == 0
            #expect(check5, "a redelivered batch is a no-op")
            // A late reading into the first minute, plus a duplicate of an existing one.
            let rollups = RollupService(client: client, chunk: 2, logger: env.logger)
            let foldedFirst = try await rollups.runOnce()
            #expect(foldedFirst == 1, "the first batch's deltas; the redelivery inserted nothing and adds none")
            let check6 = try await writer.insert([Reading(sensorID: id, time: t0.adding(seconds: 5), value: 5.0), batch[0]]) == 1
            #expect(check6)
            let foldedLate = try await rollups.runOnce()
            #expect(foldedLate == 1, "the batch with the late reading")
            let foldedAgain = try await rollups.runOnce()
            #expect(foldedAgain == 0, "a delta is folded once")
            let minute = try await client.query("SELECT min, max, sum, count FROM readings_1m WHERE sensor_id = \(id) AND bucket = \(t0)")
            var found = false
            for try await (min, max, sum, n) in minute.decode((Double, Double, Double, Int64).self) {
                #expect(min == 1.0 && max == 5.0 && sum == 9.0 && n == 3)
                found = true
            }
            #expect(found)
            let hour = try await client.query("SELECT sum, count FROM readings_1h WHERE sensor_id = \(id) AND bucket = \(t0)")
            for try await (sum, n) in hour.decode((Double, Int64).self) { #expect(sum == 11.0 && n == 4) }
            let latest = try await client.query("SELECT ts, value FROM latest_values WHERE sensor_id = \(id)")
            for try await (ts, value) in latest.decode((Timestamp, Double).self) {
                #expect(ts == t0.adding(seconds: 70) && value == 2.0, "the late reading must not move latest back")
            }
        }
    }

    @Test("folding while writers insert, with redeliveries, leaves the rollups equal to the stored readings")
    func foldRacesWriters() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let a = try await sensorID(client, station: "T-RIVER-1", metric: "water_level")
            let b = try await sensorID(client, station: "T-RIVER-2", metric: "water_level")
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 2, batchSize: 100), logger: env.logger)
            let rollups = RollupService(client: client, chunk: 7, logger: env.logger)
            let t0 = Timestamp(seconds: floor(Timestamp.now.seconds / 60) * 60 - 7200)
            let batches = 40
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (lane, sensor) in [a, b].enumerated() {
                    group.addTask {
                        for k in 0..<batches {
                            // 100 readings 1 s apart, overlapping the previous batch by half: redeliveries.
                            let batch = (0..<100).map { i in
                                Reading(sensorID: sensor, time: t0.adding(seconds: Double(k * 50 + i)), value: Double((k * 50 + i) % 17) + Double(lane))
                            }
                            await writer.writeWithRetryForTesting(batch)
                        }
                    }
                }
                group.addTask {
                    for _ in 0..<30 { try await rollups.runOnce(); try await Task.sleep(for: .milliseconds(5)) }
                }
                try await group.waitForAll()
            }
            try await rollups.runOnce()
            let stored = try await count(client, "SELECT count(*) FROM readings")
            #expect(stored == 2 * (batches * 50 + 50))
            let mismatches = try await count(client, """
                SELECT count(*) FROM (
                    SELECT sensor_id, date_trunc('minute', ts, 'UTC') AS bucket, min(value) AS min, max(value) AS max, sum(value) AS sum, count(*) AS n
                    FROM readings GROUP BY 1, 2
                ) r FULL JOIN readings_1m m USING (sensor_id, bucket)
                WHERE m.count IS DISTINCT FROM r.n OR m.min IS DISTINCT FROM r.min OR m.max IS DISTINCT FROM r.max OR m.sum IS DISTINCT FROM r.sum
                """)
            #expect(mismatches == 0, "every minute bucket equals the aggregate of its stored readings")
            let hourTotal = try await count(client, "SELECT coalesce(sum(count), 0)::int FROM readings_1h")
            #expect(hourTotal == stored)
            let latestRight = try await count(client, """
                SELECT count(*) FROM latest_values l WHERE l.ts = (SELECT max(ts) FROM readings r WHERE r.sensor_id = l.sensor_id)
                """)
            #expect(latestRight == 2)
        }
    }

    @Test("a reading 100 days old gets its partition created on demand; timestamps survive to the microsecond")
    func partitionsOnDemand() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let id = try await sensorID(client, station: "T-RIVER-2", metric: "water_level")
            let writer = ReadingWriter(client: client, configuration: .init(lanes: 1, batchSize: 10), logger: env.logger)
            let old = Timestamp(microseconds: Timestamp.now.microseconds - 100 * 86_400_000_000 + 123_457)
            await writer.writeWithRetryForTesting([Reading(sensorID: id, time: old, value: 4.25)])
            let rows = try await client.query("SELECT ts FROM readings WHERE sensor_id = \(id)")
            var times: [Timestamp] = []
            for try await ts in rows.decode(Timestamp.self) { times.append(ts) }
            #expect(times == [old])
            let dropped = try await client.query("SELECT drop_readings_partitions_before((now() AT TIME ZONE 'UTC')::date - 30)")
            for try await n in dropped.decode(Int32.self) { #expect(n >= 1) }
            let check7 = try await count(client, "SELECT count(*) FROM readings") == 0
            #expect(check7, "retention drops the whole old partition")
        }
    }
}

func registryCounts(_ client: PostgresClient) async throws -> [Int] {
    var result: [Int] = []
    for table in ["admin_units", "gateways", "stations", "sensors"] {
        result.append(try await count(client, "SELECT count(*) FROM \(table)"))
    }
    return result
}

func repoPath(_ relative: String) -> String {
    let root = ProcessInfo.processInfo.environment["IOC_REPO"] ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    return root + "/" + relative
}

@Suite("SQL scripts split into statements")
struct SQLScriptTests {
    @Test("semicolons inside quotes, dollar-quoted bodies and comments do not split", arguments: [
        ("SELECT 1; SELECT 2;", 2),
        ("SELECT ';'; -- a comment; still one\nSELECT 2", 2),
        ("CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$; SELECT f();", 2),
        ("DO $body$ BEGIN PERFORM 1; PERFORM 2; END $body$", 1),
        ("-- only a comment;\n", 0),
        ("SELECT \"a;b\" FROM t", 1),
    ])
    func splits(script: String, statements: Int) {
        #expect(SQLScript.statements(in: script).count == statements)
    }

    @Test("the shipped migrations split into their statements")
    func shipped() throws {
        let migrations = try Migrator.bundled()
        #expect(migrations.map(\.version) == ["001_registry_and_readings", "002_rollup_deltas", "003_registry_version", "004_rules", "005_alerts_and_paging", "006_alert_subjects", "007_rollup_covering_key", "008_derived_sensors", "009_api_tokens", "010_audit_log", "012_sealed_personal_data"], "in name order")
        for migration in migrations {
            let statements = SQLScript.statements(in: migration.sql)
            // Each CREATE/ALTER/INSERT/UPDATE/DROP starts a statement of its own (ignoring those inside function bodies).
            let starts = migration.sql.split(separator: "\n").filter { ["CREATE ", "ALTER ", "INSERT ", "UPDATE ", "DROP "].contains(where: $0.hasPrefix) }.count
            #expect(statements.count == starts, "\(migration.version)")
            #expect(statements.allSatisfy { !$0.hasSuffix(";") })
        }
    }
}
