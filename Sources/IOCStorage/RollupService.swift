import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// Folds `rollup_deltas` (written by the writer beside each batch of readings) into
/// `readings_1m`, `readings_1h` and `latest_values`. Each pass is one statement per chunk: it
/// deletes the deltas its snapshot sees and merges them, so every delta is folded exactly once,
/// also with several IOC instances, and nothing is lost if the process dies mid-pass.
public struct RollupService: Service {
    let client: PostgresClient
    let interval: Duration
    let chunk: Int
    let logger: Logger

    private let foldedCounter = Counter(label: "ioc_rollup_batches_folded_total")
    private let passTimer = Timer(label: "ioc_rollup_pass_duration_seconds")
    private let failureCounter = Counter(label: "ioc_rollup_failures_total")

    /// - Parameters:
    ///   - interval: the time between passes, which is how far rollups and latest values may trail the readings.
    ///   - chunk: the most batches' deltas one statement folds; a backlog is folded in several statements.
    public init(client: PostgresClient, interval: Duration = .seconds(10), chunk: Int = 200, logger: Logger) {
        self.client = client
        self.interval = interval
        self.chunk = max(1, chunk)
        self.logger = logger
    }

    public static let foldSQL = """
        WITH batches AS (
            DELETE FROM rollup_deltas WHERE id = ANY (ARRAY(SELECT id FROM rollup_deltas ORDER BY id LIMIT $1))
            RETURNING sensor_ids, buckets, mins, maxs, sums, counts, last_ts, last_values
        ), taken AS (
            SELECT d.* FROM batches,
                unnest(sensor_ids, buckets, mins, maxs, sums, counts, last_ts, last_values) AS d(sensor_id, bucket, min, max, sum, count, last_ts, last_value)
        ), minute AS (
            INSERT INTO readings_1m AS r (sensor_id, bucket, min, max, sum, count)
            SELECT sensor_id, bucket, min(min), max(max), sum(sum), sum(count)::bigint
            FROM taken GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (sensor_id, bucket) DO UPDATE SET
                min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
                sum = r.sum + excluded.sum, count = r.count + excluded.count
        ), hour AS (
            INSERT INTO readings_1h AS r (sensor_id, bucket, min, max, sum, count)
            SELECT sensor_id, date_trunc('hour', bucket, 'UTC'), min(min), max(max), sum(sum), sum(count)::bigint
            FROM taken GROUP BY 1, 2 ORDER BY 1, 2
            ON CONFLICT (sensor_id, bucket) DO UPDATE SET
                min = least(r.min, excluded.min), max = greatest(r.max, excluded.max),
                sum = r.sum + excluded.sum, count = r.count + excluded.count
        ), latest AS (
            INSERT INTO latest_values AS l (sensor_id, ts, value)
            SELECT DISTINCT ON (sensor_id) sensor_id, last_ts, last_value FROM taken ORDER BY sensor_id, last_ts DESC
            ON CONFLICT (sensor_id) DO UPDATE SET ts = excluded.ts, value = excluded.value
            WHERE l.ts < excluded.ts
        )
        SELECT count(*) FROM batches
        """

    /// Folds every delta committed so far; returns how many were folded.
    @discardableResult
    public func runOnce() async throws -> Int {
        var total = 0
        let started = ContinuousClock.now
        while true {
            let limit = chunk
            let folded = try await withDeadline(.seconds(60), what: "folding rollup deltas") {
                var binds = PostgresBindings(capacity: 1)
                binds.append(Int32(clamping: limit))
                let rows = try await client.query(PostgresQuery(unsafeSQL: Self.foldSQL, binds: binds), logger: logger)
                var n = 0
                for try await count in rows.decode(Int64.self) { n = Int(count) }
                return n
            }
            total += folded
            if folded < chunk { break }
        }
        if total > 0 {
            foldedCounter.increment(by: total)
            passTimer.recordNanoseconds((ContinuousClock.now - started).nanoseconds)
        }
        return total
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            await passLoggingFailures()
        }
        // The writer stops before this service (service order): fold what it stored last.
        await passLoggingFailures()
        logger.info("rollup service stopped")
    }

    private func passLoggingFailures() async {
        do { try await runOnce() } catch {
            failureCounter.increment()
            logger.warning("folding rollup deltas failed; the deltas stay and the next pass retries", metadata: ["error": "\(error.databaseSummary)"])
        }
    }
}
