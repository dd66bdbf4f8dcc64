import Dispatch
import Foundation
import IOCCore
import IOCStorage
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// How ingest connects and how much it holds.
public struct IngestConfiguration: Sendable {
    public var endpoint: MQTTEndpoint
    /// Stable, so the broker keeps our session (clean session off) across restarts.
    public var clientID: String
    public var limits: IngestLimits
    /// Messages received but not yet decoded; when reached, the MQTT thread waits and the
    /// broker queues (TCP back-pressure).
    public var maxPendingMessages: Int
    /// Rejections stored per message; the rest are summarised in one more dead letter.
    public var maxDeadLettersPerMessage: Int

    public static let topics = ["ioc/v1/+/senml", "ioc/v1/+/json", "ioc/v1/+/raw/+/+", "ioc/v1/+/status"]

    public init(endpoint: MQTTEndpoint, clientID: String = "ioc-ingest", limits: IngestLimits = .init(),
                maxPendingMessages: Int = 4096, maxDeadLettersPerMessage: Int = 20) {
        self.endpoint = endpoint
        self.clientID = clientID
        self.limits = limits
        self.maxPendingMessages = max(1, maxPendingMessages)
        self.maxDeadLettersPerMessage = max(1, maxDeadLettersPerMessage)
    }
}

/// MQTT → decode and validate → batches for the writer. Dead letters and gateway state go to
/// the writer's side lane. Stops by disconnecting, then drains everything it received.
public final class IngestService: Service, Sendable {
    enum Event: Sendable {
        case message(MQTTMessage)
        case tick
    }

    let configuration: IngestConfiguration
    let registry: RegistryCache
    let writer: ReadingWriter
    let logger: Logger
    private let client: Mutex<MQTTClient?> = Mutex(nil)
    private let pending = AtomicCounter()
    private let metrics = IngestMetrics()

    public init(configuration: IngestConfiguration, registry: RegistryCache, writer: ReadingWriter, logger: Logger) {
        self.configuration = configuration
        self.registry = registry
        self.writer = writer
        self.logger = logger
    }

    public var isConnected: Bool { client.withLock { $0?.isConnected ?? false } }

    public func run() async throws {
        let (events, continuation) = AsyncStream<Event>.makeStream()
        let permits = DispatchSemaphore(value: configuration.maxPendingMessages)
        let pending = self.pending
        let metrics = self.metrics
        let logger = self.logger
        let mqtt = try MQTTClient(
            endpoint: configuration.endpoint,
            options: .init(clientID: configuration.clientID, cleanSession: false),
            onMessage: { message in
                // On libmosquitto's thread: wait for room (back-pressure), hand over, return.
                permits.wait()
                metrics.queueDepth.record(pending.add(1))
                continuation.yield(.message(message))
            },
            onConnect: { rc in
                if rc == 0 {
                    logger.info("connected to the broker")
                    metrics.connected.record(1)
                } else {
                    logger.error("broker refused the connection", metadata: ["reason": "\(MQTTClient.describeConnack(rc))"])
                }
            },
            onDisconnect: { rc in
                metrics.connected.record(0)
                if rc != 0 { logger.warning("lost the broker connection; reconnecting", metadata: ["reason": "\(MQTTClient.describe(rc))"]) }
            }
        )
        client.withLock { $0 = mqtt }
        mqtt.subscribeOnConnect(IngestConfiguration.topics)
        try mqtt.start()
        logger.info("ingest started", metadata: ["broker": "\(configuration.endpoint)", "client_id": "\(configuration.clientID)"])

        let tickInterval = writer.configuration.maxDelay / 2
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: tickInterval)
                        continuation.yield(.tick)
                    }
                }
                await self.pipeline(events, permits: permits)
                group.cancelAll()
            }
        } onGracefulShutdown: {
            // Stop receiving first; what was received is still drained by the pipeline.
            Thread {
                mqtt.stop()
                continuation.finish()
            }.start()
        }
        writer.finish()
        logger.info("ingest stopped")
    }

    private func pipeline(_ events: AsyncStream<Event>, permits: DispatchSemaphore) async {
        let decoder = MessageDecoder(limits: configuration.limits)
        // One batch at a time: full batches go to whichever writer lane is free.
        var assembler = BatchAssembler(lanes: 1, batchSize: writer.configuration.batchSize, maxDelay: writer.configuration.maxDelay)
        var side: [SideRecord] = []
        var seen: [String: Timestamp] = [:]
        var lastSeenFlush = ContinuousClock.now
        for await event in events {
            let now = ContinuousClock.now
            switch event {
            case .message(let message):
                permits.signal()
                pending.subtract(1)
                let snapshot = registry.snapshot
                let decoded = decoder.decode(topic: message.topic, payload: message.payload, receivedAt: message.receivedAt, registry: snapshot)
                metrics.record(decoded, bytes: message.payload.count)
                if let gateway = decoded.gateway, snapshot.gateways.contains(gateway) {
                    if let status = decoded.status {
                        side.append(.gatewayStatus(code: gateway, status: status, at: message.receivedAt))
                    } else if !decoded.readings.isEmpty {
                        seen[gateway] = message.receivedAt
                    }
                }
                deadLetters(for: decoded, message: message, into: &side)
                for batch in assembler.append(decoded.readings, now: now) {
                    await writer.submit(batch.readings)
                }
            case .tick:
                for batch in assembler.due(now: now) {
                    await writer.submit(batch.readings)
                }
            }
            if side.count >= 500 || (!side.isEmpty && event.isTick) {
                await writer.submit(side: side)
                side.removeAll(keepingCapacity: true)
            }
            if !seen.isEmpty && now - lastSeenFlush > .seconds(5) {
                await writer.submit(side: seen.map { .gatewaySeen(code: $0.key, at: $0.value) })
                seen.removeAll()
                lastSeenFlush = now
            }
        }
        // Drain: the stream ended after the MQTT thread stopped.
        for batch in assembler.flush() {
            await writer.submit(batch.readings)
        }
        side.append(contentsOf: seen.map { .gatewaySeen(code: $0.key, at: $0.value) })
        await writer.submit(side: side)
    }

    private func deadLetters(for decoded: DecodedMessage, message: MQTTMessage, into side: inout [SideRecord]) {
        guard !decoded.rejections.isEmpty else { return }
        let excerpt = Self.excerpt(message.payload)
        let limit = configuration.maxDeadLettersPerMessage
        for rejection in decoded.rejections.prefix(limit) {
            side.append(.deadLetter(DeadLetter(receivedAt: message.receivedAt, topic: message.topic, gateway: decoded.gateway,
                                               kind: rejection.kind.rawValue, reason: rejection.reason, excerpt: excerpt)))
        }
        if decoded.rejections.count > limit {
            let rest = decoded.rejections.dropFirst(limit)
            var kinds: [String: Int] = [:]
            for r in rest { kinds[r.kind.rawValue, default: 0] += 1 }
            let summary = kinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
            side.append(.deadLetter(DeadLetter(receivedAt: message.receivedAt, topic: message.topic, gateway: decoded.gateway,
                                               kind: "summary", reason: "\(rest.count) more records rejected in this message: \(summary)", excerpt: nil)))
        }
    }

    /// The first 256 bytes of a payload as text, for a person reading `dead_letters`.
    static func excerpt(_ payload: Data) -> String {
        let head = payload.prefix(256)
        var text = String(decoding: head, as: UTF8.self)
        text = String(text.unicodeScalars.map { $0.value < 0x20 && $0 != "\n" && $0 != "\t" ? "\u{FFFD}" : Character($0) })
        return payload.count > 256 ? text + "… (\(payload.count) bytes)" : text
    }
}

extension IngestService.Event {
    var isTick: Bool { if case .tick = self { return true } else { return false } }
}

/// Ingest counters and gauges, created once with fixed dimensions.
final class IngestMetrics: Sendable {
    let messages = Counter(label: "ioc_ingest_messages_total")
    let bytes = Counter(label: "ioc_ingest_bytes_total")
    let accepted = Counter(label: "ioc_ingest_readings_accepted_total")
    let conversions = Counter(label: "ioc_ingest_unit_conversions_total")
    let queueDepth = Gauge(label: "ioc_ingest_queue_depth")
    let connected = Gauge(label: "ioc_ingest_mqtt_connected")
    let rejected: [RejectionKind: Counter]

    init() {
        var rejected: [RejectionKind: Counter] = [:]
        for kind in RejectionKind.allCases {
            rejected[kind] = Counter(label: "ioc_ingest_rejections_total", dimensions: [("reason", kind.rawValue)])
        }
        self.rejected = rejected
    }

    func record(_ decoded: DecodedMessage, bytes count: Int) {
        messages.increment()
        bytes.increment(by: count)
        if !decoded.readings.isEmpty { accepted.increment(by: decoded.readings.count) }
        if decoded.conversions > 0 { conversions.increment(by: decoded.conversions) }
        for rejection in decoded.rejections { rejected[rejection.kind]?.increment() }
    }
}
