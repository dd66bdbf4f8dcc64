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
    ///   - chunk: about how many (sensor, minute) deltas one statement folds (whole batches, at least
    ///     one): a backlog is folded in several statements, each sorting in memory.
    public init(client: PostgresClient, interval: Duration = .seconds(10), chunk: Int = 50_000, logger: Logger) {
        self.client = client
        self.interval = interval
        self.chunk = max(1, chunk)
        self.logger = logger
    }

    public static let foldSQL = """
        WITH batches AS (
            DELETE FROM rollup_deltas WHERE id = ANY (ARRAY(
                SELECT id FROM (SELECT id, entries, sum(entries) OVER (ORDER BY id) AS upto FROM rollup_deltas) c
                WHERE upto - entries < $1))
            RETURNING entries, sensor_ids, buckets, mins, maxs, sums, counts, last_ts, last_values
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
        SELECT count(*), coalesce(sum(entries), 0) FROM batches
        """

    /// Folds every delta committed so far; returns how many batches' deltas were folded.
    @discardableResult
    public func runOnce() async throws -> Int {
        var total = 0
        let started = ContinuousClock.now
        while true {
            let limit = chunk
            let (batches, entries) = try await withDeadline(.seconds(60), what: "folding rollup deltas") {
                var binds = PostgresBindings(capacity: 1)
                binds.append(Int64(limit))
                let rows = try await client.query(PostgresQuery(unsafeSQL: Self.foldSQL, binds: binds), logger: logger)
                var result = (0, 0)
                for try await (b, e) in rows.decode((Int64, Int64).self) { result = (Int(b), Int(e)) }
                return result
            }
            total += batches
            if batches == 0 || entries < chunk { break }
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
            if Task.isShuttingDownGracefully || Task.isCancelled { break }
            await passLoggingFailures()
        }
        // The writer stops before this service (service order): fold what it stored last, once.
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
