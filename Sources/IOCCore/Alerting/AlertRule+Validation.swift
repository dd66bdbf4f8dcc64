/// What is wrong with a rule: where (`field`, a JSON path such as `condition.levels[1].threshold`)
/// and what is expected instead.
public struct RuleValidationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

extension AlertRule {
    /// The longest window, `for` and no-data time a rule may have: 31 days, the retention of the
    /// finest rollup is longer, and a longer window would hold too many readings in memory.
    public static let maximumSeconds: Double = 31 * 86_400

    /// Throws the first of `problems`, the one a person fixes first.
    public func validate() throws(RuleValidationError) {
        if let first = problems.first { throw first }
    }

    /// Every problem of the rule, in the order of its fields (name, for_seconds, labels, scope,
    /// condition); empty when the rule is valid.
    public var problems: [RuleValidationError] {
        var found = RuleProblems()
        if name.allSatisfy(\.isWhitespace) {
            found.add("name", "must not be empty; give the rule a name people recognise in a page")
        } else if name.count > 200 {
            found.add("name", "has \(name.count) characters; at most 200 are allowed")
        }
        found.duration("for_seconds", forSeconds, .atLeast(0))
        if labels.keys.contains(where: \.isEmpty) {
            found.add("labels", "a label name is empty; use names like team or river")
        }
        checkScope(&found)
        checkCondition(&found)
        return found.list
    }

    private func checkScope(_ found: inout RuleProblems) {
        switch scope {
        case .sensor(let id):
            if id <= 0 { found.add("scope.id", "sensor id \(id) is not a sensor; ids are positive") }
        case .station(let code, let metric):
            if code.isEmpty { found.add("scope.code", "must be a station code such as PY-SBA-PHULAM") }
            if metric?.isEmpty == true { found.add("scope.metric", "must be a metric such as water_level, or left out for every metric") }
        case .metric(let name, let domain, let unitCode):
            if name.isEmpty { found.add("scope.name", "must be a metric such as water_level") }
            if domain?.isEmpty == true { found.add("scope.domain", "must be a station domain, or left out for every domain") }
            if unitCode?.isEmpty == true { found.add("scope.unit_code", "must be an administrative unit code, or left out for the whole province") }
        case .gateway(let code):
            if code.isEmpty { found.add("scope.code", "must be a gateway code such as GW-PY-01") }
        case .all(let domain, let unitCode):
            if domain?.isEmpty == true { found.add("scope.domain", "must be a station domain, or left out for every domain") }
            if unitCode?.isEmpty == true { found.add("scope.unit_code", "must be an administrative unit code, or left out for the whole province") }
        }
    }

    private func checkCondition(_ found: inout RuleProblems) {
        switch condition {
        case .levels(let levels):
            checkLevels(levels, &found)
        case .rateOfChange(let rate):
            if !rate.delta.isFinite || rate.delta <= 0 {
                found.add("condition.delta", "\(rate.delta.shown) must be a number above 0 (the change that fires, in the sensor's unit, whatever the direction)")
            }
            found.duration("condition.window_seconds", rate.windowSeconds, .above(0))
        case .window(let window):
            found.duration("condition.window_seconds", window.windowSeconds, .above(0))
            if !window.threshold.isFinite {
                found.add("condition.threshold", "\(window.threshold.shown) must be a finite number")
            }
            if let clear = window.clearThreshold {
                if !clear.isFinite {
                    found.add("condition.clear_threshold", "\(clear.shown) must be a finite number, or left out to clear at the threshold")
                } else if window.threshold.isFinite {
                    let clearsWhenFalling = window.comparison == .gt || window.comparison == .ge
                    if clearsWhenFalling, clear > window.threshold {
                        found.add("condition.clear_threshold", "\(clear.shown) is above the threshold \(window.threshold.shown); with \(window.comparison.rawValue) the alert clears when the aggregate falls, so it must be at most \(window.threshold.shown)")
                    } else if !clearsWhenFalling, clear < window.threshold {
                        found.add("condition.clear_threshold", "\(clear.shown) is below the threshold \(window.threshold.shown); with \(window.comparison.rawValue) the alert clears when the aggregate rises, so it must be at least \(window.threshold.shown)")
                    }
                }
            }
        case .noData(let noData):
            found.duration("condition.after_seconds", noData.afterSeconds, .atLeast(1))
        }
    }

    private func checkLevels(_ levels: Levels, _ found: inout RuleProblems) {
        if levels.levels.isEmpty {
            found.add("condition.levels", "must list at least one level, e.g. I, II and III with their thresholds")
        }
        if !levels.hysteresis.isFinite || levels.hysteresis < 0 {
            found.add("condition.hysteresis", "\(levels.hysteresis.shown) must be a number of at least 0, in the sensor's unit (0: clear as soon as the value is back past the threshold)")
        }
        var seen: Set<String> = []
        for (index, level) in levels.levels.enumerated() {
            let path = "condition.levels[\(index)]"
            if level.name.isEmpty {
                found.add("\(path).name", "must not be empty; name levels like I, II, III")
            } else if !seen.insert(level.name).inserted {
                found.add("\(path).name", "'\(level.name)' is used twice; each level needs its own name")
            }
            switch level.threshold {
            case .value(let value) where !value.isFinite:
                found.add("\(path).threshold", "\(value.shown) must be a finite number")
            case .attribute(let key) where key.isEmpty || key.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty):
                found.add("\(path).threshold", "attribute '\(key)' has an empty key; expected station attribute keys joined by '.', like alarm_levels.II")
            default:
                break
            }
            if index > 0 {
                let previous = levels.levels[index - 1]
                if level.severity < previous.severity {
                    found.add("\(path).severity", "\(level.severity.rawValue) is below the \(previous.severity.rawValue) of level \(previous.name); list levels from the least to the most severe")
                }
                if case .value(let value) = level.threshold, case .value(let before) = previous.threshold,
                   value.isFinite, before.isFinite {
                    switch levels.direction {
                    case .above where value <= before:
                        found.add("\(path).threshold", "\(value.shown) is not above \(before.shown) of level \(previous.name); for direction above, thresholds must rise from the first level to the last")
                    case .below where value >= before:
                        found.add("\(path).threshold", "\(value.shown) is not below \(before.shown) of level \(previous.name); for direction below, thresholds must fall from the first level to the last")
                    default:
                        break
                    }
                }
            }
        }
    }
}

/// The problems found so far, in order.
private struct RuleProblems {
    var list: [RuleValidationError] = []

    mutating func add(_ field: String, _ message: String) {
        list.append(RuleValidationError(field: field, message: message))
    }

    enum Minimum {
        case atLeast(Double)
        case above(Double)
    }

    /// A number of seconds: finite, not below `minimum`, at most 31 days.
    mutating func duration(_ field: String, _ seconds: Double, _ minimum: Minimum) {
        let limit = AlertRule.maximumSeconds.shown
        let (tooShort, expected) = switch minimum {
        case .atLeast(let bound): (seconds < bound, "at least \(bound.shown)")
        case .above(let bound): (seconds <= bound, "above \(bound.shown)")
        }
        if !seconds.isFinite {
            add(field, "\(seconds.shown) must be a finite number of seconds")
        } else if tooShort {
            add(field, "\(seconds.shown) s is too short; expected \(expected) and at most \(limit) s (31 days)")
        } else if seconds > AlertRule.maximumSeconds {
            add(field, "\(seconds.shown) s is longer than the \(limit) s (31 days) allowed")
        }
    }
}
