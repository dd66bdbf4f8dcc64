/// One stored alert rule: which series it watches (`scope`), when a value is abnormal
/// (`condition`), how bad that is (`severity`, or each level's own) and how long it must last
/// before anyone is paged (`forSeconds`).
///
/// The JSON form uses snake_case names, and `kind` tells the cases of `scope` and `condition`
/// apart; `AlertRuleTests` pins the exact shape.
public struct AlertRule: Sendable, Hashable, Codable {
    /// The database id; nil until the rule is stored.
    public var id: Int64?
    public var name: String
    public var enabled: Bool
    /// The severity of this rule's alerts; a `levels` condition uses each level's own instead.
    public var severity: Severity
    /// How long the condition must hold before the alert fires; 0 fires at once. Meanwhile the
    /// alert is pending and nobody is paged.
    public var forSeconds: Double
    public var labels: [String: String]
    public var scope: Scope
    public var condition: Condition

    enum CodingKeys: String, CodingKey {
        case id, name, enabled, severity, labels, scope, condition
        case forSeconds = "for_seconds"
    }

    public init(
        id: Int64? = nil, name: String, enabled: Bool = true, severity: Severity = .warning,
        forSeconds: Double = 0, labels: [String: String] = [:], scope: Scope, condition: Condition
    ) {
        self.id = id
        self.name = name
        self.enabled = enabled
        self.severity = severity
        self.forSeconds = forSeconds
        self.labels = labels
        self.scope = scope
        self.condition = condition
    }

    /// How urgent an alert is, ordered info < warning < critical.
    public enum Severity: String, Sendable, Hashable, Codable, CaseIterable, Comparable {
        case info, warning, critical

        var rank: Int {
            switch self {
            case .info: 0
            case .warning: 1
            case .critical: 2
            }
        }

        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    /// Which series a rule watches.
    public enum Scope: Sendable, Hashable {
        /// One sensor.
        case sensor(id: Int32)
        /// Every sensor of a station, or only its sensor for `metric`.
        case station(code: String, metric: String?)
        /// Every sensor of a metric, optionally only at stations of a domain and under an
        /// administrative unit (the unit and its whole subtree; the caller expands it).
        case metric(name: String, domain: String?, unitCode: String?)
        /// Every sensor of the stations a gateway serves; with a no-data condition `per: gateway`,
        /// the gateway itself (offline, or silent on all its stations).
        case gateway(code: String)
        /// Every sensor, optionally only at stations of a domain and under an administrative unit:
        /// with a no-data condition `per` station or gateway, every station or gateway there.
        case all(domain: String?, unitCode: String?)
    }

    /// When a series is abnormal.
    public enum Condition: Sendable, Hashable {
        /// The value crosses one or more graded thresholds, such as flood alarm levels I, II, III.
        case levels(Levels)
        /// The value changes by at least `delta` within a window.
        case rateOfChange(RateOfChange)
        /// An aggregate of the values within a window crosses a threshold.
        case window(WindowAggregate)
        /// No reading arrives for a while.
        case noData(NoData)

        /// The `kind` of the JSON form: levels, rate_of_change, window or no_data.
        public var kind: String {
            switch self {
            case .levels: "levels"
            case .rateOfChange: "rate_of_change"
            case .window: "window"
            case .noData: "no_data"
            }
        }
    }

    /// Graded thresholds, listed from the least to the most severe level.
    public struct Levels: Sendable, Hashable, Codable {
        /// `above`: a level is reached at or above its threshold (a flood);
        /// `below`: at or below it (a reservoir running low).
        public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
            case above, below
        }

        public var direction: Direction
        public var levels: [Level]
        /// A reached level clears only when the value falls below threshold − hysteresis (rises
        /// above threshold + hysteresis for `below`), so a value hovering at a line does not flap.
        public var hysteresis: Double

        enum CodingKeys: String, CodingKey {
            case direction, levels, hysteresis
        }

        public init(direction: Direction = .above, levels: [Level], hysteresis: Double = 0) {
            self.direction = direction
            self.levels = levels
            self.hysteresis = hysteresis
        }

        /// The threshold of every level, in order, with attribute thresholds looked up once by
        /// `attribute` (nil: this station has no such level, which is then skipped). The result
        /// is what `RuleEvaluator.init` takes.
        public func resolvedThresholds(_ attribute: (String) -> Double?) -> [Double?] {
            levels.map { level in
                switch level.threshold {
                case .value(let value): value
                case .attribute(let key): attribute(key)
                }
            }
        }
    }

    /// One graded threshold, such as flood alarm level II (BĐ2).
    public struct Level: Sendable, Hashable, Codable {
        public var name: String
        public var severity: Severity
        public var threshold: Threshold

        public init(name: String, severity: Severity, threshold: Threshold) {
            self.name = name
            self.severity = severity
            self.threshold = threshold
        }
    }

    /// A threshold given as a number, or as the key of a station attribute so that one rule
    /// serves every station: `alarm_levels.II` means `attributes["alarm_levels"]["II"]`.
    public enum Threshold: Sendable, Hashable {
        case value(Double)
        case attribute(String)

        /// The keys of an attribute threshold, outermost first (`["alarm_levels", "II"]`); nil for a value.
        public var attributePath: [String]? {
            guard case .attribute(let key) = self else { return nil }
            return key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        }
    }

    /// A change of at least `delta` between the oldest reading within the window and the newest.
    public struct RateOfChange: Sendable, Hashable, Codable {
        public enum Direction: String, Sendable, Hashable, Codable, CaseIterable {
            case rise, fall, either
        }

        /// The change that fires, in the sensor's unit; positive, whatever the direction.
        public var delta: Double
        public var windowSeconds: Double
        public var direction: Direction

        enum CodingKeys: String, CodingKey {
            case delta, direction
            case windowSeconds = "window_seconds"
        }

        public init(delta: Double, windowSeconds: Double, direction: Direction = .rise) {
            self.delta = delta
            self.windowSeconds = windowSeconds
            self.direction = direction
        }
    }

    /// An aggregate of the readings within the last `windowSeconds` compared with a threshold.
    public struct WindowAggregate: Sendable, Hashable, Codable {
        public enum Function: String, Sendable, Hashable, Codable, CaseIterable {
            case sum, avg, max, min
        }

        public enum Comparison: String, Sendable, Hashable, Codable, CaseIterable {
            case gt, ge, lt, le
        }

        public var function: Function
        public var windowSeconds: Double
        public var comparison: Comparison
        public var threshold: Double
        /// Once active, the condition holds while the aggregate still passes this threshold
        /// (hysteresis); nil means `threshold`.
        public var clearThreshold: Double?

        enum CodingKeys: String, CodingKey {
            case function, comparison, threshold
            case windowSeconds = "window_seconds"
            case clearThreshold = "clear_threshold"
        }

        public init(
            function: Function, windowSeconds: Double, comparison: Comparison, threshold: Double,
            clearThreshold: Double? = nil
        ) {
            self.function = function
            self.windowSeconds = windowSeconds
            self.comparison = comparison
            self.threshold = threshold
            self.clearThreshold = clearThreshold
        }
    }

    /// No reading for `afterSeconds`.
    public struct NoData: Sendable, Hashable, Codable {
        /// What one alert watches: each sensor on its own; each station (silent when none of its
        /// sensors in scope reports); or each gateway (silent when none of the sensors in scope
        /// behind it reports, or offline by its own status message, the broker's last will).
        public enum Per: String, Sendable, Hashable, Codable, CaseIterable {
            case sensor, station, gateway
        }

        public var afterSeconds: Double
        public var per: Per

        enum CodingKeys: String, CodingKey {
            case afterSeconds = "after_seconds"
            case per
        }

        public init(afterSeconds: Double, per: Per = .sensor) {
            self.afterSeconds = afterSeconds
            self.per = per
        }

        /// `per` may be left out (each sensor); it is written only when it is not `sensor`, so
        /// rules stored before it existed read back unchanged.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            afterSeconds = try container.decode(Double.self, forKey: .afterSeconds)
            per = try container.decodeIfPresent(Per.self, forKey: .per) ?? .sensor
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(afterSeconds, forKey: .afterSeconds)
            if per != .sensor { try container.encode(per, forKey: .per) }
        }
    }
}

extension Double {
    /// A number as a person writes it in a message: `100`, not `100.0`.
    var shown: String {
        if isFinite, self == rounded(), Swift.abs(self) < 1e15 { return String(Int64(self)) }
        return "\(self)"
    }
}
