import Foundation
import IOCCore
import IOCNotify
import IOCStorage
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

public struct DispatcherConfiguration: Sendable {
    /// How often the outbox is read when nothing wakes the dispatcher.
    public var pollInterval: Duration
    /// Retry back-off: first delay, doubled per attempt, capped.
    public var retryInitialDelay: Duration
    public var retryMaxDelay: Duration
    /// A notification still failing this long after it was queued is given up (status failed).
    public var giveUpAfter: Duration
    /// Deliveries in flight at once (each to a different address).
    public var maxInFlight: Int

    public init(pollInterval: Duration = .milliseconds(500), retryInitialDelay: Duration = .seconds(1), retryMaxDelay: Duration = .seconds(30),
                giveUpAfter: Duration = .seconds(24 * 3600), maxInFlight: Int = 32) {
        self.pollInterval = pollInterval
        self.retryInitialDelay = retryInitialDelay
        self.retryMaxDelay = retryMaxDelay
        self.giveUpAfter = giveUpAfter
        self.maxInFlight = max(1, maxInFlight)
    }

    /// The delay before attempt `attempts + 1`, after `attempts` failures.
    public func delay(afterFailures attempts: Int) -> Duration {
        var delay = retryInitialDelay
        for _ in 1..<max(1, attempts) where delay < retryMaxDelay { delay *= 2 }
        return min(delay, retryMaxDelay)
    }
}

/// Sends what the outbox holds. Each delivery runs in a task of its own and one address has at
/// most one delivery in flight, so a slow or dead endpoint holds up only its own messages:
/// never the pipeline (which only writes rows) and never another address or channel. Every
/// attempt is a `notification_attempts` row; failures retry with exponential back-off until they
/// succeed or `giveUpAfter` passes. After a restart the pending rows are simply still there.
public final class NotificationDispatcher: Service, Sendable {
    public let configuration: DispatcherConfiguration
    let client: PostgresClient
    let channels: @Sendable (ChannelKind) -> any NotificationChannel
    let logger: Logger
    private let wakeStream: AsyncStream<Void>
    private let wakeContinuation: AsyncStream<Void>.Continuation
    private let busy = Mutex<(ids: Set<Int64>, addresses: Set<String>)>(([], []))
    /// Opens the outbox's sealed addresses and contacts' webhook secrets.
    let cipher: DataCipher?

    public init(client: PostgresClient, configuration: DispatcherConfiguration = .init(), logger: Logger, cipher: DataCipher? = nil,
                channels: @escaping @Sendable (ChannelKind) -> any NotificationChannel) {
        self.client = client
        self.configuration = configuration
        self.channels = channels
        self.logger = logger
        self.cipher = cipher
        (wakeStream, wakeContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// New rows are in the outbox: read it now rather than at the next poll.
    public func wake() { wakeContinuation.yield() }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                // Wakes are turned into polls; a timer polls anyway (retries fall due by time).
                await withDiscardingTaskGroup { inner in
                    inner.addTask { [self] in
                        while !Task.isCancelled {
                            do { try await Task.sleep(for: configuration.pollInterval) } catch { return }
                            wake()
                        }
                    }
                    for await _ in wakeStream {
                        if Task.isCancelled { break }
                        await dispatchDue(into: &inner)
                    }
                    inner.cancelAll()
                }
            }
            try? await gracefulShutdown()
            wakeContinuation.finish()
            group.cancelAll()
        }
    }

    struct Row: Sendable {
        var id: Int64
        var channel: ChannelKind
        var address: String
        var contact: String?
        var subject: String
        var body: String
        var payload: String
        var attempts: Int
        var createdAt: Timestamp
    }

    private func dispatchDue(into group: inout DiscardingTaskGroup) async {
        let rows: [Row]
        do { rows = try await dueRows() } catch {
            logger.error("outbox not read", metadata: ["error": "\(String(reflecting: error))"])
            return
        }
        for row in rows {
            let key = "\(row.channel.rawValue) \(row.address)"
            let start = busy.withLock { busy -> Bool in
                guard busy.ids.count < configuration.maxInFlight, !busy.ids.contains(row.id), !busy.addresses.contains(key) else { return false }
                busy.ids.insert(row.id)
                busy.addresses.insert(key)
                return true
            }
            guard start else { continue }
            group.addTask { [self] in
                await deliver(row)
                busy.withLock { busy in
                    busy.ids.remove(row.id)
                    busy.addresses.remove(key)
                }
                wake()
            }
        }
    }

    private func dueRows() async throws -> [Row] {
        let rows = try await client.query("""
            SELECT id, channel, address_sealed, contact, subject, body, payload::text, attempts, created_at
            FROM notification_outbox WHERE status = 'pending' AND next_attempt_at <= now()
            ORDER BY next_attempt_at, id LIMIT 200
            """, logger: logger)
        var result: [Row] = []
        for try await (id, channel, sealed, contact, subject, body, payload, attempts, created) in rows.decode((Int64, String, String, String?, String, String, String, Int32, Timestamp).self) {
            guard let kind = ChannelKind(rawValue: channel) else { continue }
            let address = try cipher.required().open(sealed, context: Pager.addressContext(outboxID: id))
            result.append(Row(id: id, channel: kind, address: address, contact: contact, subject: subject, body: body, payload: payload, attempts: Int(attempts), createdAt: created))
        }
        return result
    }

    private func deliver(_ row: Row) async {
        let started = ContinuousClock.now
        var outcome: Result<DeliveryReceipt, DeliveryError>
        do {
            let secret = row.channel == .webhook ? try await webhookSecret(contact: row.contact, url: row.address) : nil
            let notification = OutgoingNotification(
                idempotencyKey: "ioc-\(row.id)", channel: row.channel, address: row.address, secret: secret,
                subject: row.subject, text: row.body, payload: Data(row.payload.utf8))
            do {
                outcome = .success(try await channels(row.channel).send(notification))
            } catch {
                outcome = .failure(error)
            }
        } catch {
            outcome = .failure(DeliveryError(retryable: true, "contact \(row.contact ?? "?") not readable: \(error)"))
        }
        // Shutting down: the row stays pending and is sent after the restart (at least once).
        if Task.isCancelled { return }
        let elapsed = ContinuousClock.now - started
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        await record(row, outcome, milliseconds: milliseconds)
    }

    /// Writes the attempt and the row's new status, retrying on database errors: a delivery that
    /// happened must not be sent again because its record was lost (it may still be, at least
    /// once, if the process dies in between; receivers deduplicate by the idempotency key).
    private func record(_ row: Row, _ outcome: Result<DeliveryReceipt, DeliveryError>, milliseconds: Double) async {
        let attempts = row.attempts + 1
        let ok: Bool, detail: String, status: String, nextDelay: Duration
        switch outcome {
        case .success(let receipt):
            (ok, detail, status, nextDelay) = (true, Self.withoutAddress(receipt.detail, row.address), "sent", .zero)
            Counter(label: "ioc_notifications_sent_total", dimensions: [("channel", row.channel.rawValue)]).increment()
        case .failure(let error):
            let age = Timestamp.now.seconds - row.createdAt.seconds
            let giveUp = !error.retryable || age >= Double(configuration.giveUpAfter.components.seconds)
            ok = false
            // Channels name the recipient in their errors; the delivery log and the logs must not.
            detail = Self.withoutAddress(error.message, row.address)
            status = giveUp ? "failed" : "pending"
            nextDelay = configuration.delay(afterFailures: attempts)
            Counter(label: "ioc_notification_attempts_failed_total", dimensions: [("channel", row.channel.rawValue)]).increment()
            if giveUp {
                logger.error("notification given up", metadata: ["outbox": "\(row.id)", "channel": "\(row.channel.rawValue)", "error": "\(detail)"])
            } else {
                logger.warning("notification failed; will retry", metadata: ["outbox": "\(row.id)", "channel": "\(row.channel.rawValue)", "attempt": "\(attempts)", "error": "\(detail)", "retry_in": "\(nextDelay)"])
            }
        }
        let delaySeconds = Double(nextDelay.components.seconds) + Double(nextDelay.components.attoseconds) / 1e18
        var retry = Duration.milliseconds(100)
        while true {
            do {
                try await client.withTransaction(logger: logger) { connection in
                    try await connection.query("""
                        INSERT INTO notification_attempts (outbox_id, ok, detail, duration_ms) VALUES (\(row.id), \(ok), \(detail), \(milliseconds))
                        """, logger: logger)
                    try await connection.query("""
                        UPDATE notification_outbox SET status = \(status), attempts = \(Int32(attempts)),
                            last_error = CASE WHEN \(ok) THEN NULL ELSE \(detail) END,
                            sent_at = CASE WHEN \(ok) THEN clock_timestamp() ELSE NULL END,
                            next_attempt_at = clock_timestamp() + make_interval(secs => \(delaySeconds))
                        WHERE id = \(row.id)
                        """, logger: logger)
                }
                return
            } catch {
                if Task.isCancelled {
                    logger.warning("delivery not recorded before shutdown; it will be sent again after the restart", metadata: ["outbox": "\(row.id)"])
                    return
                }
                logger.error("delivery not recorded; retrying", metadata: ["outbox": "\(row.id)", "error": "\(String(reflecting: error))"])
                try? await Task.sleep(for: retry)
                retry = min(retry * 2, .seconds(5))
            }
        }
    }

    /// `text` with every occurrence of `address` replaced by `<address>`.
    static func withoutAddress(_ text: String, _ address: String) -> String {
        let trimmed = address.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return text }
        return text.replacingOccurrences(of: trimmed, with: "<address>")
    }

    private func webhookSecret(contact: String?, url: String) async throws -> String? {
        guard let contact else { return nil }
        var query = PostgresQuery(unsafeSQL: PagingStore.select(Contact.self, "WHERE name = $1"))
        query.binds.append(contact)
        let contacts: [Contact] = try await PagingStore.entities(client.query(query, logger: logger), cipher: cipher)
        for found in contacts {
            for case .webhook(let address, let secret) in found.channels where address == url { return secret }
        }
        return nil
    }
}

/// Pages the next escalation step of firing alerts nobody has acknowledged.
public final class EscalationService: Service, Sendable {
    let client: PostgresClient
    let pager: Pager
    let interval: Duration
    let logger: Logger
    let onNotificationsQueued: @Sendable () -> Void

    public init(client: PostgresClient, pager: Pager, interval: Duration = .seconds(1), logger: Logger, onNotificationsQueued: @escaping @Sendable () -> Void) {
        self.client = client
        self.pager = pager
        self.interval = interval
        self.logger = logger
        self.onNotificationsQueued = onNotificationsQueued
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [self] in
            while !Task.isCancelled {
                do { try await runOnce() } catch {
                    logger.error("escalation check failed", metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// Pages every escalation step due now; returns how many notifications were queued.
    @discardableResult
    public func runOnce() async throws -> Int {
        let now = Timestamp.now
        let rows = try await client.query("""
            SELECT id FROM alerts WHERE next_page_at <= \(now) AND state = 'firing' ORDER BY next_page_at LIMIT 100
            """, logger: logger)
        var due: [Int64] = []
        for try await id in rows.decode(Int64.self) { due.append(id) }
        var queued = 0
        for id in due {
            queued += try await client.withTransaction(logger: logger) { connection in
                // Lock the alert: an acknowledgement committed meanwhile wins.
                try await connection.query("SELECT id FROM alerts WHERE id = \(id) FOR UPDATE", logger: logger)
                return try await pager.escalate(alertID: id, now: now, on: connection)
            }
        }
        if queued > 0 { onNotificationsQueued() }
        return queued
    }
}
