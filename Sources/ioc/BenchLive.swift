import ArgumentParser
import Foundation
import HummingbirdWSClient
import IOCCore
import Logging
import Synchronization

/// `ioc bench live`: many WebSocket clients on `/api/v1/live` while the simulator publishes
/// readings through the broker. First the simulator alone (ingest's rate and age at commit with no
/// clients), then the same with the clients connected: delivery age at the probe clients (receipt
/// minus the reading's time, so it covers broker, ingest, commit, coalescing and the socket),
/// frames and bytes sent, clients dropped, and ingest again.
struct BenchLive: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "WebSocket live-feed fan-out under ingest load (run through scripts/bench-api.sh).")

    @Option(help: "The live feed's WebSocket URL.") var url = "ws://127.0.0.1:8080/api/v1/live"
    @Option(name: .customLong("metrics-url"), help: "IOC's /metrics URL.") var metricsURL = "http://127.0.0.1:8080/metrics"
    @Option(help: "An API token (display or above) the clients present as access_token (env IOC_TOKEN).") var token: String?
    @Option(help: "WebSocket clients.") var clients = 1000
    @Option(help: "Clients that parse every frame and time each reading (the others only drain their socket).") var probes = 20
    @Option(help: "Subscriptions, comma-separated query strings given to clients in turn (default: the ten districts of the bench registry).")
    var subscriptions = (1...10).map { String(format: "unit=BP-D%02d", $0) }.joined(separator: ",")
    @Option(help: "Seconds measured in each phase.") var seconds = 30
    @Option(help: "Seconds for the simulator (and the clients) to settle before measuring.") var warmup = 8
    @Option(help: "The simulator's command line, run with /bin/sh for both phases.") var simulate: String

    struct Frame: Decodable {
        struct Value: Decodable { var ts: String }
        var type: String
        var readings: [Value]?
    }

    final class Stats: Sendable {
        let ages = Mutex<[Double]>([])
        let frames = Mutex<Int>(0)
        let bytes = Mutex<Int>(0)
        let connected = Mutex<Int>(0)
        let closed = Mutex<Int>(0)
        let measuring = Mutex<Bool>(false)
    }

    func run() async throws {
        _ = bootstrapLogging
        let logger = { var l = Logger(label: "ioc.bench"); l.logLevel = .error; return l }()
        let subscriptions = subscriptions.split(separator: ",").map(String.init)
        guard clients > 0, !subscriptions.isEmpty else { throw ValidationError("--clients must be positive and --subscriptions name at least one") }

        let simulator = try startSimulator()
        try await Task.sleep(for: .seconds(warmup))
        let alone = try await ingest(for: seconds)
        print("bench: simulator alone: \(alone.summary)")

        let stats = Stats()
        let result = try await withThrowingTaskGroup(of: Void.self) { group -> (ingest: IngestFigures, elapsed: Double) in
            for index in 0..<clients {
                let probe = index < probes
                var query = subscriptions[index % subscriptions.count]
                let secret = setting(token, env: "IOC_TOKEN", default: "")
                if !secret.isEmpty { query += "&access_token=\(secret)" }
                group.addTask { [url] in
                    do {
                        try await WebSocketClient.connect(url: "\(url)?\(query)", configuration: .init(maxFrameSize: 1 << 24), logger: logger) { inbound, _, _ in
                            stats.connected.withLock { $0 += 1 }
                            if probe {
                                let decoder = JSONDecoder()
                                for try await message in inbound.messages(maxSize: 1 << 24) {
                                    guard case .text(let text) = message else { continue }
                                    let received = Timestamp(date: Date())
                                    guard stats.measuring.withLock({ $0 }) else { continue }
                                    stats.frames.withLock { $0 += 1 }
                                    stats.bytes.withLock { $0 += text.utf8.count }
                                    guard let frame = try? decoder.decode(Frame.self, from: Data(text.utf8)), frame.type == "readings" else { continue }
                                    let ages = (frame.readings ?? []).compactMap { Timestamp(rfc3339: $0.ts).map { received.seconds - $0.seconds } }
                                    stats.ages.withLock { $0 += ages }
                                }
                            } else {
                                for try await frame in inbound where stats.measuring.withLock({ $0 }) {
                                    stats.bytes.withLock { $0 += frame.data.readableBytes }
                                    if frame.fin { stats.frames.withLock { $0 += 1 } }
                                }
                            }
                        }
                    } catch is CancellationError {
                    } catch {
                        if !Task.isCancelled { stats.closed.withLock { $0 += 1 } }
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while stats.connected.withLock({ $0 }) < clients, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
            print("bench: \(stats.connected.withLock { $0 }) of \(clients) clients connected (\(probes) probes)")
            try await Task.sleep(for: .seconds(warmup))
            stats.measuring.withLock { $0 = true }
            let start = ContinuousClock.now
            let figures = try await ingest(for: seconds)
            stats.measuring.withLock { $0 = false }
            let elapsed = (ContinuousClock.now - start).seconds
            group.cancelAll()
            return (figures, elapsed)
        }
        simulator.terminate()
        simulator.waitUntilExit()

        let ages = stats.ages.withLock { $0 }.sorted()
        func quantile(_ q: Double) -> Double { ages.isEmpty ? .nan : ages[min(ages.count - 1, Int(Double(ages.count) * q))] }
        let metrics = try await Prometheus.scrape(metricsURL)
        let line: [String: Double] = [
            "clients": Double(clients), "connected": Double(stats.connected.withLock { $0 }), "probes": Double(probes),
            "client_errors": Double(stats.closed.withLock { $0 }),
            "readings_timed": Double(ages.count),
            "delivery_p50_ms": (quantile(0.5) * 1000).rounded(), "delivery_p99_ms": (quantile(0.99) * 1000).rounded(),
            "delivery_max_ms": ((ages.last ?? .nan) * 1000).rounded(),
            "frames_per_s": (Double(stats.frames.withLock { $0 }) / result.elapsed).rounded(),
            "mb_per_s": (Double(stats.bytes.withLock { $0 }) / result.elapsed / 1e6 * 10).rounded() / 10,
            "ingest_alone_per_s": alone.stored.rounded(), "ingest_with_clients_per_s": result.ingest.stored.rounded(),
            "commit_age_p99_alone_ms": (alone.ageP99 * 1000).rounded(), "commit_age_p99_with_clients_ms": (result.ingest.ageP99 * 1000).rounded(),
            "live_coalesced_total": metrics["ioc_live_coalesced_total"] ?? 0,
            "live_disconnected_total": metrics["ioc_live_disconnected_total"] ?? 0,
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        print(String(decoding: try encoder.encode(line), as: UTF8.self))
        guard !ages.isEmpty else { throw ValidationError("no reading was timed at the probe clients") }
    }

    struct IngestFigures {
        var stored: Double
        var ageP99: Double
        var summary: String { "\(Int(stored)) readings/s stored, age at commit p99 \(Int(ageP99 * 1000)) ms" }
    }

    /// Readings stored per second and the p99 of their age at commit over `seconds`.
    func ingest(for seconds: Int) async throws -> IngestFigures {
        let before = try await Prometheus.scrape(metricsURL)
        try await Task.sleep(for: .seconds(seconds))
        let after = try await Prometheus.scrape(metricsURL)
        let stored = ((after["ioc_writer_readings_stored_total"] ?? 0) - (before["ioc_writer_readings_stored_total"] ?? 0)) / Double(seconds)
        let p99 = Prometheus.quantiles(before: before, after: after, metric: "ioc_reading_age_at_commit_seconds", [0.99])[0]
        return IngestFigures(stored: stored, ageP99: p99)
    }

    func startSimulator() throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "exec " + simulate]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }
}
