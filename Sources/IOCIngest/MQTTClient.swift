import CMosquitto
import Dispatch
import Foundation
import IOCCore
import Synchronization

/// Where and as whom to connect: `mqtt://user:password@host:port`.
public struct MQTTEndpoint: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String?
    public var password: String?

    public init(host: String, port: Int = 1883, username: String? = nil, password: String? = nil) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
    }

    public init(url string: String) throws(IngestError) {
        guard let url = URLComponents(string: string), url.scheme == "mqtt", let host = url.host, !host.isEmpty else {
            throw IngestError("IOC_MQTT_URL must look like mqtt://user:password@host:1883, got \(MQTTEndpoint.redacted(string))")
        }
        self.init(host: host, port: url.port ?? 1883, username: url.user?.removingPercentEncoding, password: url.password?.removingPercentEncoding)
    }

    /// Without the password, for logs.
    public var description: String { "mqtt://\(username.map { "\($0)@" } ?? "")\(host):\(port)" }

    public static func redacted(_ string: String) -> String {
        guard var url = URLComponents(string: string) else { return "<unparseable URL>" }
        if url.password != nil { url.password = "***" }
        return url.string ?? "<unparseable URL>"
    }
}

/// An error of the ingest layer.
public struct IngestError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// One received MQTT message, copied out of libmosquitto's buffers.
public struct MQTTMessage: Sendable {
    public var topic: String
    public var payload: Data
    public var receivedAt: Timestamp
}

/// A libmosquitto client driven by its own network thread (`mosquitto_loop_start`).
///
/// `@unchecked Sendable`: the `mosquitto *` handle is only used through libmosquitto calls that
/// are documented as safe from any thread once the loop thread runs (publish, subscribe,
/// disconnect, loop_stop); the Swift state beside it is in `Mutex`es or immutable.
public final class MQTTClient: @unchecked Sendable {
    public struct Options: Sendable {
        public var clientID: String?
        /// False keeps the session (subscriptions and queued QoS 1 messages) on the broker.
        public var cleanSession: Bool
        public var keepAlive: Int32
        /// Unacknowledged outgoing QoS 1 messages on the wire (0 = no limit).
        public var maxInflight: UInt32
        public var will: (topic: String, payload: String)?

        public init(clientID: String? = nil, cleanSession: Bool = true, keepAlive: Int32 = 30, maxInflight: UInt32 = 100, will: (topic: String, payload: String)? = nil) {
            self.clientID = clientID
            self.cleanSession = cleanSession
            self.keepAlive = keepAlive
            self.maxInflight = maxInflight
            self.will = will
        }
    }

    /// What the loop thread calls; kept alive by the client, passed to C as an unretained pointer.
    final class Callbacks: Sendable {
        let onMessage: @Sendable (MQTTMessage) -> Void
        let onConnect: @Sendable (Int32) -> Void
        let onDisconnect: @Sendable (Int32) -> Void
        let onPublish: @Sendable (Int32) -> Void
        let subscriptions = Mutex<[String]>([])
        init(onMessage: @escaping @Sendable (MQTTMessage) -> Void, onConnect: @escaping @Sendable (Int32) -> Void,
             onDisconnect: @escaping @Sendable (Int32) -> Void, onPublish: @escaping @Sendable (Int32) -> Void) {
            self.onMessage = onMessage
            self.onConnect = onConnect
            self.onDisconnect = onDisconnect
            self.onPublish = onPublish
        }
    }

    private static let libraryInit: Void = { mosquitto_lib_init(); return () }()

    public let endpoint: MQTTEndpoint
    private let handle: OpaquePointer
    private let callbacks: Callbacks
    private let connected = AtomicCounter()
    private let started = Atomic<Bool>(false)

    public var isConnected: Bool { connected.value == 1 }

    public init(endpoint: MQTTEndpoint, options: Options,
                onMessage: @escaping @Sendable (MQTTMessage) -> Void = { _ in },
                onConnect: @escaping @Sendable (Int32) -> Void = { _ in },
                onDisconnect: @escaping @Sendable (Int32) -> Void = { _ in },
                onPublish: @escaping @Sendable (Int32) -> Void = { _ in }) throws(IngestError) {
        _ = Self.libraryInit
        self.endpoint = endpoint
        let connectedFlag = connected
        self.callbacks = Callbacks(
            onMessage: onMessage,
            onConnect: { rc in connectedFlag.store(rc == 0 ? 1 : 0); onConnect(rc) },
            onDisconnect: { rc in connectedFlag.store(0); onDisconnect(rc) },
            onPublish: onPublish
        )
        guard let handle = mosquitto_new(options.clientID, options.cleanSession, Unmanaged.passUnretained(callbacks).toOpaque()) else {
            throw IngestError("mosquitto_new failed (client id \(options.clientID ?? "random"), clean session \(options.cleanSession)): \(String(cString: strerror(errno)))")
        }
        self.handle = handle
        mosquitto_int_option(handle, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311)
        mosquitto_int_option(handle, MOSQ_OPT_TCP_NODELAY, 1)
        mosquitto_max_inflight_messages_set(handle, options.maxInflight)
        mosquitto_reconnect_delay_set(handle, 1, 30, true)
        if let user = endpoint.username {
            mosquitto_username_pw_set(handle, user, endpoint.password)
        }
        if let will = options.will {
            _ = will.payload.withCString { p in
                mosquitto_will_set(handle, will.topic, Int32(strlen(p)), p, 1, true)
            }
        }
        mosquitto_connect_callback_set(handle) { mosq, userdata, rc in
            guard let userdata else { return }
            let callbacks = Unmanaged<Callbacks>.fromOpaque(userdata).takeUnretainedValue()
            // Subscribing on every connect is harmless with a kept session and repairs a lost one.
            if rc == 0 {
                for topic in callbacks.subscriptions.withLock({ $0 }) {
                    mosquitto_subscribe(mosq, nil, topic, 1)
                }
            }
            callbacks.onConnect(rc)
        }
        mosquitto_disconnect_callback_set(handle) { _, userdata, rc in
            guard let userdata else { return }
            Unmanaged<Callbacks>.fromOpaque(userdata).takeUnretainedValue().onDisconnect(rc)
        }
        mosquitto_publish_callback_set(handle) { _, userdata, mid in
            guard let userdata else { return }
            Unmanaged<Callbacks>.fromOpaque(userdata).takeUnretainedValue().onPublish(mid)
        }
        mosquitto_message_callback_set(handle) { _, userdata, message in
            guard let userdata, let message else { return }
            let m = message.pointee
            let topic = m.topic.map { String(cString: $0) } ?? ""
            let payload = m.payloadlen > 0 && m.payload != nil ? Data(bytes: m.payload, count: Int(m.payloadlen)) : Data()
            Unmanaged<Callbacks>.fromOpaque(userdata).takeUnretainedValue()
                .onMessage(MQTTMessage(topic: topic, payload: payload, receivedAt: .now))
        }
    }

    deinit {
        mosquitto_destroy(handle)
    }

    /// Starts the network thread and connects; reconnects by itself with back-off (1 s … 30 s).
    public func start() throws(IngestError) {
        guard started.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        let rc = mosquitto_connect_async(handle, endpoint.host, Int32(endpoint.port), 30)
        // A refused first attempt is retried by the loop thread; only bad arguments are fatal.
        if rc == MOSQ_ERR_INVAL.rawValue {
            throw IngestError("cannot connect to \(endpoint): \(Self.describe(rc))")
        }
        let loop = mosquitto_loop_start(handle)
        guard loop == MOSQ_ERR_SUCCESS.rawValue else {
            throw IngestError("mosquitto_loop_start failed: \(Self.describe(loop))")
        }
    }

    /// Disconnects and joins the network thread. Blocks: call it off the concurrency pool.
    public func stop() {
        guard started.compareExchange(expected: true, desired: false, ordering: .relaxed).exchanged else { return }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        connected.store(0)
    }

    /// Ends the connection the way a network failure does — the socket is shut down without an
    /// MQTT DISCONNECT, so the broker publishes the client's will — and stops the network thread.
    /// The simulator uses it to take a gateway offline. Blocks (up to a few seconds): call it off
    /// the concurrency pool. The client cannot be started again.
    public func abort() {
        guard started.compareExchange(expected: true, desired: false, ordering: .relaxed).exchanged else { return }
        // The reconnect delay keeps the loop thread from reconnecting between the shutdown and the
        // disconnect below; it is woken out of that delay by loop_stop.
        mosquitto_reconnect_delay_set(handle, 3600, 3600, false)
        let socket = mosquitto_socket(handle)
        if socket >= 0 { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        // Once the loop thread has seen the connection end it has closed the socket; the disconnect
        // then only marks the client disconnected (it sends nothing), so the loop thread ends.
        let deadline = Date().addingTimeInterval(5)
        while connected.value == 1 && Date() < deadline { usleep(5_000) }
        mosquitto_disconnect(handle)
        mosquitto_loop_stop(handle, false)
        connected.store(0)
    }

    /// `abort()` on a thread of its own, awaited.
    public func abortInBackground() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                abort()
                continuation.resume()
            }
            thread.start()
        }
    }

    /// `stop()` on a thread of its own, awaited.
    public func stopInBackground() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let thread = Thread { [self] in
                stop()
                continuation.resume()
            }
            thread.start()
        }
    }

    /// Topics subscribed with QoS 1 each time the connection is (re)established.
    public func subscribeOnConnect(_ topics: [String]) {
        callbacks.subscriptions.withLock { $0 = topics }
    }

    /// Queues a message; returns its message id. libmosquitto sends it (and resends after a
    /// reconnect) from the loop thread.
    @discardableResult
    public func publish(topic: String, payload: Data, qos: Int32 = 1, retain: Bool = false) throws(IngestError) -> Int32 {
        var mid: Int32 = 0
        let rc = payload.withUnsafeBytes { buffer in
            mosquitto_publish(handle, &mid, topic, Int32(buffer.count), buffer.baseAddress, qos, retain)
        }
        // While disconnected, libmosquitto keeps a QoS 1/2 message in its outgoing queue and sends
        // it after reconnecting; it still answers NO_CONN.
        guard rc == MOSQ_ERR_SUCCESS.rawValue || (rc == MOSQ_ERR_NO_CONN.rawValue && qos > 0) else {
            throw IngestError("publish to \(topic) failed: \(Self.describe(rc))")
        }
        return mid
    }

    public static func describe(_ rc: Int32) -> String {
        if rc == MOSQ_ERR_ERRNO.rawValue { return String(cString: strerror(errno)) }
        return String(cString: mosquitto_strerror(rc))
    }

    public static func describeConnack(_ rc: Int32) -> String {
        String(cString: mosquitto_connack_string(rc))
    }
}
