import Foundation
import Hummingbird
import HummingbirdWebSocket
import IOCAlerting
import IOCCore
import IOCStorage
import Logging
import Metrics
import NIOCore
import NIOWebSocket
import PostgresNIO
import ServiceLifecycle
import Synchronization

public struct LiveConfiguration: Sendable {
    /// How often coalesced reading updates go out: a sensor is sent at most this often.
    public var flushInterval: Duration
    /// How often new alert events are read from `alert_events`.
    public var eventPollInterval: Duration
    public var heartbeatInterval: Duration
    /// Reading frames waiting for one client before they are replaced by one snapshot.
    public var maxQueuedReadingFrames: Int
    /// Alert events waiting for one client before it is disconnected.
    public var maxQueuedEvents: Int
    /// A client whose frame has not gone out for this long is disconnected.
    public var stuckTimeout: Duration
    public var maxReadingsPerFrame: Int
    /// At most this many missed alert events are replayed on reconnect.
    public var replayLimit: Int

    public init(
        flushInterval: Duration = .milliseconds(250), eventPollInterval: Duration = .milliseconds(250),
        heartbeatInterval: Duration = .seconds(15), maxQueuedReadingFrames: Int = 16, maxQueuedEvents: Int = 5000,
        stuckTimeout: Duration = .seconds(15), maxReadingsPerFrame: Int = 2000, replayLimit: Int = 10_000
    ) {
        self.flushInterval = flushInterval
        self.eventPollInterval = eventPollInterval
        self.heartbeatInterval = heartbeatInterval
        self.maxQueuedReadingFrames = maxQueuedReadingFrames
        self.maxQueuedEvents = maxQueuedEvents
        self.stuckTimeout = stuckTimeout
        self.maxReadingsPerFrame = maxReadingsPerFrame
        self.replayLimit = replayLimit
    }
}

/// One connected live client: its subscription and mailbox, and the writer waiting on it.
final class LiveClient: Sendable {
    let id: Int
    let subscription: LiveSubscription
    private struct State {
        var mailbox: LiveMailbox<ByteBuffer>
        var waiter: CheckedContinuation<Void, Never>?
        var closed: String?
        /// When the frame being written was handed to the connection; nil when idle.
        var writingSince: ContinuousClock.Instant?
        /// Alert events already sent by the replay at connect.
        var replayed: Set<Int64> = []
        var writer: Task<Void, any Error>?
    }
    private let state: Mutex<State>

    init(id: Int, subscription: LiveSubscription, configuration: LiveConfiguration) {
        self.id = id
        self.subscription = subscription
        state = Mutex(State(mailbox: LiveMailbox(
            maxReadingFrames: configuration.maxQueuedReadingFrames, maxEventFrames: configuration.maxQueuedEvents)))
    }

    /// Queues reading frames; true when they were coalesced into a snapshot.
    func deliver(readings frames: [ByteBuffer]) -> Bool {
        let (coalesced, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard state.closed == nil else { return (false, nil) }
            let coalesced = state.mailbox.push(readings: frames)
            defer { state.waiter = nil }
            return (coalesced, state.waiter)
        }
        waiter?.resume()
        return coalesced
    }

    /// Queues an alert event; false when the client has too many waiting and must go.
    func deliver(event id: Int64, frame: ByteBuffer) -> Bool {
        let (accepted, waiter) = state.withLock { state -> (Bool, CheckedContinuation<Void, Never>?) in
            guard state.closed == nil else { return (true, nil) }
            if state.replayed.contains(id) { return (true, nil) }
            let accepted = state.mailbox.push(event: frame)
            defer { state.waiter = nil }
            return (accepted, state.waiter)
        }
        waiter?.resume()
        return accepted
    }

    func deliver(heartbeat frame: ByteBuffer) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.closed == nil else { return nil }
            state.mailbox.push(heartbeat: frame)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    func markReplayed(_ ids: some Sequence<Int64>) {
        state.withLock { $0.replayed.formUnion(ids) }
    }

    func attach(writer: Task<Void, any Error>) {
        let closed = state.withLock { state in
            state.writer = writer
            return state.closed != nil
        }
        if closed { writer.cancel() }
    }

    /// Ends the client: the writer stops (cancelled if it is stuck in a write).
    func close(_ reason: String) {
        let (waiter, writer) = state.withLock { state -> (CheckedContinuation<Void, Never>?, Task<Void, any Error>?) in
            if state.closed == nil { state.closed = reason }
            defer { state.waiter = nil }
            return (state.waiter, state.writer)
        }
        waiter?.resume()
        writer?.cancel()
    }

    var closedReason: String? { state.withLock { $0.closed } }

    /// Whether a frame has been on its way for longer than `limit`.
    func isStuck(now: ContinuousClock.Instant, limit: Duration) -> Bool {
        state.withLock { state in state.writingSince.map { now - $0 > limit } ?? false }
    }

    func writing(_ on: Bool) {
        state.withLock { $0.writingSince = on ? ContinuousClock.now : nil }
    }

    /// Waits for the next thing to send; nil once closed.
    func next() async -> LiveMailbox<ByteBuffer>.Next? {
        while true {
            let taken: LiveMailbox<ByteBuffer>.Next?? = state.withLock { state in
                if state.closed != nil { return .some(nil) }
                if let next = state.mailbox.next() { return .some(next) }
                return nil
            }
            if let taken { return taken }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if state.closed != nil || !state.mailbox.isEmpty { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    defer { state.waiter = nil }
                    return state.waiter
                }
                waiter?.resume()
            }
        }
    }
}

/// The live feed behind `/api/v1/live`: committed readings in (`publish`, from the writer),
/// alert events read from `alert_events`, and per client a coalescing mailbox and a writer. Work
/// is shared between clients with the same subscription (one encoding per flush), and nothing a
/// client does (reading slowly, not at all) reaches ingest or another client: its reading frames
/// are coalesced, it is disconnected if its alert events pile up or a frame is stuck, and both
/// are counted.
public final class LiveHub: Service, Sendable {
    public let configuration: LiveConfiguration
    let client: PostgresClient
    let logger: Logger

    /// A reading as the feed keeps it: the newest of each sensor.
    struct Value: Sendable {
        var time: Timestamp
        var value: Double
    }

    private let dirty = Mutex<[Int32: Value]>([:])
    private let latest = Mutex<[Int32: Value]>([:])
    private let catalog = Mutex<SensorCatalog>(SensorCatalog())
    /// The catalog's sensors ordered as `/api/v1/latest` lists them: station code, then metric,
    /// both bytewise (PostgreSQL's "C" collation).
    private let ordered = Mutex<[Int32]>([])
    /// Moves whenever `latest` or the catalog changes; encoded answers of an older one are stale.
    private let generation = Mutex<Int>(0)
    private struct LatestKey: Hashable { var unit: String?, domain: String?, station: String? }
    private let latestCache = Mutex<[LatestKey: (generation: Int, encodedAt: ContinuousClock.Instant, body: ByteBuffer)]>([:])
    /// Filters whose answer is being encoded again in the background.
    private let reencoding = Mutex<Set<LatestKey>>([])
    private let clients = Mutex<(next: Int, all: [Int: LiveClient])>((1, [:]))
    private let cursor = Mutex<EventCursor?>(nil)
    private let ready = Mutex<Bool>(false)

    private let clientsGauge = Gauge(label: "ioc_live_clients")
    private let framesCounter = Counter(label: "ioc_live_frames_sent_total")
    private let readingsCounter = Counter(label: "ioc_live_readings_published_total")
    private let coalescedCounter = Counter(label: "ioc_live_coalesced_total")
    private let slowCounter = Counter(label: "ioc_live_disconnected_total", dimensions: [("reason", "events_overflow")])
    private let stuckCounter = Counter(label: "ioc_live_disconnected_total", dimensions: [("reason", "stuck")])
    private let eventsCounter = Counter(label: "ioc_live_alert_events_total")

    public init(client: PostgresClient, configuration: LiveConfiguration = .init(), logger: Logger) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    // MARK: - Input

    /// Committed readings (the writer's `onCommit`): only the newest value of each sensor is kept
    /// until the next flush. Cheap, never waits on a client.
    public func publish(_ readings: [Reading]) {
        guard !readings.isEmpty else { return }
        dirty.withLock { dirty in
            for reading in readings where reading.value.isFinite {
                if let old = dirty[reading.sensorID], old.time >= reading.time { continue }
                dirty[reading.sensorID] = Value(time: reading.time, value: reading.value)
            }
        }
        readingsCounter.increment(by: readings.count)
    }

    // MARK: - Clients

    public var clientCount: Int { clients.withLock { $0.all.count } }

    func connect(_ subscription: LiveSubscription) -> LiveClient {
        let client = clients.withLock { clients in
            let client = LiveClient(id: clients.next, subscription: subscription, configuration: configuration)
            clients.next += 1
            clients.all[client.id] = client
            return client
        }
        clientsGauge.record(clientCount)
        return client
    }

    func disconnect(_ client: LiveClient) {
        client.close(client.closedReason ?? "gone")
        clients.withLock { _ = $0.all.removeValue(forKey: client.id) }
        clientsGauge.record(clientCount)
    }

    /// Checks a subscription against the registry: every unit and station named must exist.
    func validate(_ subscription: LiveSubscription) throws(APIError) {
        let catalog = catalog.withLock { $0 }
        // What is outside the token's scope answers as what does not exist.
        let scope = UnitScope(unit: subscription.scope)
        if let unit = subscription.unit, !catalog.sensors.values.contains(where: { scope.contains(unit: unit, inPath: $0.context.unitPath) }) {
            throw APIError(.notFound, "not_found", "no station under administrative unit '\(unit)'", field: "unit")
        }
        if let missing = subscription.stations.sorted().first(where: { code in catalog.stations[code].map { !scope.contains(unitPath: $0.unitPath) } ?? true }) {
            throw APIError(.notFound, "not_found", "no station '\(missing)'", field: "station")
        }
    }

    /// Sends `client` everything: hello, snapshot, the alert events it missed (after
    /// `lastEventID`), then live frames until it goes or the hub stops.
    func serve(_ client: LiveClient, lastEventID: Int64?, outbound: WebSocketOutboundWriter) async throws {
        func send(_ buffer: ByteBuffer) async throws {
            client.writing(true)
            defer { client.writing(false) }
            try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
            framesCounter.increment()
        }
        let floor = cursor.withLock { $0?.floor } ?? 0
        var hello = JSONWriter()
        hello.beginObject()
        hello.key("type"); hello.string("hello")
        hello.key("subscription"); hello.string(client.subscription.description)
        hello.key("last_event_id"); hello.integer(floor)
        hello.key("server_time"); hello.time(Timestamp.now)
        hello.endObject()
        try await send(ByteBuffer(string: hello.text))
        for frame in snapshotFrames(for: client.subscription) { try await send(frame) }
        if let lastEventID {
            let missed = try await events(after: lastEventID, limit: configuration.replayLimit)
            client.markReplayed(missed.map(\.id))
            for event in missed where client.subscription.matches(station: event.stationCode, domain: event.domain, unitPath: event.unitPath) {
                try await send(event.frame)
            }
        }
        while let next = await client.next() {
            switch next {
            case .frame(let buffer):
                try await send(buffer)
            case .snapshot:
                for frame in snapshotFrames(for: client.subscription) { try await send(frame) }
            }
        }
    }

    // MARK: - Frames

    func snapshotFrames(for subscription: LiveSubscription) -> [ByteBuffer] {
        let values = latest.withLock { $0 }
        return frames(type: "snapshot", values: values, subscription: subscription, catalog: catalog.withLock { $0 }, always: true)
    }

    /// `{"type":…,"readings":[{"sensor":1,"station":"…","metric":"…","unit":"…","value":1.2,"ts":"…"}]}`,
    /// split every `maxReadingsPerFrame` readings, sensors in id order.
    private func frames(type: String, values: [Int32: Value], subscription: LiveSubscription, catalog: SensorCatalog, always: Bool = false) -> [ByteBuffer] {
        var result: [ByteBuffer] = []
        var writer = JSONWriter()
        var count = 0
        func open() {
            writer = JSONWriter(capacity: 64 * 1024)
            writer.beginObject()
            writer.key("type"); writer.string(type)
            writer.key("readings"); writer.beginArray()
            count = 0
        }
        func close() {
            writer.endArray()
            writer.endObject()
            result.append(ByteBuffer(string: writer.text))
        }
        open()
        for (sensor, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let description = catalog.sensors[sensor],
                  subscription.matches(station: description.context.stationCode, domain: description.context.domain, unitPath: description.context.unitPath)
            else { continue }
            if count == configuration.maxReadingsPerFrame {
                close()
                open()
            }
            writer.beginObject()
            writer.key("sensor"); writer.integer(sensor)
            writer.key("station"); writer.string(description.context.stationCode)
            writer.key("metric"); writer.string(description.context.metric)
            writer.key("unit"); writer.string(description.unit)
            writer.key("value"); writer.number(value.value)
            writer.key("ts"); writer.time(value.time)
            writer.endObject()
            count += 1
        }
        if count > 0 || (always && result.isEmpty) { close() }
        return result
    }

    /// One alert event as clients see it.
    struct Event: Sendable {
        var id: Int64
        var stationCode: String?
        var domain: String?
        var unitPath: [String]
        var frame: ByteBuffer
    }

    /// Alert events after `id`, in id order, with their alert's current state.
    func events(after id: Int64, limit: Int) async throws -> [Event] {
        let rows = try await client.query("""
            SELECT e.id, e.alert_id, e.at, e.kind, e.from_state, e.to_state, e.severity, e.level, e.value, e.actor, e.message,
                a.state, a.severity, a.level, a.rule_name, a.subject, a.subject_key, a.station_code, a.station_name,
                a.gateway_code, a.metric, a.unit, a.domain, a.unit_path, a.opened_at
            FROM alert_events e JOIN alerts a ON a.id = e.alert_id
            WHERE e.id > \(id) ORDER BY e.id LIMIT \(limit)
            """, logger: logger)
        var result: [Event] = []
        for try await row in rows {
            let (eventID, alertID, at, kind, from, to, eventSeverity, eventLevel, value, actor, message,
                 state, severity, level, rule, subject, subjectKey, station, stationName, gateway, metric, unit, domain, path, opened) =
                try row.decode((Int64, Int64, Timestamp, String, String?, String?, String?, String?, Double?, String?, String,
                                String, String, String?, String, String, String, String?, String?, String?, String?, String?, String?, [String], Timestamp).self)
            var writer = JSONWriter(capacity: 512)
            writer.beginObject()
            writer.key("type"); writer.string("alert")
            writer.key("id"); writer.integer(eventID)
            writer.key("alert_id"); writer.integer(alertID)
            writer.key("kind"); writer.string(kind)
            writer.key("from_state"); writer.string(from)
            writer.key("to_state"); writer.string(to)
            writer.key("state"); writer.string(state)
            writer.key("severity"); writer.string(eventSeverity ?? severity)
            writer.key("level"); writer.string(eventLevel ?? level)
            writer.key("value"); writer.number(value)
            writer.key("actor"); writer.string(actor)
            writer.key("message"); writer.string(message)
            writer.key("at"); writer.time(at)
            writer.key("rule_name"); writer.string(rule)
            writer.key("subject"); writer.string(subject)
            writer.key("subject_key"); writer.string(subjectKey)
            writer.key("station_code"); writer.string(station)
            writer.key("station_name"); writer.string(stationName)
            writer.key("gateway_code"); writer.string(gateway)
            writer.key("metric"); writer.string(metric)
            writer.key("unit"); writer.string(unit)
            writer.key("domain"); writer.string(domain)
            writer.key("opened_at"); writer.time(opened)
            writer.endObject()
            result.append(Event(id: eventID, stationCode: station, domain: domain, unitPath: path, frame: ByteBuffer(string: writer.text)))
        }
        return result
    }

    // MARK: - Running

    /// Sends the readings published since the last flush to every client whose subscription
    /// covers them (one encoding per distinct subscription), and drops stuck clients.
    func flush() {
        let changed = dirty.withLock { dirty in
            defer { dirty = [:] }
            return dirty
        }
        let everyone = clients.withLock { Array($0.all.values) }
        let now = ContinuousClock.now
        for client in everyone where client.isStuck(now: now, limit: configuration.stuckTimeout) {
            logger.warning("live client disconnected: a frame has not gone out", metadata: ["client": "\(client.id)", "limit": "\(configuration.stuckTimeout)"])
            client.close("stuck: a frame did not go out within \(configuration.stuckTimeout)")
            stuckCounter.increment()
        }
        guard !changed.isEmpty else { return }
        generation.withLock { $0 += 1 }
        latest.withLock { latest in
            for (sensor, value) in changed {
                if let old = latest[sensor], old.time >= value.time { continue }
                latest[sensor] = value
            }
        }
        let catalog = catalog.withLock { $0 }
        var groups: [LiveSubscription: [LiveClient]] = [:]
        for client in everyone where client.closedReason == nil { groups[client.subscription, default: []].append(client) }
        for (subscription, members) in groups {
            let frames = frames(type: "readings", values: changed, subscription: subscription, catalog: catalog)
            guard !frames.isEmpty else { continue }
            for member in members where member.deliver(readings: frames) {
                coalescedCounter.increment()
            }
        }
    }

    /// Delivers new alert events to the clients they concern.
    func pollEvents() async throws {
        guard let floor = cursor.withLock({ $0?.floor }) else { return }
        let found = try await events(after: floor, limit: 1000)
        let fresh = Set(cursor.withLock { cursor -> [Int64] in
            cursor!.accept(found.map(\.id), now: Double(DispatchTime.now().uptimeNanoseconds) / 1e9)
        })
        guard !fresh.isEmpty else { return }
        let everyone = clients.withLock { Array($0.all.values) }
        for event in found where fresh.contains(event.id) {
            eventsCounter.increment()
            for client in everyone where client.subscription.matches(station: event.stationCode, domain: event.domain, unitPath: event.unitPath) {
                if !client.deliver(event: event.id, frame: event.frame) {
                    logger.warning("live client disconnected: too many alert events waiting", metadata: ["client": "\(client.id)"])
                    client.close("too many alert events waiting (\(configuration.maxQueuedEvents)); reconnect with last_event_id")
                    slowCounter.increment()
                }
            }
        }
    }

    func heartbeat() {
        let floor = cursor.withLock { $0?.floor } ?? 0
        var writer = JSONWriter()
        writer.beginObject()
        writer.key("type"); writer.string("heartbeat")
        writer.key("server_time"); writer.time(Timestamp.now)
        writer.key("last_event_id"); writer.integer(floor)
        writer.endObject()
        let frame = ByteBuffer(string: writer.text)
        for client in clients.withLock({ Array($0.all.values) }) { client.deliver(heartbeat: frame) }
    }

    /// Loads the registry, the latest values and the newest alert event id (what is live from
    /// now on). Tests call it instead of `run`.
    public func load() async throws {
        install(try await SensorCatalog.load(client: client, logger: logger))
        let rows = try await client.query("SELECT sensor_id, ts, value FROM latest_values", logger: logger)
        var values: [Int32: Value] = [:]
        for try await (sensor, time, value) in rows.decode((Int32, Timestamp, Double).self) { values[sensor] = Value(time: time, value: value) }
        latest.withLock { latest in
            for (sensor, value) in values where (latest[sensor]?.time ?? Timestamp(microseconds: .min)) < value.time { latest[sensor] = value }
        }
        if cursor.withLock({ $0 == nil }) {
            let top = try await client.query("SELECT COALESCE(max(id), 0) FROM alert_events", logger: logger)
            var floor: Int64 = 0
            for try await id in top.decode(Int64.self) { floor = id }
            cursor.withLock { $0 = EventCursor(floor: floor) }
        }
        ready.withLock { $0 = true }
    }

    public var isReady: Bool { ready.withLock { $0 } }

    private func install(_ loaded: SensorCatalog) {
        let order = loaded.sensors.sorted { a, b in
            let (x, y) = (a.value.context, b.value.context)
            if x.stationCode != y.stationCode { return x.stationCode.utf8.lexicographicallyPrecedes(y.stationCode.utf8) }
            if x.metric != y.metric { return x.metric.utf8.lexicographicallyPrecedes(y.metric.utf8) }
            return a.key < b.key
        }.map(\.key)
        catalog.withLock { $0 = loaded }
        ordered.withLock { $0 = order }
        generation.withLock { $0 += 1 }
    }

    /// `/api/v1/latest` from memory: the newest committed value of every sensor in the unit
    /// subtree, domain and station asked for (the same answer as the `latest_values` query, at
    /// most one flush interval behind it), encoded once per change and filter.
    /// A request never waits for an encoding while a recent answer exists: an answer less than a
    /// second old is served while a new one is encoded in the background, so under ingest the
    /// answer is at most about a second behind the newest commit.
    public func latestBody(unit: String?, domain: String?, station: String?) -> ByteBuffer {
        let key = LatestKey(unit: unit, domain: domain, station: station)
        let current = generation.withLock { $0 }
        if let cached = latestCache.withLock({ $0[key] }) {
            if cached.generation == current { return cached.body }
            if ContinuousClock.now - cached.encodedAt < .seconds(1) {
                if reencoding.withLock({ $0.insert(key).inserted }) {
                    Task { [self] in
                        _ = encodeLatest(key, generation: current)
                        reencoding.withLock { _ = $0.remove(key) }
                    }
                }
                return cached.body
            }
        }
        return encodeLatest(key, generation: current)
    }

    private func encodeLatest(_ key: LatestKey, generation current: Int) -> ByteBuffer {
        let (unit, domain, station) = (key.unit, key.domain, key.station)
        let (catalog, order) = (catalog.withLock { $0 }, ordered.withLock { $0 })
        let values = latest.withLock { $0 }
        var json = JSONWriter(capacity: 128 * min(values.count, order.count) + 128)
        var count = 0
        json.beginArray()
        for sensor in order {
            guard let value = values[sensor], let description = catalog.sensors[sensor] else { continue }
            let context = description.context
            if let station, context.stationCode != station { continue }
            if let domain, context.domain != domain { continue }
            if let unit, !context.unitPath.contains(unit) { continue }
            json.latestValue(sensor: sensor, station: context.stationCode, metric: context.metric, unit: description.unit,
                             value: value.value, time: value.time)
            count += 1
        }
        json.endArray()
        var body = ByteBuffer()
        body.reserveCapacity(json.text.utf8.count + 96)
        body.writeString("{\"generated_at\":\"\(Timestamp.now.rfc3339)\",\"count\":\(count),\"values\":")
        body.writeString(json.text)
        body.writeString("}\n")
        latestCache.withLock { cache in
            if cache.count >= 32 { cache.removeAll() } // each answer may be a megabyte
            cache[key] = (current, ContinuousClock.now, body)
        }
        return body
    }

    public func run() async throws {
        var delay = Duration.milliseconds(200)
        let registry = RegistryStore(client: client, logger: logger)
        // Read before the catalog: a change (such as derived sensors created at start-up) made
        // while it loads is then seen by the reload below instead of being missed for good.
        var loadedVersion = (try? await registry.version()) ?? -1
        while !isReady {
            do {
                loadedVersion = (try? await registry.version()) ?? -1
                try await load()
            } catch {
                if Task.isCancelled { return }
                logger.error("live feed not loaded; retrying", metadata: ["error": "\(String(reflecting: error))"])
                do { try await Task.sleep(for: delay) } catch { return }
                delay = min(delay * 2, .seconds(5))
            }
        }
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: configuration.flushInterval) } catch { return }
                    flush()
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: configuration.eventPollInterval) } catch { return }
                    do { try await pollEvents() } catch {
                        if !Task.isCancelled { logger.warning("alert events not read", metadata: ["error": "\(String(reflecting: error))"]) }
                    }
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: configuration.heartbeatInterval) } catch { return }
                    heartbeat()
                }
            }
            group.addTask { [self, loadedVersion] in
                var version = loadedVersion
                while !Task.isCancelled {
                    do { try await Task.sleep(for: .seconds(2)) } catch { return }
                    do {
                        let now = try await registry.version()
                        if now != version {
                            install(try await SensorCatalog.load(client: client, logger: logger))
                            version = now
                        }
                    } catch {
                        if !Task.isCancelled { logger.warning("registry not reloaded for the live feed", metadata: ["error": "\(String(reflecting: error))"]) }
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        for client in clients.withLock({ Array($0.all.values) }) { client.close("server stopping") }
    }
}

/// `/api/v1/live`: the WebSocket route (on the WebSocket router) and, on the HTTP router, the
/// same path answering a request that cannot be upgraded with what is wrong.
enum LiveAPI {
    /// The subscription a request asks for, within `scope` (its token's unit; nil for all).
    static func subscription(_ request: Request, scope: String?) throws(APIError) -> (LiveSubscription, lastEventID: Int64?) {
        let query = request.uri.queryParameters
        func list(_ name: String) -> Set<String> {
            Set((query.get(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        }
        let unit = query.get("unit").flatMap { $0.isEmpty ? nil : $0 }
        var lastEventID: Int64?
        if let text = query.get("last_event_id") {
            guard let id = Int64(text), id >= 0 else {
                throw APIError(.badRequest, "invalid_parameter", "last_event_id must be the id of an alert event (an integer of at least 0), not \(text)", field: "last_event_id")
            }
            lastEventID = id
        }
        return (LiveSubscription(unit: unit, domains: list("domain"), stations: list("station"), scope: scope), lastEventID)
    }

    /// An upgrade without a valid token (or with a bad subscription) is refused and reaches the
    /// HTTP router's fallback, which answers 401, 403, 400 or 404 saying why.
    static func addRoutes(to router: Router<BasicWebSocketRequestContext>, hub: LiveHub, access: AccessControl) {
        router.ws("/api/v1/live") { request, _ in
            guard case .success(let grant) = await access.check(request, path: "/api/v1/live") else { return .dontUpgrade }
            let (subscription, _) = try subscription(request, scope: grant?.unit)
            try hub.validate(subscription)
            return .upgrade([:])
        } onUpgrade: { inbound, outbound, context in
            // The token again (from memory): its scope bounds what this connection is sent.
            guard case .success(let grant) = await access.check(context.request, path: "/api/v1/live") else { return }
            let (subscription, lastEventID) = try subscription(context.request, scope: grant?.unit)
            let client = hub.connect(subscription)
            defer { hub.disconnect(client) }
            let writer = Task { try await hub.serve(client, lastEventID: lastEventID, outbound: outbound) }
            client.attach(writer: writer)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // What the client sends is not used; reading it notices when it goes.
                group.addTask { for try await _ in inbound {} }
                group.addTask { try await writer.value }
                _ = try await group.next()
                group.cancelAll()
                writer.cancel()
            }
        }
    }

    /// A plain HTTP request to the live path: 400/404 for a bad subscription (the upgrade was
    /// refused for it), otherwise 426 saying how to connect.
    static func addFallback(to router: Router<APIRequestContext>, hub: LiveHub) {
        router.get("/api/v1/live") { request, context in
            await RulesAPI.respond {
                let (subscription, _) = try subscription(request, scope: context.grant?.unit)
                try hub.validate(subscription)
                throw APIError(.upgradeRequired, "websocket_required",
                               "/api/v1/live is a WebSocket: connect with ws://…/api/v1/live?unit=…&domain=…&station=…&last_event_id=…")
            }
        }
    }
}
