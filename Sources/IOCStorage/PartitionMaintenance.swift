import IOCCore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Keeps daily `readings` partitions ahead of time and drops the ones past retention.
public struct PartitionMaintenance: Service {
    let client: PostgresClient
    let retentionDays: Int
    let daysAhead: Int
    let interval: Duration
    let logger: Logger

    public init(client: PostgresClient, retentionDays: Int, daysAhead: Int = 7, interval: Duration = .seconds(3600), logger: Logger) {
        self.client = client
        self.retentionDays = retentionDays
        self.daysAhead = daysAhead
        self.interval = interval
        self.logger = logger
    }

    /// Creates partitions for [today − 1, today + daysAhead] and drops those older than retention.
    public func runOnce() async throws {
        let now = Timestamp.now
        try await Self.ensure(client: client, from: now.adding(seconds: -86_400), to: now.adding(seconds: Double(daysAhead) * 86_400), logger: logger)
        let rows = try await client.query("""
            SELECT drop_readings_partitions_before(((now() AT TIME ZONE 'UTC')::date - \(Int32(retentionDays))))
            """, logger: logger)
        for try await dropped in rows.decode(Int32.self) where dropped > 0 {
            logger.info("dropped readings partitions past retention", metadata: ["partitions": "\(dropped)", "retention_days": "\(retentionDays)"])
        }
    }

    public static func ensure(client: PostgresClient, from: Timestamp, to: Timestamp, logger: Logger) async throws {
        try await client.query("""
            SELECT ensure_readings_partitions((\(from) AT TIME ZONE 'UTC')::date, (\(to) AT TIME ZONE 'UTC')::date)
            """, logger: logger)
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do { try await runOnce() } catch {
                logger.warning("partition maintenance failed; will retry", metadata: ["error": "\(error.databaseSummary)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
