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
    /// The gateway that reports the station; nil when none is assigned.
    public var gatewayCode: String?

    public init(
        sensorID: Int32, stationCode: String, metric: String, domain: String, unitPath: [String],
        attributes: [String: Double] = [:], gatewayCode: String? = nil
    ) {
        self.sensorID = sensorID
        self.stationCode = stationCode
        self.metric = metric
        self.domain = domain
        self.unitPath = unitPath
        self.attributes = attributes
        self.gatewayCode = gatewayCode
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
        case .gateway(let code):
            return sensor.gatewayCode == code
        case .all(let domain, let unitCode):
            return (domain == nil || domain == sensor.domain) && (unitCode.map { sensor.unitPath.contains($0) } ?? true)
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
    /// A no-data rule `per` station or gateway is not bound to single sensors: see `GroupBinding`.
    public static func bind(rules: [AlertRule], sensors: [SensorContext]) -> [RuleBinding] {
        var bindings: [RuleBinding] = []
        for (index, rule) in rules.enumerated() where rule.enabled && rule.groupedBy == nil {
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


extension AlertRule {
    /// For a no-data rule `per` station or gateway, which; nil for a rule that watches each sensor.
    public var groupedBy: NoData.Per? {
        guard case .noData(let noData) = condition, noData.per != .sensor else { return nil }
        return noData.per
    }
}

/// One no-data rule applied to a whole station or gateway: one alert for the group, silent when
/// none of `sensorIDs` reports (and, for a gateway, when it says it is offline).
public struct GroupBinding: Sendable, Hashable {
    public enum Subject: Sendable, Hashable, Comparable {
        case station(code: String)
        case gateway(code: String)

        public var code: String {
            switch self {
            case .station(let code), .gateway(let code): code
            }
        }
    }

    public var ruleIndex: Int
    public var subject: Subject
    /// The group's sensors in the rule's scope, ascending.
    public var sensorIDs: [Int32]

    public init(ruleIndex: Int, subject: Subject, sensorIDs: [Int32]) {
        self.ruleIndex = ruleIndex
        self.subject = subject
        self.sensorIDs = sensorIDs
    }

    /// Every (enabled grouped rule, station or gateway) pair: the stations or gateways of the
    /// sensors the rule's scope covers. A station needs at least one sensor in scope. A gateway
    /// named by a `gateway` scope is watched even with no sensors (its status alone tells it is
    /// offline), if it is in `gateways`, the registered gateway codes.
    public static func bind(rules: [AlertRule], sensors: [SensorContext], gateways: Set<String> = []) -> [GroupBinding] {
        var result: [GroupBinding] = []
        for (index, rule) in rules.enumerated() where rule.enabled {
            guard let per = rule.groupedBy else { continue }
            var groups: [Subject: [Int32]] = [:]
            if per == .gateway, case .gateway(let code) = rule.scope, gateways.contains(code) {
                groups[.gateway(code: code)] = []
            }
            for sensor in sensors where rule.scope.matches(sensor) {
                switch per {
                case .station:
                    groups[.station(code: sensor.stationCode), default: []].append(sensor.sensorID)
                case .gateway:
                    guard let gateway = sensor.gatewayCode else { continue }
                    groups[.gateway(code: gateway), default: []].append(sensor.sensorID)
                case .sensor:
                    continue
                }
            }
            for (subject, ids) in groups.sorted(by: { $0.key < $1.key }) {
                result.append(GroupBinding(ruleIndex: index, subject: subject, sensorIDs: ids.sorted()))
            }
        }
        return result
    }
}
