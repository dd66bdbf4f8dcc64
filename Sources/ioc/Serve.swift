import ArgumentParser
import Foundation
import AsyncHTTPClient
import IOCAPI
import IOCAlerting
import IOCNotify
import IOCCore
import IOCDerived
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

    @Option(name: .customLong("rule-shards"), help: "Rule pipeline shards, each on its own serial queue (env IOC_RULE_SHARDS; default 2).")
    var ruleShards: Int?

    @Option(name: .customLong("rule-tick-ms"), help: "How often no-data rules and `for` durations are checked, ms (env IOC_RULE_TICK_MS; default 1000).")
    var ruleTickMs: Int?

    @Option(name: .customLong("derived-interval-ms"), help: "How often derived values (VN_AQI, rain windows, alarm levels, congestion) are computed from new readings, ms; 0 turns derivation off (env IOC_DERIVED_INTERVAL_MS; default 5000).")
    var derivedIntervalMs: Int?

    @Option(name: .customLong("congestion-thresholds"), help: "Traffic congestion thresholds over the defaults, key=value,…: slow, congested, jammed (ratios of speed to free-flow speed), jam_speed (km/h), congested_occupancy, jammed_occupancy (%), free_flow (km/h, for stations without free_flow_kmh) (env IOC_CONGESTION_THRESHOLDS; default slow=0.7,congested=0.5,jammed=0.3,jam_speed=10,congested_occupancy=30,jammed_occupancy=50,free_flow=60).")
    var congestionThresholds: String?

    @Option(name: .customLong("public-url"), help: "The API's address as people reach it, for links in messages (env IOC_PUBLIC_URL; default http://localhost:HTTP_PORT).")
    var publicURL: String?

    @Option(name: .customLong("language"), help: "Language of messages to contacts that name none: vi or en (env IOC_LANGUAGE; default vi).")
    var language: String?

    @Option(name: .customLong("dashboards-dir"), help: "Directory of the wall-display layouts, NAME.json each (env IOC_DASHBOARDS_DIR; default dashboards in the working directory).")
    var dashboardsDir: String?

    @Option(name: .customLong("stale-after-seconds"), help: "A station whose newest reading is older than this is shown as stale; requests may override it (env IOC_STALE_AFTER_SECONDS; default 900).")
    var staleAfterSeconds: Int?

    @Option(name: .customLong("metrics-access"), help: "Who may read /metrics: open (no token) or token (a viewer token or above) (env IOC_METRICS_ACCESS; default open).")
    var metricsAccess: String?

    @Option(name: .customLong("max-body-bytes"), help: "Largest request body, bytes; larger is refused with 413 (env IOC_HTTP_MAX_BODY_BYTES; default 1048576).")
    var maxBodyBytes: Int?

    @Option(name: .customLong("max-header-bytes"), help: "Largest request header section, bytes; larger is refused (400) and the connection closed (env IOC_HTTP_MAX_HEADER_BYTES; default 32768).")
    var maxHeaderBytes: Int?

    @Option(name: .customLong("rate-limit"), help: "Requests per second per API token (per address without a valid token); over it, 429 with Retry-After; 0 turns limiting off (env IOC_HTTP_RATE_LIMIT; default 100).")
    var rateLimit: Double?

    @Option(name: .customLong("rate-limit-burst"), help: "Requests a token may send at once after a quiet spell (env IOC_HTTP_RATE_LIMIT_BURST; default 2000).")
    var rateLimitBurst: Int?

    @Option(name: .customLong("cors-origins"), help: "Origins whose web pages may call the API, comma-separated scheme://host[:port] (env IOC_CORS_ORIGINS; default none: no CORS headers).")
    var corsOrigins: String?

    /// The HTTP limits and CORS origins of the options and environment.
    func hardening() throws -> HTTPHardening {
        let body = try setting(maxBodyBytes, env: "IOC_HTTP_MAX_BODY_BYTES", default: HTTPHardening.defaultMaxBodyBytes)
        guard HTTPHardening.maxBodyRange.contains(body) else {
            throw ValidationError("--max-body-bytes must be \(HTTPHardening.maxBodyRange.lowerBound)…\(HTTPHardening.maxBodyRange.upperBound), not \(body)")
        }
        let header = try setting(maxHeaderBytes, env: "IOC_HTTP_MAX_HEADER_BYTES", default: HTTPHardening.defaultMaxHeaderBytes)
        guard HTTPHardening.maxHeaderRange.contains(header) else {
            throw ValidationError("--max-header-bytes must be \(HTTPHardening.maxHeaderRange.lowerBound)…\(HTTPHardening.maxHeaderRange.upperBound), not \(header)")
        }
        let rateText = rateLimit.map { "\($0)" } ?? setting(nil, env: "IOC_HTTP_RATE_LIMIT", default: "\(RateLimiter.Configuration.standard.rate)")
        guard let rate = Double(rateText), rate.isFinite, rate >= 0 else {
            throw ValidationError("--rate-limit must be a number of requests per second, 0 for none, not \(rateText)")
        }
        let burst = try setting(rateLimitBurst, env: "IOC_HTTP_RATE_LIMIT_BURST", default: Int(RateLimiter.Configuration.standard.burst))
        guard burst >= 1 else { throw ValidationError("--rate-limit-burst must be at least 1, not \(burst)") }
        let origins: Set<String>
        do { origins = try HTTPHardening.parseOrigins(setting(corsOrigins, env: "IOC_CORS_ORIGINS", default: "")) } catch {
            throw ValidationError("--cors-origins: \(error.message)")
        }
        return HTTPHardening(maxBodyBytes: body, maxHeaderBytes: header,
                             rateLimit: rate == 0 ? .off : .init(rate: rate, burst: Double(burst)), corsOrigins: origins)
    }

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

        let shards = try setting(ruleShards, env: "IOC_RULE_SHARDS", default: 2)
        guard (1...64).contains(shards) else { throw ValidationError("--rule-shards must be 1…64, not \(shards)") }
        let tick = try setting(ruleTickMs, env: "IOC_RULE_TICK_MS", default: 1000)
        guard (10...60_000).contains(tick) else { throw ValidationError("--rule-tick-ms must be 10…60000, not \(tick)") }
        let derivedInterval = try setting(derivedIntervalMs, env: "IOC_DERIVED_INTERVAL_MS", default: 5000)
        guard derivedInterval == 0 || (100...3_600_000).contains(derivedInterval) else {
            throw ValidationError("--derived-interval-ms must be 0 (off) or 100…3600000, not \(derivedInterval)")
        }
        let congestion: CongestionThresholds
        do {
            congestion = try CongestionThresholds(parsing: setting(congestionThresholds, env: "IOC_CONGESTION_THRESHOLDS", default: ""))
        } catch {
            throw ValidationError("--congestion-thresholds: \(error.message)")
        }
        let languageName = setting(language, env: "IOC_LANGUAGE", default: "vi")
        guard let messageLanguage = NotificationText.Language(rawValue: languageName) else {
            throw ValidationError("--language must be vi or en, not \(languageName)")
        }
        let staleAfter = try setting(staleAfterSeconds, env: "IOC_STALE_AFTER_SECONDS", default: StationStatus.defaultStaleAfterSeconds)
        guard StationStatus.staleAfterRange.contains(staleAfter) else {
            throw ValidationError("--stale-after-seconds must be \(StationStatus.staleAfterRange.lowerBound)…\(StationStatus.staleAfterRange.upperBound), not \(staleAfter)")
        }
        let metricsAccessName = setting(metricsAccess, env: "IOC_METRICS_ACCESS", default: "open")
        guard ["open", "token"].contains(metricsAccessName) else {
            throw ValidationError("--metrics-access must be open or token, not \(metricsAccessName)")
        }
        let hardening = try hardening()
        let layouts = DashboardLayouts(directory: URL(fileURLWithPath: setting(dashboardsDir, env: "IOC_DASHBOARDS_DIR", default: "dashboards"), isDirectory: true))
        let pagerConfiguration = Pager.Configuration(
            publicURL: setting(publicURL, env: "IOC_PUBLIC_URL", default: "http://localhost:\(port)"), defaultLanguage: messageLanguage)
        // Notifications go where they are configured to, not where a redirect points.
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.redirectConfiguration = .disallow
        let httpClient = HTTPClient(eventLoopGroupProvider: .singleton, configuration: httpConfiguration)
        do {
            try await serve(logger: logger, metrics: metrics, endpoint: endpoint, port: port, retention: retention,
                            writerConfiguration: writerConfiguration, refresh: refresh, rollupInterval: rollupInterval,
                            shards: shards, tick: tick, derivedInterval: derivedInterval, congestion: congestion, pagerConfiguration: pagerConfiguration, httpClient: httpClient,
                            dashboard: (layouts, staleAfter), metricsOpen: metricsAccessName == "open", hardening: hardening)
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }

    private func serve(
        logger: Logger, metrics: PrometheusCollectorRegistry, endpoint: MQTTEndpoint, port: Int, retention: Int,
        writerConfiguration: WriterConfiguration, refresh: Int, rollupInterval: Int, shards: Int, tick: Int, derivedInterval: Int, congestion: CongestionThresholds,
        pagerConfiguration: Pager.Configuration, httpClient: HTTPClient, dashboard: (layouts: DashboardLayouts, staleAfter: Int), metricsOpen: Bool,
        hardening: HTTPHardening
    ) async throws {
        let channels = try ChannelRegistry.fromEnvironment(ProcessInfo.processInfo.environment, client: httpClient, logger: logger)
        let cipher = try dataCipherFromEnvironment()

        let client = try database.makeClient(logger: logger, maximumConnections: writerConfiguration.lanes + 8)
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
            try await sealPersonalData(client: client, cipher: cipher, logger: logger)

            let pager = Pager(configuration: pagerConfiguration, logger: logger, cipher: cipher)
            let dispatcher = NotificationDispatcher(client: client, logger: logger, cipher: cipher) { channels.channel(for: $0) }
            let pipeline = AlertPipeline(
                client: client, configuration: PipelineConfiguration(shards: shards, tickInterval: .milliseconds(tick)),
                pager: pager, logger: logger, onNotificationsQueued: { dispatcher.wake() })
            let escalation = EscalationService(client: client, pager: pager, logger: logger, onNotificationsQueued: { dispatcher.wake() })
            let live = LiveHub(client: client, logger: logger)
            // Derived values are stored like readings and seen by the live feed and rules the same way.
            let derived: DerivedService? = derivedInterval == 0 ? nil : DerivedService(
                store: DerivedStore(client: client, logger: logger), registry: store,
                configuration: DerivedConfiguration(interval: .milliseconds(derivedInterval), congestion: congestion), logger: logger
            ) { readings in
                live.publish(readings)
                await pipeline.submit(readings)
            }
            // Rules, the live feed and the derivations see a batch once it is committed.
            let writer = ReadingWriter(client: client, configuration: writerConfiguration, logger: logger) { batch in
                live.publish(batch.readings)
                derived?.observe(batch.readings)
                await pipeline.submit(batch.readings)
            }
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
                ("live_feed", { live.isReady }),
            ])
            let app = APIServer.makeApplication(
                configuration: .init(host: setting(httpHost, env: "IOC_HTTP_HOST", default: "127.0.0.1"), port: port),
                readiness: readiness, metrics: metrics,
                access: AccessControl(authenticator: TokenAuthenticator(store: APITokenStore(client: client, logger: logger), logger: logger),
                                      metricsOpen: metricsOpen, audit: AuditLog(client: client, logger: logger), rateLimit: hardening.rateLimit),
                rules: RuleStore(client: client, logger: logger),
                alerting: AlertingEndpoints(
                    pipeline: pipeline, alerts: AlertStore(client: client, logger: logger, cipher: cipher),
                    silences: SilenceStore(client: client, logger: logger), paging: PagingStore(client: client, logger: logger, cipher: cipher)),
                dashboard: DashboardEndpoints(
                    store: DashboardStore(client: client, logger: logger), layouts: dashboard.layouts, staleAfterSeconds: dashboard.staleAfter, live: live),
                live: live,
                gateways: GatewayAdministration(
                    store: GatewayStore(client: client, logger: logger),
                    accounts: GatewayAccounts(transport: DynamicSecurityClient(endpoint: endpoint)),
                    audit: AuditLog(client: client, logger: logger), logger: logger),
                hardening: hardening,
                logger: logger
            )
            // Dependency order: shutdown runs in reverse, so HTTP stops first and the writer last.
            let services = ServiceGroup(configuration: .init(
                services: [
                    .init(service: maintenance),
                    .init(service: RegistryRefresher(store: store, cache: registry, loadedVersion: loadedVersion, interval: .seconds(refresh), logger: logger)),
                    // Stops after the writer, so its last pass folds the writer's last batches.
                    .init(service: RollupService(client: client, interval: .seconds(rollupInterval), logger: logger)),
                    // Stop after the pipeline, which stops after the writer: the last batches are
                    // evaluated and their notifications queued (and sent, if there is time).
                    .init(service: dispatcher),
                    .init(service: escalation),
                    .init(service: pipeline),
                    .init(service: live),
                    // Stops after the writer, before the pipeline and the live feed: it derives from the
                    // writer's last batches and hands the results on.
                ] + (derived.map { [ServiceGroupConfiguration.ServiceConfiguration(service: $0)] } ?? []) + [
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

/// Before paging can happen: with a key, seals what is still plaintext (rows from before
/// migration 012) or sealed with an earlier key; without one, refuses to start while contacts or
/// notifications exist, since their data could be neither read nor kept sealed.
func sealPersonalData(client: PostgresClient, cipher: DataCipher?, logger: Logger) async throws {
    let sealer = PersonalDataSealer(client: client, cipher: cipher, logger: logger)
    guard cipher != nil else {
        let (contacts, notifications) = try await sealer.rowsHoldingPersonalData()
        if contacts + notifications > 0 {
            throw ValidationError("the database holds \(contacts) contacts and \(notifications) notifications with personal data, and "
                + DataCipherError.missingKey.message + ". If the data was sealed with a key that is lost, the contacts must be entered again")
        }
        logger.warning("IOC_DATA_KEY is not set: contacts cannot be created until it is (see README, Security)")
        return
    }
    try await sealer.sealAll()
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
