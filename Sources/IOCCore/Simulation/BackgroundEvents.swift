import Foundation

/// How the simulator's background misbehaves, as real gateways and sensors do. Probabilities are
/// per reading (a dropout: one sensor missing from a report) or per pack (late, duplicated), per
/// good message (a bad message is sent beside it); outages are per gateway.
public struct BackgroundEvents: Sendable, Hashable {
    public var dropoutRate: Double
    /// A pack held back and published this many seconds later, with its original timestamps.
    public var lateRate: Double
    public var lateDelay: ClosedRange<Double>
    /// A pack published twice (a gateway that did not see the acknowledgement resends it).
    public var duplicateRate: Double
    public var badRate: Double
    /// Mean seconds between one gateway's outages (0: never). During one the gateway's connection
    /// drops without a goodbye, the broker publishes its last will (`offline`), and it reconnects
    /// when the outage is over.
    public var outageEvery: Double
    public var outageDuration: ClosedRange<Double>
    /// No outage in the first seconds of a run, so a fresh start shows every gateway online.
    public var outageWarmUp: Double

    public init(dropoutRate: Double = 0, lateRate: Double = 0, lateDelay: ClosedRange<Double> = 120...480, duplicateRate: Double = 0,
                badRate: Double = 0, outageEvery: Double = 0, outageDuration: ClosedRange<Double> = 120...720, outageWarmUp: Double = 600) {
        self.dropoutRate = dropoutRate
        self.lateRate = lateRate
        self.lateDelay = lateDelay
        self.duplicateRate = duplicateRate
        self.badRate = badRate
        self.outageEvery = outageEvery
        self.outageDuration = outageDuration
        self.outageWarmUp = outageWarmUp
    }

    /// Nothing goes wrong.
    public static let none = BackgroundEvents()

    /// A believable province: one reading in 300 missing, one pack in 100 two to eight minutes
    /// late, one in 200 sent twice, one bad message per 2,000, and each gateway offline for 2–12
    /// minutes about every 4 hours (the longer outages raise "Gateway mất kết nối 10 phút").
    public static let realistic = BackgroundEvents(
        dropoutRate: 0.003, lateRate: 0.01, lateDelay: 120...480, duplicateRate: 0.005, badRate: 0.0005,
        outageEvery: 4 * 3600, outageDuration: 120...720, outageWarmUp: 600)
}

/// One gateway's outages: gaps drawn from an exponential distribution with mean `every` seconds
/// (none before the warm-up has passed), durations uniform in the range. Deterministic from the seed.
public struct OutageSchedule: Sendable {
    public struct Outage: Sendable, Hashable {
        public var start: Timestamp
        public var end: Timestamp
    }

    private var random: SplitMix64
    private let every: Double
    private let duration: ClosedRange<Double>
    /// The coming (or current) outage; nil when outages are off.
    public private(set) var next: Outage?

    public init(events: BackgroundEvents, start: Timestamp, seed: UInt64) {
        random = SplitMix64(seed: seed)
        every = events.outageEvery
        duration = events.outageDuration
        next = nil
        if every > 0 { next = draw(after: start.adding(seconds: events.outageWarmUp)) }
    }

    /// The current outage is over: draws the one after it.
    public mutating func advance() {
        guard let current = next else { return }
        next = draw(after: current.end)
    }

    private mutating func draw(after time: Timestamp) -> Outage {
        let gap = -every * log(1 - uniform())
        let length = duration.lowerBound + (duration.upperBound - duration.lowerBound) * uniform()
        let start = time.adding(seconds: gap)
        return Outage(start: start, end: start.adding(seconds: length))
    }

    /// In [0, 1).
    private mutating func uniform() -> Double {
        Double(random.next() >> 11) / Double(1 << 53)
    }
}
