import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import IOCAlerting
import IOCCore
import IOCIngest
import IOCNotify
import Hummingbird
import Synchronization
import IOCStorage
import Logging
import PostgresNIO

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks. Run them through scripts/bench.sh, which starts the broker, the database and IOC.",
        subcommands: [BenchIngest.self, BenchRules.self, BenchAlerts.self, BenchLive.self]
    )
}

struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Publish N readings through Mosquitto to a running IOC; report stored/s, publish-to-commit latency, IOC peak RSS, and PostgreSQL alone inserting the same rows.",
        discussion: """
        Needs a running `ioc serve` (its /metrics URL and pid) and the broker password of the bench gateway. \
        Stored/s runs from the first publish to the moment IOC's stored counter covers every reading. \
        Latency is the age of each reading at commit (reading time = publish time), read off IOC's \
        histogram ioc_reading_age_at_commit_seconds (interpolated within buckets, as Prometheus does). \
        The baselines insert the same rows (same sensors, batch size and lanes, times moved 2 days back) \
        straight into PostgreSQL: once with IOC's writer statement (rows and rollup deltas) followed by \
        folding the deltas into the rollups, and once as a plain INSERT … unnest. With --ioc-pid, IOC is \
        stopped (SIGTERM) before the baselines, so that its own folding does not compete with them.
        """
    )

    enum Format: String, ExpressibleByArgument { case senml, raw }

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("mqtt-url")) var mqttURL = "mqtt://127.0.0.1:1883"
    @Option(help: "Bench gateway code; needs a broker account.") var gateway = "GW-BENCH"
    @Option(help: "Broker password of the bench gateway.") var password: String
    @Option(help: "Readings to publish.") var readings = 1_000_000
    @Option(help: "senml (packs) or raw (one reading per message).") var format: Format = .senml
    @Option(help: "Readings per SenML pack.") var pack = 100
    @Option(help: "Target readings/s; 0 publishes as fast as the broker takes them.") var rate: Double = 0
    @Option(help: "Bench stations (10 sensors each).") var stations = 2000
    @Option(name: .customLong("metrics-url"), help: "IOC's /metrics URL.") var metricsURL = "http://127.0.0.1:8080/metrics"
    @Option(name: .customLong("ioc-pid"), help: "IOC's process id, for peak RSS.") var iocPid: Int32?
    @Option(help: "Seconds to wait for IOC to load the bench registry.") var registryWait: Double = 3
    @Option(help: "Writer lanes and batch size for the baseline (match IOC's).") var lanes = 4
    @Option(name: .customLong("batch-size")) var batchSize = 4000
    @Flag(help: "Skip the PostgreSQL-alone baselines.") var noBaseline = false
    @Flag(name: .customLong("pre-encode"), help: "Encode every payload before the clock starts, so the load generator's encoding does not compete with IOC for CPU. The readings' times are then the encoding time: latency figures include the wait before publishing.") var preEncode = false
    @Option(name: .customLong("metrics-out"), help: "Write IOC's metrics at the end of the run to this file.") var metricsOut: String?
    @Option(help: "Publisher connections (each a persistent session).") var connections = 2

    func run() async throws {
        _ = bootstrapLogging
        let logger = { var l = Logger(label: "ioc.bench"); l.logLevel = .warning; return l }()
        let endpointBase = try MQTTEndpoint(url: mqttURL)
        let stationCount = stations, gateway = self.gateway
        let bench = self

        try await withDatabase(database, logger: logger) { client in
            // The bench registry: one unit, one gateway, N stations × 10 sensors.
            var registry = RegistryFile()
            registry.units = [.init(code: "BENCH", name: "Benchmark", level: "province", parent: nil)]
            registry.gateways = [.init(code: gateway, name: "Benchmark gateway", unit: "BENCH")]
            registry.stations = (0..<stationCount).map { i in
                .init(code: String(format: "BENCH-%05d", i), name: "Bench \(i)", unit: "BENCH", domain: "bench", gateway: gateway,
                      lat: 13, lon: 109, attributes: nil, sensors: (0..<10).map { .init(metric: "m\($0)", unit: "1", min: nil, max: nil) })
            }
            _ = try await RegistryImporter(client: client, logger: logger).importRegistry(registry)
            let ids = try await sensorIDs(client, logger: logger)
            try await Task.sleep(for: .seconds(bench.registryWait))

            let before = try await Prometheus.scrape(bench.metricsURL)
            let publishers = try (0..<bench.connections).map { c in
                try GatewayPublisher(gateway: gateway, endpoint: MQTTEndpoint(host: endpointBase.host, port: endpointBase.port, username: gateway, password: bench.password),
                                     clientID: "ioc-bench-\(c)", maxOutstanding: 2000)
            }
            for p in publishers { try p.start() }
            for p in publishers { try await p.waitUntilConnected() }

            print("bench: publishing \(bench.readings) readings as \(bench.format == .senml ? "SenML packs of \(bench.pack)" : "raw messages (1 reading each)") \(bench.rate > 0 ? "at \(Int(bench.rate))/s" : "as fast as possible")")
            var source = MessageSource(format: bench.format, pack: bench.pack, readings: bench.readings, stations: stationCount, gateway: gateway)
            var encoded: [(topic: String, payload: Data, readings: Int)] = []
            if bench.preEncode {
                while let m = source.next() { encoded.append(m) }
                print("bench: \(encoded.count) messages encoded before the clock starts")
            }
            let started = ContinuousClock.now
            var index = 0
            let published = try await bench.publish(publishers) {
                if bench.preEncode {
                    guard index < encoded.count else { return nil }
                    defer { index += 1 }
                    return encoded[index]
                }
                return source.next()
            }
            let publishDone = ContinuousClock.now
            let target = (before["ioc_writer_readings_stored_total"] ?? 0) + Double(published)
            var after = before
            var lastPrint = ContinuousClock.now
            let deadline = ContinuousClock.now + .seconds(600)
            while (after["ioc_writer_readings_stored_total"] ?? 0) < target {
                guard ContinuousClock.now < deadline else { throw ValidationError("IOC stored \(Int((after["ioc_writer_readings_stored_total"] ?? 0) - (before["ioc_writer_readings_stored_total"] ?? 0))) of \(published) readings within 600 s") }
                try await Task.sleep(for: .milliseconds(50))
                after = try await Prometheus.scrape(bench.metricsURL)
                if ContinuousClock.now - lastPrint > .seconds(5) {
                    print("bench: stored \(Int((after["ioc_writer_readings_stored_total"] ?? 0) - (before["ioc_writer_readings_stored_total"] ?? 0))) of \(published)")
                    lastPrint = ContinuousClock.now
                }
            }
            let stored = ContinuousClock.now
            for p in publishers { await p.stop() }
            let seconds = (stored - started).seconds
            let rate = Double(published) / seconds
            let quantiles = Prometheus.quantiles(before: before, after: after, metric: "ioc_reading_age_at_commit_seconds", [0.5, 0.99])
            let rss = bench.iocPid.flatMap(peakRSS)
            print(String(format: "bench: IOC stored %d readings in %.2f s (publishing took %.2f s): %.0f readings/s, %.0f messages/s", published, seconds, (publishDone - started).seconds, rate, Double(bench.messagesFor(published)) / seconds))
            print(String(format: "bench: publish-to-commit latency p50 %.0f ms, p99 %.0f ms", quantiles[0] * 1000, quantiles[1] * 1000))
            if let rss { print("bench: IOC peak RSS \(rss / 1024) MiB") }
            if let path = bench.metricsOut, let url = URL(string: bench.metricsURL) {
                let (data, _) = try await URLSession.shared.data(from: url)
                try data.write(to: URL(fileURLWithPath: path))
            }

            if !bench.noBaseline {
                if let pid = bench.iocPid {
                    kill(pid, SIGTERM)
                    let until = ContinuousClock.now + .seconds(60)
                    while kill(pid, 0) == 0 && ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(100)) }
                    print("bench: IOC stopped before the baselines")
                }
                // IOC's own writer statement (rows + rollup deltas) without MQTT, and the fold of the deltas.
                let writer = ReadingWriter(client: client, configuration: .init(lanes: bench.lanes, batchSize: bench.batchSize), logger: logger)
                let full = try await bench.baseline(client, ids: ids, count: published, shiftDays: 2, logger: logger, insert: { batch in
                    _ = try await writer.insert(batch)
                }, alongside: {
                    try await RollupService(client: client, logger: logger).runOnce()
                })
                let plain = try await bench.baseline(client, ids: ids, count: published, shiftDays: 3, logger: logger, insert: { batch in
                    var binds = PostgresBindings(capacity: 3)
                    binds.append(batch.map(\.sensorID)); binds.append(batch.map(\.time)); binds.append(batch.map(\.value))
                    try await client.query(PostgresQuery(unsafeSQL: """
                        INSERT INTO readings (sensor_id, ts, value) SELECT * FROM unnest($1::int4[], $2::timestamptz[], $3::float8[])
                        """, binds: binds), logger: logger)
                })
                print(String(format: "bench: baseline, PostgreSQL alone with IOC's writer statement (rows + rollup deltas): %.0f rows/s; IOC/baseline = %.2f", full, rate / full))
                print(String(format: "bench: baseline, PostgreSQL alone, plain INSERT … unnest: %.0f rows/s; IOC/baseline = %.2f", plain, rate / plain))
            }
        }
    }

    func messagesFor(_ readings: Int) -> Int { format == .raw ? readings : (readings + pack - 1) / pack }

    /// The bench's messages, round-robin over stations; each station's times advance so no reading repeats.
    struct MessageSource {
        let format: Format
        let pack: Int
        let readings: Int
        let stations: Int
        var sent = 0
        var station = 0
        var nextTime: [Int64]
        // Topics and codes made once: the load generator shares the 2 cores with what it measures.
        let codes: [String]
        let rawTopics: [[String]]
        let senmlTopic: String

        init(format: Format, pack: Int, readings: Int, stations: Int, gateway: String) {
            self.format = format
            self.pack = pack
            self.readings = readings
            self.stations = stations
            nextTime = [Int64](repeating: 0, count: stations)
            codes = (0..<stations).map { String(format: "BENCH-%05d", $0) }
            rawTopics = codes.map { code in (0..<10).map { "ioc/v1/\(gateway)/raw/\(code)/m\($0)" } }
            senmlTopic = "ioc/v1/\(gateway)/senml"
        }

        /// The next message, its readings stamped with the current time.
        mutating func next() -> (topic: String, payload: Data, readings: Int)? {
            guard sent < readings else { return nil }
            defer { station = (station + 1) % stations }
            switch format {
            case .raw:
                let metric = (sent / stations) % 10
                let value = Double(sent % 1000) / 10
                sent += 1
                return (rawTopics[station][metric], Data(String(value).utf8), 1)
            case .senml:
                let n = min(pack, readings - sent)
                // n readings over 10 sensors: n/10 times per sensor, 10 ms apart, after the last ones.
                let base = max(Timestamp.now.microseconds / 1000, nextTime[station])
                var records: [(metric: String, time: Timestamp, value: Double, unit: String?)] = []
                records.reserveCapacity(n)
                for i in 0..<n {
                    let time = Timestamp(milliseconds: base + Int64(i / 10) * 10)
                    records.append((metric: "m\(i % 10)", time: time, value: Double((sent + i) % 1000) / 10, unit: nil))
                }
                nextTime[station] = base + Int64((n + 9) / 10) * 10
                sent += n
                return (senmlTopic, SenMLEncoder.encode(station: codes[station], records: records), n)
            }
        }
    }

    /// Publishes what `next` yields, at `rate` readings/s if set; returns the readings published.
    func publish(_ publishers: [GatewayPublisher], next: () -> (topic: String, payload: Data, readings: Int)?) async throws -> Int {
        var sent = 0
        var message = 0
        let started = ContinuousClock.now
        while let m = next() {
            if rate > 0 {
                let due = started + .seconds(Double(sent) / rate)
                if due > ContinuousClock.now { try await Task.sleep(until: due) }
            }
            try await publishers[message % publishers.count].publish(topic: m.topic, payload: m.payload)
            message += 1
            sent += m.readings
        }
        for p in publishers { try await p.drain() }
        return sent
    }

    /// Inserts `count` rows over the bench sensors with `lanes` concurrent batches; returns rows/s.
    func baseline(_ client: PostgresClient, ids: [Int32], count: Int, shiftDays: Int, logger: Logger,
                  insert: @escaping @Sendable ([Reading]) async throws -> Void,
                  alongside: (@Sendable () async throws -> Void)? = nil) async throws -> Double {
        let start = Timestamp.now.adding(seconds: -Double(shiftDays) * 86_400)
        var batches: [[Reading]] = Array(repeating: [], count: lanes)
        var all: [[Reading]] = []
        for i in 0..<count {
            let sensor = ids[i % ids.count]
            let reading = Reading(sensorID: sensor, time: Timestamp(microseconds: start.microseconds + Int64(i / ids.count) * 10_000), value: Double(i % 1000) / 10)
            let lane = Int(UInt32(bitPattern: sensor) % UInt32(lanes))
            batches[lane].append(reading)
            if batches[lane].count == batchSize { all.append(batches[lane]); batches[lane] = [] }
        }
        all.append(contentsOf: batches.filter { !$0.isEmpty })
        try await PartitionMaintenance.ensure(client: client, from: start.adding(seconds: -86_400), to: start.adding(seconds: 86_400), logger: logger)
        // Start from a quiet database: what the run before left to vacuum and checkpoint is done first.
        try await client.query("VACUUM (ANALYZE) readings", logger: logger)
        try await client.query("CHECKPOINT", logger: logger)
        let queue = all
        let began = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    for (index, batch) in queue.enumerated() where index % lanes == lane {
                        try await insert(batch)
                    }
                }
            }
            try await group.waitForAll()
        }
        let inserted = ContinuousClock.now
        // The work that runs beside the statement in IOC (folding rollups), done once at the end and
        // reported apart: this baseline's round-robin batches carry one delta per reading (4,000
        // sensors a batch), ten times what IOC's packs carry, so it is not IOC's cost.
        if let alongside {
            try await alongside()
            print(String(format: "bench: baseline: then folding the rollup deltas of those %d rows (one delta per row here) took %.2f s", count, (ContinuousClock.now - inserted).seconds))
        }
        return Double(count) / (inserted - began).seconds
    }

    func sensorIDs(_ client: PostgresClient, logger: Logger) async throws -> [Int32] {
        var ids: [Int32] = []
        let rows = try await client.query("""
            SELECT se.id FROM sensors se JOIN stations s ON s.id = se.station_id JOIN gateways g ON g.id = s.gateway_id
            WHERE g.code = \(gateway) ORDER BY se.id
            """, logger: logger)
        for try await id in rows.decode(Int32.self) { ids.append(id) }
        return ids
    }
}

/// Peak resident set size (VmHWM) of a process, in KiB.
func peakRSS(_ pid: Int32) -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    }
    return nil
}

/// Reads IOC's Prometheus text: counters summed over labels, histogram buckets by `le`.
enum Prometheus {
    static func scrape(_ url: String) async throws -> [String: Double] {
        guard let u = URL(string: url) else { throw ValidationError("bad metrics URL \(url)") }
        let (data, _) = try await URLSession.shared.data(from: u)
        let text = String(decoding: data, as: UTF8.self)
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            var name = String(line[..<space])
            if let brace = name.firstIndex(of: "{") {
                let labels = name[brace...]
                let base = String(name[..<brace])
                if base.hasSuffix("_bucket"), let le = labels.range(of: "le=\"") {
                    let rest = labels[le.upperBound...]
                    name = base + "|" + String(rest[..<rest.firstIndex(of: "\"")!])
                } else {
                    name = base
                }
            }
            values[name, default: 0] += value
        }
        return values
    }

    /// Quantiles of the observations between two scrapes, linear within a bucket.
    static func quantiles(before: [String: Double], after: [String: Double], metric: String, _ qs: [Double]) -> [Double] {
        let prefix = metric + "_bucket|"
        var buckets: [(Double, Double)] = []
        for (key, value) in after where key.hasPrefix(prefix) {
            let le = key.dropFirst(prefix.count)
            let bound = le == "+Inf" ? Double.infinity : Double(le) ?? .infinity
            buckets.append((bound, value - (before[key] ?? 0)))
        }
        buckets.sort { $0.0 < $1.0 }
        guard let total = buckets.last?.1, total > 0 else { return qs.map { _ in .nan } }
        return qs.map { q in
            let rank = q * total
            var lower = 0.0, lowerCount = 0.0
            for (bound, count) in buckets {
                if count >= rank {
                    if bound.isInfinite { return lower }
                    return lower + (bound - lower) * (rank - lowerCount) / max(count - lowerCount, 1e-9)
                }
                lower = bound; lowerCount = count
            }
            return lower
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// `ioc bench rules`: rule-evaluation throughput of the pipeline alone.
struct BenchRules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Rule-evaluation throughput of the pipeline alone (no MQTT, no database), with a one-thread baseline on the same readings.",
        discussion: "Rules of every kind, each scoped to one sensor; readings go to the shards in batches, as after a commit. Prints one JSON line."
    )

    @Option(help: "Active rules.") var rules = 10_000
    @Option(help: "Sensors the rules are spread over.") var sensors = 2_000
    @Option(help: "Readings evaluated.") var readings = 5_000_000
    @Option(help: "Shards (serial queues).") var shards = 2
    @Option(help: "Readings per batch handed to the shards.") var batchSize = 4_000

    func run() async throws {
        guard rules > 0, sensors > 0, readings > 0, shards > 0, batchSize > 0 else {
            throw ValidationError("every count must be positive")
        }
        let result = await PipelineBenchmark.run(rules: rules, sensors: sensors, readings: readings, shards: shards, batchSize: batchSize)
        let line: [String: Double] = [
            "rules": Double(result.rules), "sensors": Double(sensors), "readings": Double(result.readings), "shards": Double(result.shards),
            "pipeline_readings_per_s": result.pipelineRate.rounded(), "pipeline_seconds": result.pipelineSeconds,
            "single_thread_readings_per_s": result.singleThreadRate.rounded(), "single_thread_seconds": result.singleThreadSeconds,
            "alert_changes": Double(result.changes), "late": Double(result.late),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(line), as: UTF8.self))
    }
}

/// `ioc bench alerts`: reading published → webhook received, while other traffic flows.
struct BenchAlerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts",
        abstract: "Latency from publishing a reading that fires (or clears) an alert to receiving its webhook, measured by a webhook receiver inside this command.",
        discussion: """
        Registers station BENCH-ALERT (water level, alarm level II at 2.7 m) under the bench gateway, a levels rule on it, \
        a contact whose webhook points here and a policy paging it; then publishes 3.0 m and 1.0 m in turn, each reading \
        stamped with the time it is published, so that every reading fires or resolves an alert and pages. The latency of \
        a page is its arrival here minus the time of the reading that caused it (the webhook's `at`). Run background \
        traffic beside it (scripts/bench.sh runs `ioc bench ingest --rate 20000`). Prints one JSON line.
        """
    )

    @OptionGroup var database: DatabaseOptions
    @Option(name: .customLong("mqtt-url")) var mqttURL = "mqtt://127.0.0.1:1883"
    @Option(help: "Bench gateway code; needs a broker account.") var gateway = "GW-BENCH"
    @Option(help: "Broker password of the bench gateway.") var password: String
    @Option(help: "Readings that each fire or resolve an alert.") var probes = 200
    @Option(help: "Milliseconds between probes.") var intervalMs = 500
    @Option(help: "Port of the webhook receiver.") var port = 0
    @Option(help: "Seconds to wait for IOC to load the rule and paging configuration.") var reloadWait: Double = 4

    func run() async throws {
        _ = bootstrapLogging
        let logger = { var l = Logger(label: "ioc.bench"); l.logLevel = .warning; return l }()
        guard probes > 0, intervalMs > 0 else { throw ValidationError("--probes and --interval-ms must be positive") }
        let receiver = try await LatencyReceiver.start(port: port)
        let bench = self
        let secret = "bench-secret-\(UInt64.random(in: 0...UInt64.max))"
        let cipher = try dataCipherFromEnvironment()
        try await withDatabase(database, logger: logger) { client in
            var registry = RegistryFile()
            registry.units = [.init(code: "BENCH", name: "Benchmark", level: "province", parent: nil)]
            registry.gateways = [.init(code: bench.gateway, name: "Benchmark gateway", unit: "BENCH")]
            registry.stations = [.init(
                code: "BENCH-ALERT", name: "Bench alert", unit: "BENCH", domain: "hydrology", gateway: bench.gateway, lat: 13, lon: 109,
                attributes: .object(["alarm_levels": .object(["II": .number(2.7)])]),
                sensors: [.init(metric: "water_level", unit: "m", min: -5, max: 50)])]
            _ = try await RegistryImporter(client: client, logger: logger).importRegistry(registry)
            _ = try await RuleStore(client: client, logger: logger).importRules([AlertRule(
                name: "bench: alarm level II", severity: .warning, scope: .station(code: "BENCH-ALERT", metric: "water_level"),
                condition: .levels(.init(direction: .above, levels: [.init(name: "II", severity: .warning, threshold: .attribute("alarm_levels.II"))], hysteresis: 0.1)))])
            // The server under test must have the same IOC_DATA_KEY (scripts/bench.sh exports one).
            _ = try await PagingStore(client: client, logger: logger, cipher: cipher).importConfiguration(PagingConfiguration(
                contacts: [Contact(name: "bench receiver", channels: [.webhook(url: "http://127.0.0.1:\(receiver.port)/hook", secret: secret)])],
                escalationPolicies: [EscalationPolicy(name: "bench", match: .init(units: ["BENCH"]), steps: [.init(afterMinutes: 0, targets: [.contact("bench receiver")])])]))
        }
        try await Task.sleep(for: .seconds(reloadWait))

        let base = try MQTTEndpoint(url: mqttURL)
        let publisher = try GatewayPublisher(gateway: gateway, endpoint: MQTTEndpoint(host: base.host, port: base.port, username: gateway, password: password),
                                             clientID: "ioc-bench-alerts", maxOutstanding: 100)
        try publisher.start()
        try await publisher.waitUntilConnected()
        print("bench: \(probes) probes every \(intervalMs) ms; webhook receiver on port \(receiver.port)")
        var next = ContinuousClock.now
        for index in 0..<probes {
            let millis = Timestamp(date: Date()).microseconds / 1000
            let value = index.isMultiple(of: 2) ? 3.0 : 1.0
            let payload = #"{"station":"BENCH-ALERT","ts":\#(millis),"values":{"water_level":\#(value)}}"#
            try await publisher.publish(topic: "ioc/v1/\(gateway)/json", payload: Data(payload.utf8))
            next += .milliseconds(intervalMs)
            try await Task.sleep(until: next)
        }
        try await Task.sleep(for: .seconds(5))
        await publisher.stop()
        let latencies = receiver.latencies(secret: secret).sorted()
        func quantile(_ q: Double) -> Double {
            latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int((Double(latencies.count) * q).rounded(.up)) - 1)]
        }
        let line: [String: Double] = [
            "probes": Double(probes), "webhooks_received": Double(latencies.count),
            "p50_ms": (quantile(0.5) * 1000).rounded(), "p99_ms": (quantile(0.99) * 1000).rounded(),
            "max_ms": ((latencies.last ?? .nan) * 1000).rounded(),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(line), as: UTF8.self))
        try await receiver.stop()
        guard latencies.count >= probes else {
            throw ValidationError("only \(latencies.count) of \(probes) pages arrived")
        }
    }
}

/// A webhook receiver that keeps, for each signed page, its arrival time minus its reading's time.
final class LatencyReceiver: Sendable {
    struct Arrival: Sendable { var at: Double; var body: Data; var timestamp: String; var signature: String }
    final class Log: Sendable {
        let arrivals = Mutex<[Arrival]>([])
    }
    let port: Int
    private let log: Log
    private let task: Task<Void, any Error>

    private init(port: Int, log: Log, task: Task<Void, any Error>) {
        self.port = port
        self.log = log
        self.task = task
    }

    static func start(port: Int) async throws -> LatencyReceiver {
        let log = Log()
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let now = Date().timeIntervalSince1970
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            let arrival = Arrival(at: now, body: Data(buffer: body), timestamp: request.headers[.init("X-IOC-Timestamp")!] ?? "",
                                  signature: request.headers[.init("X-IOC-Signature")!] ?? "")
            log.arrivals.withLock { $0.append(arrival) }
            return Response(status: .ok)
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        var quiet = Logger(label: "ioc.bench.receiver")
        quiet.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }, logger: quiet)
        let task = Task { try await app.runService() }
        var bound = 0
        for await value in stream { bound = value; break }
        return LatencyReceiver(port: bound, log: log, task: task)
    }

    /// Seconds from each signed page's reading to its arrival.
    func latencies(secret: String) -> [Double] {
        struct Page: Decodable { var at: String }
        return log.arrivals.withLock { $0 }.compactMap { arrival in
            guard let timestamp = Int(arrival.timestamp),
                  WebhookChannel.signature(secret: secret, timestamp: timestamp, body: arrival.body) == arrival.signature,
                  let page = try? JSONDecoder().decode(Page.self, from: arrival.body),
                  let at = Timestamp(rfc3339: page.at) else { return nil }
            return arrival.at - at.seconds
        }
    }

    func stop() async throws {
        task.cancel()
        _ = await task.result
    }
}
