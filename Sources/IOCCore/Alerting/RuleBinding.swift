/// What a rule needs to know about one sensor: where it is, what it measures, and its station's
/// numeric attributes (for thresholds such as `alarm_levels.II`).
public struct SensorContext: Sendable, Hashable {
    public var sensorID: Int32
    public var stationCode: String
    public var metric: String
    public var domain: String
    /// The station's administrative unit first, then its parent, up to the root.
    public var unitPath: [String]
    /// The station's numeric attributes by dotted path: `{"alarm_levels":{"II":2.7}}` gives
    /// `["alarm_levels.II": 2.7]`.
    public var attributes: [String: Double]

    public init(sensorID: Int32, stationCode: String, metric: String, domain: String, unitPath: [String], attributes: [String: Double] = [:]) {
        self.sensorID = sensorID
        self.stationCode = stationCode
        self.metric = metric
        self.domain = domain
        self.unitPath = unitPath
        self.attributes = attributes
    }
}

extension AlertRule.Scope {
    /// Whether the scope covers the sensor: one sensor; one station (all its metrics, or one);
    /// or every sensor of a metric, optionally in a domain and in an administrative unit's subtree.
    public func matches(_ sensor: SensorContext) -> Bool {
        switch self {
        case .sensor(let id):
            return sensor.sensorID == id
        case .station(let code, let metric):
            return sensor.stationCode == code && (metric == nil || metric == sensor.metric)
        case .metric(let name, let domain, let unitCode):
            return sensor.metric == name
                && (domain == nil || domain == sensor.domain)
                && (unitCode.map { sensor.unitPath.contains($0) } ?? true)
        }
    }
}

/// One rule applied to one sensor, with the level thresholds of that sensor's station resolved:
/// what a rule shard turns into a `RuleEvaluator` and an `AlertStateMachine`.
public struct RuleBinding: Sendable, Hashable {
    /// The rule's position in the list given to `bind`.
    public var ruleIndex: Int
    public var sensorID: Int32
    /// For `levels`: each level's threshold at this station (nil: the station has no such level).
    public var thresholds: [Double?]

    public init(ruleIndex: Int, sensorID: Int32, thresholds: [Double?]) {
        self.ruleIndex = ruleIndex
        self.sensorID = sensorID
        self.thresholds = thresholds
    }

    /// Every (enabled rule, sensor) pair the rules cover. A levels rule is not bound to a sensor
    /// whose station has none of its levels (a gauge without official alarm levels), since it
    /// could never fire there.
    public static func bind(rules: [AlertRule], sensors: [SensorContext]) -> [RuleBinding] {
        var bindings: [RuleBinding] = []
        for (index, rule) in rules.enumerated() where rule.enabled {
            for sensor in sensors where rule.scope.matches(sensor) {
                var thresholds: [Double?] = []
                if case .levels(let levels) = rule.condition {
                    thresholds = levels.resolvedThresholds { sensor.attributes[$0] }
                    guard thresholds.contains(where: { $0 != nil }) else { continue }
                }
                bindings.append(RuleBinding(ruleIndex: index, sensorID: sensor.sensorID, thresholds: thresholds))
            }
        }
        return bindings
    }
}
