import ArgumentParser
import Foundation
import IOCAPI
import IOCCore
import IOCIngest
import IOCStorage
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run IOC: MQTT ingest, the reading writer, partition maintenance and the HTTP API, until SIGTERM or SIGINT.",
        discussion: """
        Every option can also come from the environment variable named in its help. \
        On SIGTERM or SIGINT the HTTP server stops first, then ingest disconnects from the broker and drains \
        what it received, then the writer stores everything it holds. Readings are never dropped: when \
        PostgreSQL is unreachable the writer retries and ingest waits, so the broker queues for IOC's \
        persistent session.
        """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var log: LogOptions

    @Option(name: .customLong("mqtt-url"), help: "Broker URL mqtt://user:password@host:port (env IOC_MQTT_URL; default mqtt://127.0.0.1:1883).")
    var mqttURL: String?

    @Option(name: .customLong("mqtt-client-id"), help: "Stable MQTT client id of the persistent session (env IOC_MQTT_CLIENT_ID; default ioc-ingest).")
    var mqttClientID: String?

    @Option(name: .customLong("http-host"), help: "Address the HTTP API listens on (env IOC_HTTP_HOST; default 127.0.0.1).")
    var httpHost: String?

    @Option(name: .customLong("http-port"), help: "Port of the HTTP API (env IOC_HTTP_PORT; default 8080).")
    var httpPort: Int?

    @Option(name: .customLong("retention-days"), help: "Days of readings kept; older partitions are dropped (env IOC_RETENTION_DAYS; default 400).")
    var retentionDays: Int?

    @Option(name: .customLong("writer-lanes"), help: "Batches written to PostgreSQL in parallel, one connection each (env IOC_WRITER_LANES; default 4).")
    var writerLanes: Int?

    @Option(name: .customLong("batch-size"), help: "Readings per batch (env IOC_BATCH_SIZE; default 4000).")
    var batchSize: Int?

    @Option(name: .customLong("batch-delay-ms"), help: "Longest wait of a reading in a partly filled batch, ms (env IOC_BATCH_DELAY_MS; default 40).")
    var batchDelayMs: Int?

    @Option(name: .customLong("registry-refresh-seconds"), help: "How often the station registry is reloaded (env IOC_REGISTRY_REFRESH_SECONDS; default 10).")
    var registryRefreshSeconds: Int?

    @Option(name: .customLong("rollup-interval-seconds"), help: "How often 1-minute/1-hour rollups and latest values are brought up to date; they trail the readings by at most this (env IOC_ROLLUP_INTERVAL_SECONDS; default 10).")
    var rollupIntervalSeconds: Int?

    func run() async throws {
        do { try await serve() } catch let error as PSQLError {
            throw StorageError(.database, "PostgreSQL at \(DatabaseConfiguration.redacted(database.url)): \(error.databaseSummary)")
        }
    }

    func serve() async throws {
        _ = bootstrapLogging
        let logger = try log.makeLogger("ioc")
        let metrics = bootstrapMetrics()

        let endpoint = try MQTTEndpoint(url: setting(mqttURL, env: "IOC_MQTT_URL", default: "mqtt://127.0.0.1:1883"))
        let port = try setting(httpPort, env: "IOC_HTTP_PORT", default: 8080)
        guard (1...65535).contains(port) else { throw ValidationError("HTTP port \(port) is outside 1…65535") }
        let retention = try setting(retentionDays, env: "IOC_RETENTION_DAYS", default: 400)
        guard retention >= 1 else { throw ValidationError("retention must be at least 1 day, got \(retention)") }
        let writerConfiguration = WriterConfiguration(
            lanes: try setting(writerLanes, env: "IOC_WRITER_LANES", default: 4),
            batchSize: try setting(batchSize, env: "IOC_BATCH_SIZE", default: 4000),
            maxDelay: .milliseconds(try setting(batchDelayMs, env: "IOC_BATCH_DELAY_MS", default: 40))
        )
        let refresh = try setting(registryRefreshSeconds, env: "IOC_REGISTRY_REFRESH_SECONDS", default: 10)
        let rollupInterval = try setting(rollupIntervalSeconds, env: "IOC_ROLLUP_INTERVAL_SECONDS", default: 10)
        guard rollupInterval >= 1 else { throw ValidationError("--rollup-interval-seconds must be at least 1, not \(rollupInterval)") }

        let client = try database.makeClient(logger: logger, maximumConnections: writerConfiguration.lanes + 6)
        logger.info("starting", metadata: ["database": "\(DatabaseConfiguration.redacted(database.url))", "broker": "\(endpoint)", "http_port": "\(port)"])

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }

            // Before anything is received: schema, partitions, registry.
            let registry = RegistryCache()
            try await waitForDatabase(client, logger: logger)
            try await Migrator(client: client, logger: logger).migrate(try Migrator.bundled())
            let maintenance = PartitionMaintenance(client: client, retentionDays: retention, logger: logger)
            try await maintenance.runOnce()
            let store = RegistryStore(client: client, logger: logger)
            let loadedVersion = try await store.version()
            let snapshot = try await store.load()
            registry.replace(with: snapshot)
            logger.info("registry loaded", metadata: ["gateways": "\(snapshot.gateways.count)", "stations": "\(snapshot.stations.count)", "sensors": "\(snapshot.sensorCount)"])

            let writer = ReadingWriter(client: client, configuration: writerConfiguration, logger: logger)
            let ingest = IngestService(
                configuration: IngestConfiguration(
                    endpoint: endpoint,
                    clientID: setting(mqttClientID, env: "IOC_MQTT_CLIENT_ID", default: "ioc-ingest"),
                    limits: IngestLimits(retentionDays: retention)
                ),
                registry: registry, writer: writer, logger: logger
            )
            let readiness = ReadinessChecks([
                ("database", { await databaseReachable(client) }),
                ("broker", { ingest.isConnected }),
            ])
            let app = APIServer.makeApplication(
                configuration: .init(host: setting(httpHost, env: "IOC_HTTP_HOST", default: "127.0.0.1"), port: port),
                readiness: readiness, metrics: metrics, rules: RuleStore(client: client, logger: logger), logger: logger
            )
            // Dependency order: shutdown runs in reverse, so HTTP stops first and the writer last.
            let services = ServiceGroup(configuration: .init(
                services: [
                    .init(service: maintenance),
                    .init(service: RegistryRefresher(store: store, cache: registry, loadedVersion: loadedVersion, interval: .seconds(refresh), logger: logger)),
                    // Stops after the writer, so its last pass folds the writer's last batches.
                    .init(service: RollupService(client: client, interval: .seconds(rollupInterval), logger: logger)),
                    // Ingest ends when it has drained, and then finishes the writer: their returning
                    // during shutdown is expected, and outside it means stop everything gracefully.
                    .init(service: writer, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: ingest, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: app),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [.sigquit],
                logger: logger
            ))
            try await services.run()
            logger.info("stopped cleanly")
            group.cancelAll()
        }
    }
}

/// Checks the registry's version periodically and reloads it when it changed, so new stations are
/// accepted without a restart.
struct RegistryRefresher: Service {
    let store: RegistryStore
    let cache: RegistryCache
    /// The version of the snapshot already in the cache.
    let loadedVersion: Int64
    let interval: Duration
    let logger: Logger

    func run() async throws {
        var loaded = loadedVersion
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            do {
                // The version is read before the snapshot: a change made while loading shows next time.
                let current = try await store.version()
                guard current != loaded else { continue }
                let snapshot = try await store.load()
                cache.replace(with: snapshot)
                loaded = current
                logger.info("registry reloaded", metadata: ["version": "\(current)", "stations": "\(snapshot.stations.count)", "sensors": "\(snapshot.sensorCount)"])
            } catch {
                logger.warning("reloading the registry failed; keeping the previous one", metadata: ["error": "\(error.databaseSummary)"])
            }
        }
    }
}

func databaseReachable(_ client: PostgresClient) async -> Bool {
    do {
        return try await withDeadline(.seconds(2), what: "readiness check") {
            let rows = try await client.query("SELECT 1")
            for try await _ in rows {}
            return true
        }
    } catch {
        return false
    }
}

func waitForDatabase(_ client: PostgresClient, logger: Logger) async throws {
    var attempt = 0
    while !(await databaseReachable(client)) {
        attempt += 1
        if attempt == 1 || attempt % 10 == 0 { logger.warning("waiting for PostgreSQL", metadata: ["attempt": "\(attempt)"]) }
        try await Task.sleep(for: .seconds(1))
    }
}

/// Prometheus as the metrics backend, with latency buckets fine enough to read p50/p99 off.
func bootstrapMetrics() -> PrometheusCollectorRegistry {
    let registry = PrometheusCollectorRegistry()
    var factory = PrometheusMetricsFactory(registry: registry)
    let latency: [Duration] = [1, 2, 5, 10, 20, 30, 50, 75, 100, 150, 200, 250, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000, 30000, 60000].map { .milliseconds($0) }
    factory.durationHistogramBuckets["ioc_reading_age_at_commit_seconds"] = latency
    factory.durationHistogramBuckets["ioc_writer_batch_duration_seconds"] = latency
    MetricsSystem.bootstrap(factory)
    return registry
}
