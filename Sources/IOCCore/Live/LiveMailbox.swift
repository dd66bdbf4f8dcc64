/// What a live client subscribes to: stations under an administrative unit (its subtree), of
/// some domains, or named stations; every condition given must hold. Nothing given: everything.
public struct LiveSubscription: Sendable, Hashable, CustomStringConvertible {
    public var unit: String?
    public var domains: Set<String>
    public var stations: Set<String>
    /// The unit subtree the subscriber's token may see (nil: the whole province); nothing outside
    /// it is sent, whatever else the subscription asks.
    public var scope: String?

    public init(unit: String? = nil, domains: Set<String> = [], stations: Set<String> = [], scope: String? = nil) {
        self.unit = unit
        self.domains = domains
        self.stations = stations
        self.scope = scope
    }

    /// Whether something at `station` (nil for a gateway), of `domain`, under `unitPath` (its
    /// unit first, then the ancestors) is in the subscription.
    public func matches(station: String?, domain: String?, unitPath: [String]) -> Bool {
        if let scope, !unitPath.contains(scope) { return false }
        if let unit, !unitPath.contains(unit) { return false }
        if !domains.isEmpty {
            guard let domain, domains.contains(domain) else { return false }
        }
        if !stations.isEmpty {
            guard let station, stations.contains(station) else { return false }
        }
        return true
    }

    public var description: String {
        var parts: [String] = []
        if let unit { parts.append("unit=\(unit)") }
        if !domains.isEmpty { parts.append("domain=\(domains.sorted().joined(separator: ","))") }
        if !stations.isEmpty { parts.append("station=\(stations.sorted().joined(separator: ","))") }
        if let scope { parts.append("scope=\(scope)") }
        return parts.isEmpty ? "everything" : parts.joined(separator: "&")
    }
}

/// The frames waiting for one live client, with the rule that keeps a slow client from costing
/// memory or slowing anyone else: reading updates are coalesced (when more than
/// `maxReadingFrames` wait, they are all dropped and replaced by one snapshot of the latest values,
/// taken when the client is ready for it, which holds everything the dropped frames said), and
/// alert events, which cannot be coalesced, overflow past `maxEventFrames` (the client is then
/// disconnected; it catches up by reconnecting with its last event id). A value: tested as one.
/// `Frame` is what the transport sends (a buffer of JSON text).
public struct LiveMailbox<Frame: Sendable>: Sendable {
    enum Item: Sendable {
        case readings(Frame)
        case event(Frame)
        case heartbeat(Frame)
    }

    public enum Next: Sendable {
        /// Send the latest value of every sensor of the subscription.
        case snapshot
        case frame(Frame)
    }

    public let maxReadingFrames: Int
    public let maxEventFrames: Int
    private var items: [Item] = []
    private var head = 0
    public private(set) var readingFrames = 0
    public private(set) var eventFrames = 0
    public private(set) var needsSnapshot = false
    /// Set once alert events overflowed; nothing is queued after that.
    public private(set) var overflowed = false

    public init(maxReadingFrames: Int, maxEventFrames: Int) {
        self.maxReadingFrames = max(1, maxReadingFrames)
        self.maxEventFrames = max(1, maxEventFrames)
    }

    public var isEmpty: Bool { head == items.count && !needsSnapshot }

    /// Frames waiting (not counting a pending snapshot).
    public var count: Int { items.count - head }

    /// Queues reading frames; returns true when this coalesced the waiting ones into a snapshot.
    public mutating func push(readings frames: [Frame]) -> Bool {
        guard !overflowed, !frames.isEmpty else { return false }
        // A snapshot still to be sent will include these values.
        if needsSnapshot { return false }
        if readingFrames + frames.count > maxReadingFrames {
            compact { if case .readings = $0 { false } else { true } }
            readingFrames = 0
            needsSnapshot = true
            return true
        }
        items += frames.map(Item.readings)
        readingFrames += frames.count
        return false
    }

    /// Queues an alert event; false when too many wait (the client must be disconnected).
    public mutating func push(event frame: Frame) -> Bool {
        guard !overflowed else { return false }
        if eventFrames >= maxEventFrames {
            overflowed = true
            items.removeAll()
            head = 0
            readingFrames = 0
            eventFrames = 0
            needsSnapshot = false
            return false
        }
        items.append(.event(frame))
        eventFrames += 1
        return true
    }

    /// Queues a heartbeat unless one is already waiting (a client that is behind needs one at most).
    public mutating func push(heartbeat frame: Frame) {
        guard !overflowed else { return }
        if items[head...].contains(where: { if case .heartbeat = $0 { true } else { false } }) { return }
        items.append(.heartbeat(frame))
    }

    /// The next thing to send: a pending snapshot first (it supersedes reading frames), then the
    /// frames in order.
    public mutating func next() -> Next? {
        if needsSnapshot {
            needsSnapshot = false
            return .snapshot
        }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head == items.count || head > 64 { compact { _ in true } }
        switch item {
        case .readings(let frame):
            readingFrames -= 1
            return .frame(frame)
        case .event(let frame):
            eventFrames -= 1
            return .frame(frame)
        case .heartbeat(let frame):
            return .frame(frame)
        }
    }

    /// Drops what was already taken and keeps the waiting items that pass `keep`.
    private mutating func compact(_ keep: (Item) -> Bool) {
        items = items[head...].filter(keep)
        head = 0
    }
}

/// Which alert events have been delivered, when `alert_events` ids may commit out of order (a
/// transaction holding id 6 commits after the one holding 7): every id up to `floor` is settled;
/// above it, delivered ids are remembered and missing ones waited for up to `grace` (a rolled-back
/// insert leaves a gap for ever). The poller asks for ids above `floor` and delivers only new ones.
public struct EventCursor: Sendable {
    public private(set) var floor: Int64
    private var delivered: Set<Int64> = []
    /// Missing ids above the floor, with when they were first seen missing.
    private var gaps: [Int64: Double] = [:]
    public let grace: Double

    public init(floor: Int64, grace: Double = 10) {
        self.floor = floor
        self.grace = grace
    }

    /// Takes the ids a poll returned (ascending) at `now` (seconds, any origin) and returns those
    /// not delivered before.
    public mutating func accept(_ ids: [Int64], now: Double) -> [Int64] {
        var fresh: [Int64] = []
        for id in ids where id > floor && !delivered.contains(id) {
            fresh.append(id)
            delivered.insert(id)
            gaps[id] = nil
        }
        if let top = delivered.max(), top > floor {
            // Bound the work for a huge jump (a sequence cached by another session): ids more than
            // 10,000 behind the newest are not waited for.
            let from = max(floor + 1, top - 10_000)
            if from > floor + 1 { settle(upTo: from - 1) }
            var id = from
            while id < top {
                if !delivered.contains(id), gaps[id] == nil { gaps[id] = now }
                id += 1
            }
        }
        while true {
            let next = floor + 1
            if delivered.remove(next) != nil {
                floor = next
            } else if let since = gaps[next], now - since >= grace {
                gaps[next] = nil
                floor = next
            } else {
                break
            }
        }
        return fresh
    }

    private mutating func settle(upTo id: Int64) {
        floor = id
        delivered = delivered.filter { $0 > id }
        gaps = gaps.filter { $0.key > id }
    }
}
