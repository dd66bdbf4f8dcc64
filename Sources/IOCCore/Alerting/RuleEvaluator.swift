/// The evaluation state of one rule for one sensor's series. Fed that sensor's readings in time
/// order, it says after each whether the condition holds. A value: the rule shard that owns the
/// sensor owns it, and `seed` rebuilds it from stored readings after a restart.
///
/// Memory is bounded by the window: a rate-of-change or window condition keeps only the readings
/// within its window, the other conditions keep none.
public struct RuleEvaluator: Sendable {
    /// What a reading (or a no-data check) says about the condition.
    public enum Evaluation: Sendable, Hashable {
        /// The reading is not newer than the newest one evaluated (or its value is not finite):
        /// it was not evaluated and changed nothing.
        case late
        case normal
        /// The condition holds. `level` and `severity` are those of the highest level reached
        /// (nil unless the condition is `levels`: the rule's severity applies). `value` is what was
        /// compared: the reading, the change over the window, the aggregate, or the seconds
        /// without data.
        case active(level: String?, severity: AlertRule.Severity?, value: Double)
    }

    public let condition: AlertRule.Condition
    /// The newest reading evaluated or seeded.
    public private(set) var lastReadingTime: Timestamp?
    /// Where silence is counted from before the first reading.
    private let since: Timestamp
    /// The threshold of each level for this sensor's station; nil skips the level.
    private let thresholds: [Double?]
    /// Which levels are reached. With hysteresis a level stays reached until the value leaves its band.
    private var reached: [Bool]
    /// rate_of_change: every reading in [now − window, now]. sum, avg: every reading in
    /// (now − window, now]. max, min: only the readings that can still become the extreme.
    private var window = TimeWindow()
    private var windowSum = 0.0
    /// Readings subtracted from `windowSum` since it was last summed afresh; re-summing once they
    /// outnumber the window bounds the rounding error that subtracting accumulates.
    private var subtractedSinceSum = 0
    /// Whether a window aggregate is active, which makes its clear threshold apply.
    private var aggregateActive = false

    /// - Parameters:
    ///   - condition: the rule's condition.
    ///   - thresholds: for `levels`, the threshold of each level in the rule's order, resolved once
    ///     for the sensor's station (`AlertRule.Levels.resolvedThresholds`). A nil or non-finite
    ///     entry skips a level the station does not have; levels past the end of the array use
    ///     their own `value`, so a rule with numbers only may pass none. Other conditions ignore it.
    ///   - since: when evaluation started (the rule was loaded, the server started); a no-data
    ///     condition counts silence from here until the first reading.
    public init(condition: AlertRule.Condition, thresholds: [Double?] = [], since: Timestamp) {
        self.condition = condition
        self.since = since
        if case .levels(let levels) = condition {
            self.thresholds = levels.levels.indices.map { index in
                let resolved: Double?
                if index < thresholds.count {
                    resolved = thresholds[index]
                } else if case .value(let value) = levels.levels[index].threshold {
                    resolved = value
                } else {
                    resolved = nil
                }
                return resolved.flatMap { $0.isFinite ? $0 : nil }
            }
            self.reached = Array(repeating: false, count: levels.levels.count)
        } else {
            self.thresholds = []
            self.reached = []
        }
    }

    /// Evaluates the next reading of the series. Call in time order; a reading not newer than the
    /// newest one evaluated is `.late` and changes nothing.
    public mutating func evaluate(_ reading: Reading) -> Evaluation {
        if let last = lastReadingTime, reading.time <= last { return .late }
        guard reading.value.isFinite else { return .late }
        lastReadingTime = reading.time
        let sample = Sample(time: reading.time, value: reading.value)
        switch condition {
        case .levels(let levels): return evaluateLevels(levels, sample.value)
        case .rateOfChange(let rate): return evaluateRate(rate, sample)
        case .window(let aggregate): return evaluateWindow(aggregate, sample)
        case .noData: return .normal
        }
    }

    /// For a no-data condition: active once `afterSeconds` have passed since the last reading, or
    /// since `since` when there has been none; the value is the seconds of silence. A reading
    /// clears it. Nil for the other conditions.
    public func check(now: Timestamp) -> Evaluation? {
        guard case .noData(let noData) = condition else { return nil }
        let reference = lastReadingTime ?? since
        guard now >= reference.adding(seconds: noData.afterSeconds) else { return .normal }
        return .active(level: nil, severity: nil, value: (now.seconds - reference.seconds))
    }

    /// When a no-data condition turns active unless a reading comes first, for the shard's timer;
    /// nil for the other conditions.
    public var noDataDeadline: Timestamp? {
        guard case .noData(let noData) = condition else { return nil }
        return (lastReadingTime ?? since).adding(seconds: noData.afterSeconds)
    }

    /// How far back before now `seed` needs stored readings: the window of a rate-of-change or
    /// window condition; 0 for the others, for which the newest reading is enough.
    public var seedSeconds: Double {
        switch condition {
        case .rateOfChange(let rate): rate.windowSeconds
        case .window(let aggregate): aggregate.windowSeconds
        case .levels, .noData: 0
        }
    }

    /// Rebuilds the state from stored readings, as if they had been evaluated, without producing
    /// evaluations: the window's readings, which levels are reached, the last reading's time.
    /// Readings not newer than the newest already seen are skipped, as `evaluate` would.
    public mutating func seed(_ history: [Reading]) {
        for reading in history.sorted(by: { $0.time < $1.time }) {
            _ = evaluate(reading)
        }
    }

    private mutating func evaluateLevels(_ levels: AlertRule.Levels, _ value: Double) -> Evaluation {
        var highest: Int?
        for index in levels.levels.indices {
            guard let threshold = thresholds[index] else {
                reached[index] = false
                continue
            }
            let reaches, holds: Bool
            switch levels.direction {
            case .above:
                reaches = Tolerant.atLeast(value, threshold)
                holds = Tolerant.atLeast(value, threshold - levels.hysteresis)
            case .below:
                reaches = Tolerant.atMost(value, threshold)
                holds = Tolerant.atMost(value, threshold + levels.hysteresis)
            }
            let now = reaches || (reached[index] && holds)
            if now != reached[index] { reached[index] = now }  // a write only when it changes
            if now { highest = index }
        }
        guard let highest else { return .normal }
        let level = levels.levels[highest]
        return .active(level: level.name, severity: level.severity, value: value)
    }

    private mutating func evaluateRate(_ rate: AlertRule.RateOfChange, _ sample: Sample) -> Evaluation {
        window.append(sample)
        let start = sample.time.adding(seconds: -rate.windowSeconds)
        while let first = window.first, first.time < start { window.removeFirst() }
        let oldest = window.first ?? sample
        let change = sample.value - oldest.value
        let fires = switch rate.direction {
        case .rise: Tolerant.atLeast(change, rate.delta)
        case .fall: Tolerant.atMost(change, -rate.delta)
        case .either: Tolerant.atLeast(Swift.abs(change), rate.delta)
        }
        return fires ? .active(level: nil, severity: nil, value: change) : .normal
    }

    private mutating func evaluateWindow(_ aggregate: AlertRule.WindowAggregate, _ sample: Sample) -> Evaluation {
        let start = sample.time.adding(seconds: -aggregate.windowSeconds)
        let value: Double
        switch aggregate.function {
        case .sum, .avg:
            window.append(sample)
            windowSum += sample.value
            while let first = window.first, first.time <= start {
                windowSum -= window.removeFirst().value
                subtractedSinceSum += 1
            }
            if subtractedSinceSum > window.count {
                windowSum = window.samples.reduce(0) { $0 + $1.value }
                subtractedSinceSum = 0
            }
            value = aggregate.function == .sum ? windowSum : windowSum / Double(window.count)
        case .max, .min:
            // A reading behind a newer one that is at least as extreme can never be the extreme again.
            let isMax = aggregate.function == .max
            while let last = window.last, isMax ? last.value <= sample.value : last.value >= sample.value {
                window.removeLast()
            }
            window.append(sample)
            while let first = window.first, first.time <= start { window.removeFirst() }
            value = window.first?.value ?? sample.value
        }
        let limit = aggregateActive ? (aggregate.clearThreshold ?? aggregate.threshold) : aggregate.threshold
        aggregateActive = switch aggregate.comparison {
        case .gt: Tolerant.above(value, limit)
        case .ge: Tolerant.atLeast(value, limit)
        case .lt: Tolerant.below(value, limit)
        case .le: Tolerant.atMost(value, limit)
        }
        return aggregateActive ? .active(level: nil, severity: nil, value: value) : .normal
    }
}

/// Readings and thresholds are decimals held in binary, so a difference or a sum can miss by a
/// unit in the last place (2.3 − 1.8 = 0.4999999999999998, yet the river rose 0.5 m).
/// Comparisons therefore allow a relative error of 1e-9, far below any sensor's resolution.
private enum Tolerant {
    static func slack(_ a: Double, _ b: Double) -> Double { 1e-9 * Swift.max(1, Swift.abs(a), Swift.abs(b)) }
    static func atLeast(_ a: Double, _ b: Double) -> Bool { a >= b - slack(a, b) }
    static func atMost(_ a: Double, _ b: Double) -> Bool { a <= b + slack(a, b) }
    static func above(_ a: Double, _ b: Double) -> Bool { a > b + slack(a, b) }
    static func below(_ a: Double, _ b: Double) -> Bool { a < b - slack(a, b) }
}
