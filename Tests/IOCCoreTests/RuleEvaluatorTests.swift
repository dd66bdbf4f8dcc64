import IOCCore
import Testing

@Suite("Rule evaluation of one series")
struct RuleEvaluatorTests {
    typealias Rule = AlertRule
    static let t0 = Timestamp(seconds: 1_764_000_000)

    static func reading(_ seconds: Double, _ value: Double) -> Reading {
        Reading(sensorID: 30, time: t0.adding(seconds: seconds), value: value)
    }

    /// An evaluation as a table shows it: the level name, "active", "-" for normal, or "late".
    static func shown(_ evaluation: RuleEvaluator.Evaluation?) -> String {
        switch evaluation {
        case nil: "nil"
        case .late?: "late"
        case .normal?: "-"
        case .active(let level, _, _)?: level ?? "active"
        }
    }

    /// Evaluates `values` ten minutes apart and shows each outcome.
    static func run(_ condition: Rule.Condition, thresholds: [Double?] = [], _ values: [Double]) -> [String] {
        var evaluator = RuleEvaluator(condition: condition, thresholds: thresholds, since: t0)
        return values.enumerated().map { shown(evaluator.evaluate(reading(Double($0.offset) * 600, $0.element))) }
    }

    static func run(_ condition: Rule.Condition, _ readings: [(Double, Double)]) -> [String] {
        var evaluator = RuleEvaluator(condition: condition, since: t0)
        return readings.map { shown(evaluator.evaluate(reading($0.0, $0.1))) }
    }

    // MARK: Levels

    /// Phú Lâm, Sông Ba: BĐ1/2/3 = 1.70/2.70/3.70 m.
    static func phuLam(hysteresis: Double = 0) -> Rule.Condition {
        .levels(.init(direction: .above, levels: [
            .init(name: "I", severity: .info, threshold: .value(1.7)),
            .init(name: "II", severity: .warning, threshold: .value(2.7)),
            .init(name: "III", severity: .critical, threshold: .value(3.7)),
        ], hysteresis: hysteresis))
    }

    /// A reservoir running low: 52 m, 51 m, and the dead level 50 m.
    static let reservoir = Rule.Condition.levels(.init(direction: .below, levels: [
        .init(name: "I", severity: .info, threshold: .value(52)),
        .init(name: "II", severity: .warning, threshold: .value(51)),
        .init(name: "III", severity: .critical, threshold: .value(50)),
    ], hysteresis: 0.5))

    static let fromAttributes = Rule.Condition.levels(.init(direction: .above, levels: [
        .init(name: "I", severity: .info, threshold: .attribute("alarm_levels.I")),
        .init(name: "II", severity: .warning, threshold: .attribute("alarm_levels.II")),
        .init(name: "III", severity: .critical, threshold: .attribute("alarm_levels.III")),
    ]))

    @Test("levels", arguments: [
        ("through every level and back", phuLam(), [],
         [1.0, 1.7, 2.69, 2.7, 3.8, 3.69, 2.0, 1.69], ["-", "I", "I", "II", "III", "II", "I", "-"]),
        ("flapping at a line without hysteresis", phuLam(), [],
         [2.69, 2.71, 2.69, 2.71, 2.69], ["I", "II", "I", "II", "I"]),
        ("the same flapping absorbed by 0.05 m of hysteresis; 2.65 is still II, though 2.7 − 0.05 is 2.6500000000000004",
         phuLam(hysteresis: 0.05), [], [2.69, 2.71, 2.66, 2.71, 2.65, 2.64], ["I", "II", "II", "II", "II", "I"]),
        ("level by level down from III, each with its own band", phuLam(hysteresis: 0.1), [],
         [3.8, 3.65, 3.5, 2.65, 2.5, 1.65, 1.55], ["III", "III", "II", "II", "I", "I", "-"]),
        ("II, III, then I", phuLam(), [], [2.8, 3.8, 1.8], ["II", "III", "I"]),
        ("a reservoir falling through levels below, with hysteresis", reservoir, [],
         [55, 52, 51.5, 50.9, 49.9, 51.2, 53], ["-", "I", "I", "II", "III", "II", "-"]),
        ("a station without BĐ2 skips it", fromAttributes, [1.7, nil, 3.7],
         [2.0, 2.9, 3.7, 3.0], ["I", "I", "III", "I"]),
        ("a station with no levels at all never fires", fromAttributes, [], [1, 5, 100], ["-", "-", "-"]),
        ("a non-finite resolved threshold is skipped", fromAttributes, [.infinity, 2.7, nil],
         [2.0, 2.8, 9], ["-", "II", "II"]),
        ("resolved thresholds override the rule's numbers", phuLam(), [10, 20, 30],
         [3.0, 10, 25, 30], ["-", "I", "II", "III"]),
        ("levels past the end of the thresholds use their own numbers", phuLam(), [10],
         [3.0, 3.8, 10], ["II", "III", "III"]),
    ] as [(String, Rule.Condition, [Double?], [Double], [String])])
    func levels(_ name: String, condition: Rule.Condition, thresholds: [Double?], values: [Double], expected: [String]) {
        #expect(Self.run(condition, thresholds: thresholds, values) == expected)
    }

    @Test("a level reports its own severity and the value")
    func levelSeverity() {
        var evaluator = RuleEvaluator(condition: Self.phuLam(), since: Self.t0)
        #expect(evaluator.evaluate(Self.reading(0, 3.8)) == .active(level: "III", severity: .critical, value: 3.8))
        #expect(evaluator.evaluate(Self.reading(60, 2.75)) == .active(level: "II", severity: .warning, value: 2.75))
        #expect(evaluator.evaluate(Self.reading(120, 1)) == .normal)
    }

    @Test("late readings are not evaluated and change nothing", arguments: [-600.0, -1, 0])
    func late(offset: Double) {
        var evaluator = RuleEvaluator(condition: Self.phuLam(hysteresis: 0.1), since: Self.t0)
        #expect(evaluator.evaluate(Self.reading(600, 3.8)) == .active(level: "III", severity: .critical, value: 3.8))
        #expect(evaluator.evaluate(Self.reading(600 + offset, 0)) == .late)
        #expect(evaluator.lastReadingTime == Self.t0.adding(seconds: 600))
        // Had the late 0 been evaluated it would have cleared III, and 3.65 would be II.
        #expect(Self.shown(evaluator.evaluate(Self.reading(1200, 3.65))) == "III")
    }

    @Test("a non-finite value is not evaluated")
    func nonFinite() {
        var evaluator = RuleEvaluator(condition: Self.phuLam(), since: Self.t0)
        #expect(evaluator.evaluate(Self.reading(0, .nan)) == .late)
        #expect(evaluator.lastReadingTime == nil)
    }

    // MARK: Rate of change

    static let rise = Rule.Condition.rateOfChange(.init(delta: 0.5, windowSeconds: 3600, direction: .rise))
    static let fall = Rule.Condition.rateOfChange(.init(delta: 0.5, windowSeconds: 3600, direction: .fall))
    static let either = Rule.Condition.rateOfChange(.init(delta: 0.5, windowSeconds: 3600, direction: .either))

    @Test("rate of change", arguments: [
        ("rising 0.5 m in an hour fires, though 2.3 − 1.8 is 0.4999999999999998 in binary", rise,
         [(0, 1.8), (1800, 2.0), (3600, 2.3)], ["-", "-", "active"]),
        ("rising 0.4 m does not", rise, [(0, 2.3), (1800, 2.5), (3600, 2.7)], ["-", "-", "-"]),
        ("a fall of 0.5 m fires a fall rule", fall, [(0, 3.0), (1800, 2.7), (3600, 2.5)], ["-", "-", "active"]),
        ("and not a rise rule", rise, [(0, 3.0), (1800, 2.7), (3600, 2.5)], ["-", "-", "-"]),
        ("either direction: a fall", either, [(0, 3.0), (1800, 2.7), (3600, 2.5)], ["-", "-", "active"]),
        ("either direction: a rise", either, [(0, 2.0), (3600, 2.6)], ["-", "active"]),
        ("a rise does not fire a fall rule", fall, [(0, 2.0), (3600, 2.6)], ["-", "-"]),
        ("the reading exactly one window old still counts", rise, [(0, 2.0), (3600, 2.5)], ["-", "active"]),
        ("older readings drop out of the window", rise, [(0, 2.0), (1800, 2.1), (3601, 2.55)], ["-", "-", "-"]),
        ("a slow rise over hours never fires", rise,
         [(0, 2.0), (3600, 2.3), (7200, 2.6), (10800, 2.9)], ["-", "-", "-", "-"]),
        ("the oldest reading counts, not the lowest", rise,
         [(0, 2.2), (600, 2.0), (1200, 2.6), (3601, 2.7)], ["-", "-", "-", "active"]),
    ] as [(String, Rule.Condition, [(Double, Double)], [String])])
    func rate(_ name: String, condition: Rule.Condition, readings: [(Double, Double)], expected: [String]) {
        #expect(Self.run(condition, readings) == expected)
    }

    @Test("the value of a rate condition is the change over the window")
    func rateValue() throws {
        var evaluator = RuleEvaluator(condition: Self.fall, since: Self.t0)
        _ = evaluator.evaluate(Self.reading(0, 3.0))
        guard case .active(nil, nil, let change) = evaluator.evaluate(Self.reading(3000, 2.4)) else {
            Issue.record("expected an active fall")
            return
        }
        #expect(abs(change - -0.6) < 1e-12)
    }

    // MARK: Window aggregates

    /// 5 mm an hour for 20 hours, then dry: 100 mm at hour 20; hour 1 leaves the 24 h window at hour 25.
    static let rain: [(Double, Double)] = (1...30).map { (Double($0) * 3600, $0 <= 20 ? 5 : 0) }

    static func activeHours(_ hours: ClosedRange<Int>) -> [String] {
        (1...30).map { hours.contains($0) ? "active" : "-" }
    }

    static func rainOver24h(clear: Double?) -> Rule.Condition {
        .window(.init(function: .sum, windowSeconds: 86_400, comparison: .ge, threshold: 100, clearThreshold: clear))
    }

    static func speed(clear: Double?) -> Rule.Condition {
        .window(.init(function: .avg, windowSeconds: 900, comparison: .lt, threshold: 10, clearThreshold: clear))
    }

    static let speeds: [(Double, Double)] = [30, 12, 6, 5, 9, 12, 14, 20, 25].enumerated().map { (Double($0.offset + 1) * 300, $0.element) }

    @Test("window aggregates", arguments: [
        ("rain ≥ 100 mm in 24 h, hourly readings", rainOver24h(clear: nil), rain, activeHours(20...24)),
        ("the same, clearing only below 80 mm", rainOver24h(clear: 80), rain, activeHours(20...28)),
        ("hourly PM2.5 average above 50 µg/m³",
         .window(.init(function: .avg, windowSeconds: 3600, comparison: .gt, threshold: 50)),
         [(600, 40), (1200, 45), (1800, 60), (2400, 70), (3000, 55), (3600, 50), (4200, 20)],
         ["-", "-", "-", "active", "active", "active", "-"]),
        ("traffic: 15 min average speed below 10 km/h", speed(clear: nil), speeds,
         ["-", "-", "-", "active", "active", "active", "-", "-", "-"]),
        ("the same, clearing only at 15 km/h", speed(clear: 15), speeds,
         ["-", "-", "-", "active", "active", "active", "active", "-", "-"]),
        ("10-minute maximum gust of at least 20 m/s",
         .window(.init(function: .max, windowSeconds: 600, comparison: .ge, threshold: 20)),
         [(0, 5), (300, 22), (600, 8), (900, 9), (1200, 25), (1500, 3), (1800, 4)],
         ["-", "active", "active", "-", "active", "active", "-"]),
        ("10-minute minimum at most 1",
         .window(.init(function: .min, windowSeconds: 600, comparison: .le, threshold: 1)),
         [(0, 5), (300, 1), (600, 8), (900, 9), (1200, 0.5), (1500, 3), (1800, 4)],
         ["-", "active", "active", "-", "active", "active", "-"]),
    ] as [(String, Rule.Condition, [(Double, Double)], [String])])
    func window(_ name: String, condition: Rule.Condition, readings: [(Double, Double)], expected: [String]) {
        #expect(Self.run(condition, readings) == expected)
    }

    /// Uneven gaps and values from a fixed generator, so the same every run.
    static let irregular: [(Double, Double)] = {
        var state: UInt64 = 42
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) / Double(1 << 53)
        }
        var time = 0.0
        return (0..<2000).map { _ in
            time += (next() * 600).rounded() + 1
            return (time, (next() * 200 - 50).rounded() / 10)
        }
    }()

    @Test("aggregates match a brute-force computation over the window", arguments: Rule.WindowAggregate.Function.allCases)
    func aggregateMatchesBruteForce(function: Rule.WindowAggregate.Function) {
        let windowSeconds = 3600.0
        // A threshold every aggregate passes, so each evaluation reports the aggregate.
        let condition = Rule.Condition.window(.init(function: function, windowSeconds: windowSeconds, comparison: .ge, threshold: -1e300))
        var evaluator = RuleEvaluator(condition: condition, since: Self.t0)
        var mismatches = 0
        for (index, (time, value)) in Self.irregular.enumerated() {
            let inWindow = Self.irregular[...index].filter { $0.0 > time - windowSeconds }.map(\.1)
            let expected = switch function {
            case .sum: inWindow.reduce(0, +)
            case .avg: inWindow.reduce(0, +) / Double(inWindow.count)
            case .max: inWindow.max()!
            case .min: inWindow.min()!
            }
            guard case .active(_, _, let aggregate) = evaluator.evaluate(Self.reading(time, value)),
                  abs(aggregate - expected) <= 1e-9 * max(1, abs(expected)) else {
                mismatches += 1
                continue
            }
        }
        #expect(mismatches == 0)
    }

    // MARK: No data

    static let silent = Rule.Condition.noData(.init(afterSeconds: 600))

    @Test("no data", arguments: [
        ("nothing yet, before the time", [], 599, "-"),
        ("nothing at all, on time, counted from the start", [], 600, "active"),
        ("a reading restarts the count", [300], 899, "-"),
        ("silent since the last reading", [100, 300], 900, "active"),
        ("a check before the last reading", [300], 100, "-"),
    ] as [(String, [Double], Double, String)])
    func noData(_ name: String, readings: [Double], checkAt: Double, expected: String) {
        var evaluator = RuleEvaluator(condition: Self.silent, since: Self.t0)
        for time in readings { #expect(evaluator.evaluate(Self.reading(time, 1)) == .normal) }
        #expect(Self.shown(evaluator.check(now: Self.t0.adding(seconds: checkAt))) == expected)
    }

    @Test("no data fires on time, clears with the next reading, and fires again")
    func noDataSequence() {
        var evaluator = RuleEvaluator(condition: Self.silent, since: Self.t0)
        #expect(evaluator.noDataDeadline == Self.t0.adding(seconds: 600))
        #expect(evaluator.check(now: Self.t0.adding(seconds: 720)) == .active(level: nil, severity: nil, value: 720))
        #expect(evaluator.evaluate(Self.reading(700, 2.3)) == .normal)
        #expect(evaluator.check(now: Self.t0.adding(seconds: 1000)) == .normal)
        #expect(evaluator.noDataDeadline == Self.t0.adding(seconds: 1300))
        #expect(evaluator.check(now: Self.t0.adding(seconds: 1300)) == .active(level: nil, severity: nil, value: 600))
    }

    @Test("only no-data conditions answer a check", arguments: [phuLam(), rise, rainOver24h(clear: nil)])
    func checkOthers(condition: Rule.Condition) {
        var evaluator = RuleEvaluator(condition: condition, since: Self.t0)
        _ = evaluator.evaluate(Self.reading(0, 1))
        #expect(evaluator.check(now: Self.t0.adding(seconds: 1e6)) == nil)
        #expect(evaluator.noDataDeadline == nil)
    }

    // MARK: Seeding after a restart

    @Test("seeding rebuilds the state, so the next reading evaluates as if nothing restarted", arguments: [
        ("a rate window", rise, [(1800, 2.5), (0, 2.3)], (3600, 2.8), "active", "-"),
        ("a rain window", rainOver24h(clear: nil), Array(rain.prefix(19)), (20 * 3600, 5), "active", "-"),
        ("a window's clear threshold", rainOver24h(clear: 80), Array(rain.prefix(26)), (27 * 3600, 0), "active", "-"),
        ("a level's hysteresis", phuLam(hysteresis: 0.1), [(0, 3.8)], (600, 3.65), "III", "II"),
        ("a late reading after the seed", phuLam(), [(0, 1.0), (600, 3.8)], (600, 3.8), "late", "III"),
    ] as [(String, Rule.Condition, [(Double, Double)], (Double, Double), String, String)])
    func seed(_ name: String, condition: Rule.Condition, history: [(Double, Double)], next: (Double, Double), seeded: String, unseeded: String) {
        var evaluator = RuleEvaluator(condition: condition, since: Self.t0)
        evaluator.seed(history.map { Self.reading($0.0, $0.1) })
        #expect(Self.shown(evaluator.evaluate(Self.reading(next.0, next.1))) == seeded)
        var fresh = RuleEvaluator(condition: condition, since: Self.t0)
        #expect(Self.shown(fresh.evaluate(Self.reading(next.0, next.1))) == unseeded)
    }

    @Test("seeding a no-data condition counts silence from the newest stored reading")
    func seedNoData() {
        var evaluator = RuleEvaluator(condition: Self.silent, since: Self.t0.adding(seconds: 5000))
        evaluator.seed([Self.reading(4000, 1), Self.reading(3000, 1)])
        #expect(evaluator.noDataDeadline == Self.t0.adding(seconds: 4600))
        #expect(Self.shown(evaluator.check(now: Self.t0.adding(seconds: 5000))) == "active")
    }

    @Test("how much history a seed needs", arguments: [
        (phuLam(), 0.0), (rise, 3600), (rainOver24h(clear: nil), 86_400), (silent, 0),
    ] as [(Rule.Condition, Double)])
    func seedSeconds(condition: Rule.Condition, seconds: Double) {
        #expect(RuleEvaluator(condition: condition, since: Self.t0).seedSeconds == seconds)
    }
}
