import Foundation
import IOCCore
import Testing

@Suite("Alert rules: validation and the JSON form")
struct AlertRuleTests {
    typealias Rule = AlertRule

    /// The flood alarm levels of every hydrological station, read from its attributes.
    static let floodLevels = Rule(
        id: 7, name: "Flood alarm levels", severity: .warning, forSeconds: 600, labels: ["team": "flood"],
        scope: .metric(name: "water_level", domain: "hydro", unitCode: "54"),
        condition: .levels(.init(direction: .above, levels: [
            .init(name: "I", severity: .info, threshold: .attribute("alarm_levels.I")),
            .init(name: "II", severity: .warning, threshold: .attribute("alarm_levels.II")),
            .init(name: "III", severity: .critical, threshold: .attribute("alarm_levels.III")),
        ], hysteresis: 0.05)))

    /// Phú Lâm's levels as numbers (BĐ1/2/3 = 1.70/2.70/3.70 m).
    static let phuLam = Rule(
        name: "Phú Lâm", scope: .station(code: "PY-SBA-PHULAM", metric: "water_level"),
        condition: .levels(.init(levels: [
            .init(name: "I", severity: .info, threshold: .value(1.7)),
            .init(name: "II", severity: .warning, threshold: .value(2.7)),
            .init(name: "III", severity: .critical, threshold: .value(3.7)),
        ])))

    static let good: [Rule] = [
        floodLevels,
        phuLam,
        Rule(name: "Trị An low", enabled: false, scope: .station(code: "DN-TRIAN", metric: nil),
             condition: .levels(.init(direction: .below, levels: [
                 .init(name: "low", severity: .warning, threshold: .value(52)),
                 .init(name: "dead", severity: .critical, threshold: .value(50)),
             ], hysteresis: 0.5))),
        Rule(name: "River rising fast", severity: .critical, scope: .sensor(id: 30),
             condition: .rateOfChange(.init(delta: 0.5, windowSeconds: 3600, direction: .either))),
        Rule(name: "Heavy rain 24 h", scope: .metric(name: "rain", domain: nil, unitCode: nil),
             condition: .window(.init(function: .sum, windowSeconds: 86_400, comparison: .ge, threshold: 100, clearThreshold: 80))),
        Rule(name: "PM2.5 hourly", severity: .info, scope: .metric(name: "pm2_5", domain: "air", unitCode: nil),
             condition: .window(.init(function: .avg, windowSeconds: 3600, comparison: .gt, threshold: 50))),
        Rule(name: "Gauge silent", scope: .station(code: "PY-A", metric: "water_level"),
             condition: .noData(.init(afterSeconds: 1800))),
    ]

    @Test("valid rules have no problems", arguments: good)
    func valid(rule: Rule) throws {
        #expect(rule.problems == [])
        try rule.validate()
    }

    @Test("valid rules round-trip through JSON", arguments: good)
    func roundTrip(rule: Rule) throws {
        let data = try JSONEncoder().encode(rule)
        #expect(try JSONDecoder().decode(Rule.self, from: data) == rule)
    }

    @Test("the JSON form of a rule")
    func jsonShape() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(Self.floodLevels), as: UTF8.self)
        #expect(json == #"{"condition":{"direction":"above","hysteresis":0.05,"kind":"levels","levels":["#
            + #"{"name":"I","severity":"info","threshold":{"attribute":"alarm_levels.I"}},"#
            + #"{"name":"II","severity":"warning","threshold":{"attribute":"alarm_levels.II"}},"#
            + #"{"name":"III","severity":"critical","threshold":{"attribute":"alarm_levels.III"}}]},"#
            + #""enabled":true,"for_seconds":600,"id":7,"labels":{"team":"flood"},"name":"Flood alarm levels","#
            + #""scope":{"domain":"hydro","kind":"metric","name":"water_level","unit_code":"54"},"severity":"warning"}"#)
    }

    @Test("the JSON of each condition and scope kind", arguments: [
        (Rule.Condition.rateOfChange(.init(delta: 0.5, windowSeconds: 3600, direction: .rise)),
         #"{"delta":0.5,"direction":"rise","kind":"rate_of_change","window_seconds":3600}"#),
        (.window(.init(function: .sum, windowSeconds: 86_400, comparison: .ge, threshold: 100, clearThreshold: 80)),
         #"{"clear_threshold":80,"comparison":"ge","function":"sum","kind":"window","threshold":100,"window_seconds":86400}"#),
        (.window(.init(function: .max, windowSeconds: 600, comparison: .lt, threshold: 5)),
         #"{"comparison":"lt","function":"max","kind":"window","threshold":5,"window_seconds":600}"#),
        (.noData(.init(afterSeconds: 1800)), #"{"after_seconds":1800,"kind":"no_data"}"#),
        (.noData(.init(afterSeconds: 900, per: .station)), #"{"after_seconds":900,"kind":"no_data","per":"station"}"#),
        (.noData(.init(afterSeconds: 300, per: .gateway)), #"{"after_seconds":300,"kind":"no_data","per":"gateway"}"#),
        (.levels(.init(direction: .below, levels: [.init(name: "low", severity: .warning, threshold: .value(52))])),
         #"{"direction":"below","hysteresis":0,"kind":"levels","levels":[{"name":"low","severity":"warning","threshold":{"value":52}}]}"#),
    ] as [(Rule.Condition, String)])
    func conditionShape(condition: Rule.Condition, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(condition), as: UTF8.self) == json)
        #expect(try JSONDecoder().decode(Rule.Condition.self, from: Data(json.utf8)) == condition)
    }

    @Test("scopes", arguments: [
        (Rule.Scope.sensor(id: 30), #"{"id":30,"kind":"sensor"}"#),
        (.station(code: "PY-A", metric: nil), #"{"code":"PY-A","kind":"station"}"#),
        (.station(code: "PY-A", metric: "rain"), #"{"code":"PY-A","kind":"station","metric":"rain"}"#),
        (.metric(name: "pm2_5", domain: nil, unitCode: nil), #"{"kind":"metric","name":"pm2_5"}"#),
        (.gateway(code: "GW-PY-01"), #"{"code":"GW-PY-01","kind":"gateway"}"#),
        (.all(domain: nil, unitCode: nil), #"{"kind":"all"}"#),
        (.all(domain: "air", unitCode: "PY"), #"{"domain":"air","kind":"all","unit_code":"PY"}"#),
    ] as [(Rule.Scope, String)])
    func scopeShape(scope: Rule.Scope, json: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(scope), as: UTF8.self) == json)
        #expect(try JSONDecoder().decode(Rule.Scope.self, from: Data(json.utf8)) == scope)
    }

    @Test("a no-data condition's per is checked: an unknown grouping is refused, not taken as per sensor")
    func noDataPer() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Rule.Condition.self, from: Data(#"{"kind":"no_data","after_seconds":60,"per":"district"}"#.utf8))
        }
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Rule.Scope.self, from: Data(#"{"kind":"gateway"}"#.utf8))
        }
    }

    @Test("fields left out take their defaults")
    func defaults() throws {
        let json = #"""
        {"name":"Rain","severity":"warning","scope":{"kind":"sensor","id":31},
         "condition":{"kind":"levels","direction":"above","levels":[{"name":"I","severity":"warning","threshold":{"value":50}}]}}
        """#
        let rule = try JSONDecoder().decode(Rule.self, from: Data(json.utf8))
        #expect(rule == Rule(name: "Rain", severity: .warning, scope: .sensor(id: 31), condition: .levels(.init(
            levels: [.init(name: "I", severity: .warning, threshold: .value(50))]))))
        #expect(rule.id == nil && rule.enabled && rule.forSeconds == 0 && rule.labels.isEmpty)
    }

    @Test("JSON that is not a rule says what was expected", arguments: [
        (#"{"kind":"threshold"}"#, "unknown condition kind 'threshold'; expected levels, rate_of_change, window or no_data"),
        (#"{"kind":"levels","direction":"above","levels":[{"name":"I","severity":"info","threshold":{}}]}"#,
         #"a threshold needs exactly one of "value" (a number) or "attribute""#),
        (#"{"kind":"levels","direction":"above","levels":[{"name":"I","severity":"info","threshold":{"value":1,"attribute":"a"}}]}"#,
         #"exactly one of "value""#),
    ])
    func badJSON(json: String, expected: String) {
        #expect {
            try JSONDecoder().decode(Rule.Condition.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test("an unknown scope kind is refused")
    func badScope() {
        #expect {
            try JSONDecoder().decode(Rule.Scope.self, from: Data(#"{"kind":"province"}"#.utf8))
        } throws: { error in
            "\(error)".contains("unknown scope kind 'province'; expected sensor, station, metric, gateway or all")
        }
    }

    static func levels(_ levels: [(String, Rule.Severity, Rule.Threshold)], direction: Rule.Levels.Direction = .above, hysteresis: Double = 0) -> Rule {
        Rule(name: "levels", scope: .sensor(id: 1), condition: .levels(.init(
            direction: direction, levels: levels.map { .init(name: $0.0, severity: $0.1, threshold: $0.2) }, hysteresis: hysteresis)))
    }

    static func with(_ condition: Rule.Condition) -> Rule {
        Rule(name: "rule", scope: .sensor(id: 1), condition: condition)
    }

    static func window(_ seconds: Double, _ comparison: Rule.WindowAggregate.Comparison = .ge, threshold: Double = 100, clear: Double? = nil) -> Rule {
        with(.window(.init(function: .sum, windowSeconds: seconds, comparison: comparison, threshold: threshold, clearThreshold: clear)))
    }

    static let bad: [(Rule, field: String, message: String)] = {
        var unnamed = phuLam
        unnamed.name = "  "
        var longName = phuLam
        longName.name = String(repeating: "x", count: 201)
        var negativeFor = phuLam
        negativeFor.forSeconds = -1
        var infiniteFor = phuLam
        infiniteFor.forSeconds = .infinity
        var longFor = phuLam
        longFor.forSeconds = 32 * 86_400
        var emptyLabel = phuLam
        emptyLabel.labels = ["": "x"]
        var sensorZero = phuLam
        sensorZero.scope = .sensor(id: 0)
        var noStation = phuLam
        noStation.scope = .station(code: "", metric: nil)
        var emptyMetric = phuLam
        emptyMetric.scope = .station(code: "PY-A", metric: "")
        var emptyUnit = phuLam
        emptyUnit.scope = .metric(name: "rain", domain: nil, unitCode: "")
        return [
            (unnamed, "name", "must not be empty"),
            (longName, "name", "201 characters; at most 200"),
            (negativeFor, "for_seconds", "-1 s is too short; expected at least 0"),
            (infiniteFor, "for_seconds", "inf must be a finite number of seconds"),
            (longFor, "for_seconds", "2764800 s is longer than the 2678400 s (31 days) allowed"),
            (emptyLabel, "labels", "a label name is empty"),
            (sensorZero, "scope.id", "sensor id 0 is not a sensor"),
            (noStation, "scope.code", "must be a station code"),
            (emptyMetric, "scope.metric", "or left out for every metric"),
            (emptyUnit, "scope.unit_code", "administrative unit code"),
            (levels([]), "condition.levels", "at least one level"),
            (levels([("I", .info, .value(1))], hysteresis: -0.1), "condition.hysteresis", "-0.1 must be a number of at least 0"),
            (levels([("I", .info, .value(1))], hysteresis: .nan), "condition.hysteresis", "nan must be a number of at least 0"),
            (levels([("I", .info, .value(1.7)), ("II", .warning, .value(2.7)), ("II", .critical, .value(3.7))]),
             "condition.levels[2].name", "'II' is used twice"),
            (levels([("", .info, .value(1.7))]), "condition.levels[0].name", "must not be empty"),
            (levels([("I", .info, .value(1.7)), ("II", .warning, .value(.nan))]), "condition.levels[1].threshold", "nan must be a finite number"),
            (levels([("I", .info, .value(2.7)), ("II", .warning, .value(1.7))]),
             "condition.levels[1].threshold", "1.7 is not above 2.7 of level I; for direction above, thresholds must rise"),
            (levels([("I", .info, .value(2.7)), ("II", .warning, .value(2.7))]), "condition.levels[1].threshold", "2.7 is not above 2.7"),
            (levels([("low", .warning, .value(50)), ("dead", .critical, .value(52))], direction: .below),
             "condition.levels[1].threshold", "52 is not below 50 of level low; for direction below, thresholds must fall"),
            (levels([("I", .critical, .value(1.7)), ("II", .warning, .value(2.7))]),
             "condition.levels[1].severity", "warning is below the critical of level I"),
            (levels([("I", .info, .attribute("alarm_levels..I"))]), "condition.levels[0].threshold", "attribute 'alarm_levels..I' has an empty key"),
            (levels([("I", .info, .attribute(""))]), "condition.levels[0].threshold", "like alarm_levels.II"),
            (with(.rateOfChange(.init(delta: 0, windowSeconds: 3600))), "condition.delta", "0 must be a number above 0"),
            (with(.rateOfChange(.init(delta: -0.5, windowSeconds: 3600, direction: .fall))), "condition.delta", "-0.5 must be a number above 0"),
            (with(.rateOfChange(.init(delta: 0.5, windowSeconds: 0))), "condition.window_seconds", "0 s is too short; expected above 0"),
            (window(-60), "condition.window_seconds", "-60 s is too short"),
            (window(31 * 86_400 + 1), "condition.window_seconds", "2678401 s is longer than the 2678400 s (31 days) allowed"),
            (window(.nan), "condition.window_seconds", "must be a finite number"),
            (window(3600, threshold: .infinity), "condition.threshold", "inf must be a finite number"),
            (window(3600, .ge, threshold: 100, clear: 120), "condition.clear_threshold", "120 is above the threshold 100; with ge"),
            (window(3600, .gt, threshold: 100, clear: 120), "condition.clear_threshold", "with gt the alert clears when the aggregate falls, so it must be at most 100"),
            (window(3600, .lt, threshold: 10, clear: 5), "condition.clear_threshold", "5 is below the threshold 10; with lt"),
            (window(3600, .le, threshold: 10, clear: -.infinity), "condition.clear_threshold", "-inf must be a finite number"),
            (with(.noData(.init(afterSeconds: 0.5))), "condition.after_seconds", "0.5 s is too short; expected at least 1"),
        ]
    }()

    @Test("invalid rules name the field and say what is expected", arguments: bad)
    func invalid(rule: Rule, field: String, message: String) throws {
        let first = try #require(rule.problems.first)
        #expect(first.field == field)
        #expect(first.message.contains(message), "\(first)")
        #expect(throws: first) { try rule.validate() }
    }

    @Test("every problem is listed, in field order; validate throws the first")
    func allProblems() {
        var rule = Self.levels([("I", .info, .value(2.7)), ("I", .warning, .value(1.7))], hysteresis: -1)
        rule.name = ""
        #expect(rule.problems.map(\.field) == [
            "name", "condition.hysteresis", "condition.levels[1].name", "condition.levels[1].threshold",
        ])
        #expect(throws: RuleValidationError(field: "name", message: "must not be empty; give the rule a name people recognise in a page")) {
            try rule.validate()
        }
    }

    @Test("thresholds resolve from station attributes once")
    func resolvedThresholds() {
        guard case .levels(let levels) = Self.floodLevels.condition else {
            Issue.record("expected a levels condition")
            return
        }
        let attributes = ["alarm_levels.I": 1.7, "alarm_levels.III": 3.7] // no BĐ2 at this station
        #expect(levels.resolvedThresholds { attributes[$0] } == [1.7, nil, 3.7])
        #expect(levels.levels[1].threshold.attributePath == ["alarm_levels", "II"])
        #expect(Rule.Threshold.value(2).attributePath == nil)
    }

    @Test("severities are ordered")
    func severityOrder() {
        #expect(Rule.Severity.allCases.sorted() == [.info, .warning, .critical])
        #expect(Rule.Severity.warning < .critical && !(Rule.Severity.critical < .info))
    }
}
