import AsyncHTTPClient
import Foundation
import IOCAlerting
import IOCCore
import IOCNotify
import IOCStorage
import PostgresNIO
import Synchronization
import Testing

/// The outbox dispatcher with the real webhook channel, a real local HTTP server and PostgreSQL.
@Suite("The notification dispatcher", .serialized)
struct DispatcherTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    @Test("what an earlier process queued is sent by a new dispatcher; a failing endpoint is retried with back-off, every attempt recorded; a dead one does not hold up another")
    func deliversQueuedAndRetries() async throws {
        let failuresLeft = Mutex(2)
        try await withNotifyTestServer(answer: { request in
            if request.path == "/dead" { return CannedAnswer(status: 200, delay: .seconds(30)) }
            let fail = failuresLeft.withLock { left -> Bool in
                guard left > 0 else { return false }
                left -= 1
                return true
            }
            return CannedAnswer(status: fail ? 503 : 200)
        }) { base, received in
            try await env.withFreshDatabase { client, _ in
                let secret = "dispatcher-test-secret-0123"
                _ = try await PagingStore(client: client, logger: env.logger, cipher: env.dataCipher).importConfiguration(PagingConfiguration(contacts: [
                    Contact(name: "Ops", channels: [.webhook(url: "\(base)/ops", secret: secret)]),
                    Contact(name: "Dead", channels: [.webhook(url: "\(base)/dead", secret: secret)]),
                ]))
                // Rows as a previous run of the pipeline left them (no alert needed for delivery).
                for (contact, path) in [("Dead", "dead"), ("Ops", "ops")] {
                    try await env.queueNotification(client, contact: contact, channel: "webhook", address: "\(base)/\(path)")
                }
                try await withNotifyHTTPClient { http in
                    let channels = ChannelRegistry([WebhookChannel(client: http, timeout: .seconds(20))])
                    let dispatcher = NotificationDispatcher(
                        client: client,
                        configuration: .init(pollInterval: .milliseconds(100), retryInitialDelay: .milliseconds(200), retryMaxDelay: .seconds(1)),
                        logger: env.logger, cipher: env.dataCipher) { channels.channel(for: $0) }
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { try await dispatcher.run() }
                        defer { group.cancelAll() }
                        let sent = try await eventually(timeout: .seconds(10)) {
                            try await count(client, "SELECT count(*) FROM notification_outbox WHERE contact = 'Ops' AND status = 'sent'") == 1
                        }
                        #expect(sent, "the live endpoint's message went out while the dead one hangs")
                    }
                }
                #expect(try await count(client, "SELECT count(*) FROM notification_attempts a JOIN notification_outbox o ON o.id = a.outbox_id WHERE o.contact = 'Ops' AND NOT a.ok") == 2)
                #expect(try await count(client, "SELECT count(*) FROM notification_attempts a JOIN notification_outbox o ON o.id = a.outbox_id WHERE o.contact = 'Ops' AND a.ok") == 1)
                let ops = received.all.filter { $0.path == "/ops" }
                #expect(ops.count == 3)
                #expect(Set(ops.compactMap { $0.headers["idempotency-key"] }).count == 1, "the same key on every retry")
                for request in ops {
                    let timestamp = Int(request.headers["x-ioc-timestamp"] ?? "") ?? -1
                    #expect(request.headers["x-ioc-signature"] == WebhookChannel.signature(secret: secret, timestamp: timestamp, body: request.body))
                }
            }
        }
    }
}
