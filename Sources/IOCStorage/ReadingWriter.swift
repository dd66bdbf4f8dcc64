import AsyncAlgorithms
import IOCCore
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle

/// How the writer batches and retries.
public struct WriterConfiguration: Sendable {
    /// Batches written in parallel, each on its own connection. Any lane takes the next batch:
    /// batches only insert new rows and append deltas, so they never wait for each other's locks.
    public var lanes: Int
    /// Readings per batch before it is sent.
    public var batchSize: Int
    /// The longest a reading waits in a partly filled batch.
    public var maxDelay: Duration
    public var retryInitialDelay: Duration
    public var retryMaxDelay: Duration
    /// How long one attempt to store a batch may take before it is abandoned and retried.
    public var attemptTimeout: Duration

    public init(lanes: Int = 4, batchSize: Int = 4000, maxDelay: Duration = .milliseconds(40),
                retryInitialDelay: Duration = .milliseconds(100), retryMaxDelay: Duration = .seconds(5),
                attemptTimeout: Duration = .seconds(30)) {
        self.lanes = max(1, lanes)
        self.batchSize = max(1, batchSize)
        self.maxDelay = maxDelay
        self.retryInitialDelay = retryInitialDelay
        self.retryMaxDelay = retryMaxDelay
        self.attemptTimeout = attemptTimeout
    }
}

/// A message or record that could not be used, as stored in `dead_letters`.
public struct DeadLetter: Sendable {
    public var receivedAt: Timestamp
    public var topic: String
    public var gateway: String?
    public var kind: String
    public var reason: String
    public var excerpt: String?

    public init(receivedAt: Timestamp, topic: String, gateway: String?, kind: String, reason: String, excerpt: String?) {
        self.receivedAt = receivedAt
        self.topic = topic
        self.gateway = gateway
        self.kind = kind
        self.reason = reason
        self.excerpt = excerpt
    }
}

/// Low-volume writes that travel beside the readings.
public enum SideRecord: Sendable {
    case deadLetter(DeadLetter)
    case gatewayStatus(code: String, status: GatewayStatus, at: Timestamp)
    case gatewaySeen(code: String, at: Timestamp)
}

/// What one committed batch did, handed to whoever evaluates what was stored (rules, live feed).
public struct CommittedBatch: Sendable {
    public var readings: [Reading]
    public var inserted: Int
}

/// Stores readings in PostgreSQL: one statement per batch inserts the rows and, beside them, the
/// rollup deltas of the rows actually inserted (so a redelivered reading changes nothing), which
/// `RollupService` folds into the 1-minute and 1-hour rollups and `latest_values`. Retries with back-off and never drops a batch; while it
/// retries, `submit` waits, which backs the pressure up to ingest and the broker.
public final class ReadingWriter: Service, Sendable {
    public let configuration: WriterConfiguration
    private let client: PostgresClient
    private let logger: Logger
    private let batches = AsyncChannel<[Reading]>()
    private let side = AsyncChannel<[SideRecord]>()
    private let onCommit: @Sendable (CommittedBatch) async -> Void

    private let storedCounter = Counter(label: "ioc_writer_readings_stored_total")
    private let duplicateCounter = Counter(label: "ioc_writer_readings_duplicate_total")
    private let batchCounter = Counter(label: "ioc_writer_batches_total")
    private let retryCounter = Counter(label: "ioc_writer_retries_total")
    private let batchTimer = Timer(label: "ioc_writer_batch_duration_seconds")
    private let ageTimer = Timer(label: "ioc_reading_age_at_commit_seconds")
    private let deadLetterCounter = Counter(label: "ioc_writer_dead_letters_stored_total")

    public init(client: PostgresClient, configuration: WriterConfiguration = .init(), logger: Logger,
                onCommit: @escaping @Sendable (CommittedBatch) async -> Void = { _ in }) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        self.onCommit = onCommit
    }

    /// Hands a batch to the first free lane; waits while every lane is busy.
    public func submit(_ batch: [Reading]) async {
        guard !batch.isEmpty else { return }
        await batches.send(batch)
    }

    public func submit(side records: [SideRecord]) async {
        guard !records.isEmpty else { return }
        await side.send(records)
    }

    /// No more input: the lanes finish what they hold and `run()` returns.
    public func finish() {
        batches.finish()
        side.finish()
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                for _ in 0..<configuration.lanes {
                    group.addTask {
                        for await batch in self.batches { await self.writeWithRetry(batch) }
                    }
                }
                group.addTask {
                    for await records in self.side { await self.writeSideWithRetry(records) }
                }
            }
        } onGracefulShutdown: {
            // Producers stop before the writer (service order), so everything they sent is in.
            self.finish()
        }
        logger.info("reading writer stopped")
        // Ingest finishes the writer as it stops, before the group reaches the writer: returning now
        // would count as an unexpected end. Wait for our own turn.
        try? await gracefulShutdown()
    }

    // MARK: Readings

    func writeWithRetry(_ batch: [Reading]) async {
        var delay = configuration.retryInitialDelay
        var attempt = 0
        let started = ContinuousClock.now
        while true {
            attempt += 1
            do {
                let inserted = try await withDeadline(configuration.attemptTimeout, what: "storing \(batch.count) readings") {
                    try await self.insert(batch)
                }
                let elapsed = ContinuousClock.now - started
                batchTimer.recordNanoseconds(elapsed.nanoseconds)
                batchCounter.increment()
                storedCounter.increment(by: inserted)
                duplicateCounter.increment(by: batch.count - inserted)
                let now = Timestamp.now
                for reading in batch {
                    ageTimer.recordMicroseconds(max(0, now.microseconds - reading.time.microseconds))
                }
                if attempt > 1 { logger.notice("batch stored after retrying", metadata: ["attempts": "\(attempt)", "readings": "\(batch.count)"]) }
                await onCommit(CommittedBatch(readings: batch, inserted: inserted))
                return
            } catch let error as PSQLError where error.sqlState == "23514" && attempt < 5 {
                // No partition for some row: create the days this batch covers, then retry at once.
                await ensurePartitions(for: batch)
            } catch {
                if Task.isCancelled {
                    logger.error("writer cancelled with a batch unstored", metadata: ["readings": "\(batch.count)", "error": "\(error.databaseSummary)"])
                    return
                }
                retryCounter.increment()
                if attempt == 1 || attempt % 10 == 0 {
                    logger.warning("storing a batch failed; retrying", metadata: [
                        "attempt": "\(attempt)", "readings": "\(batch.count)", "error": "\(error.databaseSummary)", "retry_in": "\(delay)",
                    ])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.retryMaxDelay)
            }
        }
    }

    /// The retrying write path, for tests.
    public func writeWithRetryForTesting(_ batch: [Reading]) async { await writeWithRetry(batch) }

    /// The common case: every reading of the batch is new. A plain INSERT (no ON CONFLICT check,
    /// which costs PostgreSQL twice the time per row) and, beside it, the batch's per-minute
    /// aggregates computed here, as one `rollup_deltas` row. If any reading is already stored,
    /// the statement fails as a whole with a unique violation and `insertSkippingDuplicates` runs.
    public static let insertNewSQL = """
        WITH inserted AS (
            INSERT INTO readings (sensor_id, ts, value)
            SELECT * FROM unnest($1::int4[], $2::timestamptz[], $3::float8[])
        )
        INSERT INTO rollup_deltas (entries, sensor_ids, buckets, mins, maxs, sums, counts, last_ts, last_values)
        VALUES (cardinality($4::int4[]), $4::int4[], $5::timestamptz[], $6::float8[], $7::float8[], $8::float8[], $9::int8[], $10::timestamptz[], $11::float8[])
        """

    /// A batch with readings already stored (a redelivery): only the new rows are inserted, and the
    /// deltas are computed by PostgreSQL from the rows actually inserted.
    public static let insertSkippingDuplicatesSQL = """
        WITH inserted AS (
            INSERT INTO readings (sensor_id, ts, value)
            SELECT * FROM unnest($1::int4[], $2::timestamptz[], $3::float8[])
            ON CONFLICT DO NOTHING
            RETURNING sensor_id, ts, value
        ), minute AS (
            SELECT sensor_id, date_trunc('minute', ts, 'UTC') AS bucket, min(value) AS mn, max(value) AS mx, sum(value) AS sm,
                   count(*) AS n, max(ts) AS lt, (array_agg(value ORDER BY ts DESC))[1] AS lv
            FROM inserted GROUP BY 1, 2
        ), deltas AS (
            INSERT INTO rollup_deltas (entries, sensor_ids, buckets, mins, maxs, sums, counts, last_ts, last_values)
            SELECT count(*), array_agg(sensor_id), array_agg(bucket), array_agg(mn), array_agg(mx), array_agg(sm), array_agg(n), array_agg(lt), array_agg(lv)
            FROM minute HAVING count(*) > 0
        )
        SELECT count(*) FROM inserted
        """

    private let uniqueViolation = "23505"

    /// Inserts one batch in one statement (two when some readings were stored before); returns
    /// how many rows were new.
    public func insert(_ batch: [Reading]) async throws -> Int {
        var ids = [Int32](), times = [Timestamp](), values = [Double]()
        ids.reserveCapacity(batch.count); times.reserveCapacity(batch.count); values.reserveCapacity(batch.count)
        for r in batch {
            ids.append(r.sensorID); times.append(r.time); values.append(r.value)
        }
        do {
            let deltas = MinuteAggregate.of(batch)
            var binds = PostgresBindings(capacity: 11)
            binds.append(ids); binds.append(times); binds.append(values)
            binds.append(deltas.map(\.sensorID)); binds.append(deltas.map(\.minute))
            binds.append(deltas.map(\.min)); binds.append(deltas.map(\.max)); binds.append(deltas.map(\.sum))
            binds.append(deltas.map(\.count)); binds.append(deltas.map(\.lastTime)); binds.append(deltas.map(\.lastValue))
            try await client.query(PostgresQuery(unsafeSQL: Self.insertNewSQL, binds: binds), logger: logger)
            return batch.count
        } catch let error as PSQLError where error.sqlState == uniqueViolation {
            var binds = PostgresBindings(capacity: 3)
            binds.append(ids); binds.append(times); binds.append(values)
            let rows = try await client.query(PostgresQuery(unsafeSQL: Self.insertSkippingDuplicatesSQL, binds: binds), logger: logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    func ensurePartitions(for batch: [Reading]) async {
        guard let first = batch.min(by: { $0.time < $1.time })?.time, let last = batch.max(by: { $0.time < $1.time })?.time else { return }
        do {
            try await PartitionMaintenance.ensure(client: client, from: first, to: last, logger: logger)
        } catch {
            logger.warning("creating partitions failed", metadata: ["error": "\(error.databaseSummary)"])
        }
    }

    // MARK: Dead letters and gateway state

    func writeSideWithRetry(_ records: [SideRecord]) async {
        var delay = configuration.retryInitialDelay
        while true {
            do {
                try await withDeadline(configuration.attemptTimeout, what: "storing dead letters and gateway state") {
                    try await self.writeSide(records)
                }
                return
            } catch {
                if Task.isCancelled { return }
                retryCounter.increment()
                logger.warning("storing dead letters / gateway state failed; retrying", metadata: ["error": "\(error.databaseSummary)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, configuration.retryMaxDelay)
            }
        }
    }

    func writeSide(_ records: [SideRecord]) async throws {
        var at = [Timestamp](), topics = [String](), gateways = [String?](), kinds = [String](), reasons = [String](), excerpts = [String?]()
        var seen: [String: Timestamp] = [:]
        var statuses: [(String, GatewayStatus, Timestamp)] = []
        for record in records {
            switch record {
            case .deadLetter(let d):
                at.append(d.receivedAt); topics.append(d.topic); gateways.append(d.gateway)
                kinds.append(d.kind); reasons.append(d.reason); excerpts.append(d.excerpt)
            case .gatewayStatus(let code, let status, let time):
                statuses.append((code, status, time))
            case .gatewaySeen(let code, let time):
                seen[code] = max(seen[code] ?? time, time)
            }
        }
        if !at.isEmpty {
            var binds = PostgresBindings(capacity: 6)
            binds.append(at); binds.append(topics); binds.append(gateways.map { $0 ?? "" }); binds.append(kinds); binds.append(reasons); binds.append(excerpts.map { $0 ?? "" })
            try await client.query(PostgresQuery(unsafeSQL: """
                INSERT INTO dead_letters (received_at, topic, gateway, kind, reason, excerpt)
                SELECT a, t, nullif(g, ''), k, r, nullif(e, '')
                FROM unnest($1::timestamptz[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS u(a, t, g, k, r, e)
                """, binds: binds), logger: logger)
            deadLetterCounter.increment(by: at.count)
        }
        for (code, status, time) in statuses {
            try await client.query("""
                UPDATE gateways SET status_changed_at = CASE WHEN status <> \(status.rawValue) THEN \(time) ELSE status_changed_at END,
                    status = \(status.rawValue), last_seen_at = greatest(last_seen_at, \(time))
                WHERE code = \(code)
                """, logger: logger)
        }
        if !seen.isEmpty {
            let codes = Array(seen.keys)
            let times = codes.map { seen[$0]! }
            try await client.query("""
                UPDATE gateways g SET last_seen_at = greatest(g.last_seen_at, u.t)
                FROM unnest(\(codes)::text[], \(times)::timestamptz[]) AS u(c, t) WHERE g.code = u.c
                """, logger: logger)
        }
    }
}

extension Timestamp {
    /// The current wall-clock time.
    public static var now: Timestamp {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microseconds: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
