import IOCCore
import Testing

@Suite("The alert state machine of one rule on one sensor")
struct AlertStateMachineTests {
    typealias Machine = AlertStateMachine
    typealias Event = AlertStateMachine.Event
    static let t0 = Timestamp(seconds: 1_764_000_000)

    static func at(_ seconds: Double) -> Timestamp { t0.adding(seconds: seconds) }

    /// Flood level `name` (I info, II warning, III critical) observed at `seconds`.
    static func level(_ name: String, _ seconds: Double, value: Double = 3) -> Event {
        let severity: AlertRule.Severity = switch name {
        case "I": .info
        case "II": .warning
        default: .critical
        }
        return .condition(.active(level: name, severity: severity, value: value, at: at(seconds)))
    }

    static func active(_ seconds: Double) -> Event { .condition(.active(level: nil, severity: nil, value: 1, at: at(seconds))) }
    static func normal(_ seconds: Double) -> Event { .condition(.normal(at: at(seconds))) }
    static func tick(_ seconds: Double) -> Event { .tick(now: at(seconds)) }
    static func ack(_ seconds: Double, by person: String = "lan") -> Event { .acknowledge(by: person, at: at(seconds)) }
    static func resolve(_ seconds: Double, by person: String = "minh") -> Event { .resolve(by: person, at: at(seconds)) }

    static func shown(_ state: Machine.State) -> String {
        switch state {
        case .inactive: "inactive"
        case .pending(_, let level, _): ["pending", level].compactMap { $0 }.joined(separator: " ")
        case .firing(_, let level, _, let acknowledged, let by):
            ["firing", level, acknowledged ? "ack:\(by ?? "?")" : nil].compactMap { $0 }.joined(separator: " ")
        }
    }

    static func shown(_ action: Machine.Action) -> String {
        switch action {
        case .open(let alert): "open \(shown(alert.state))"
        case .transition(let from, let to, _): "\(shown(from)) → \(shown(to))"
        case .notify(let kind, let severity, let level):
            ["notify", kind.rawValue, severity.rawValue, level].compactMap { $0 }.joined(separator: " ")
        case .close: "close"
        case .rejected: "rejected"
        case .rearmed: "rearmed"
        }
    }

    static func machine(forSeconds: Double) -> Machine {
        Machine(forSeconds: forSeconds, severity: .warning, levels: ["I", "II", "III"])
    }

    /// Each step: an event and the actions it must produce, shown and joined by "; ".
    static let scenarios: [(String, forSeconds: Double, steps: [(Event, String)])] = [
        ("for interrupted: active, then normal before it elapses; nobody is paged", 600, [
            (level("II", 0), "open pending II; inactive → pending II"),
            (level("II", 300), ""),
            (normal(400), "pending II → inactive; close"),
            (tick(700), ""),
        ]),
        ("for satisfied by a tick, with no new reading", 600, [
            (level("II", 0), "open pending II; inactive → pending II"),
            (tick(599), ""),
            (tick(600), "pending II → firing II; notify fired warning II"),
            (tick(1200), ""),
        ]),
        ("for satisfied by the next evaluation", 600, [
            (level("II", 0), "open pending II; inactive → pending II"),
            (level("II", 650), "pending II → firing II; notify fired warning II"),
        ]),
        ("a higher level when for elapses fires at that level", 600, [
            (level("I", 0), "open pending I; inactive → pending I"),
            (level("III", 600), "pending I → firing III; notify fired critical III"),
        ]),
        ("ack before fire is rejected and changes nothing", 600, [
            (ack(0), "rejected"),
            (level("II", 0), "open pending II; inactive → pending II"),
            (ack(100), "rejected"),
            (tick(600), "pending II → firing II; notify fired warning II"),
        ]),
        ("clear while pending, after a level change while pending", 600, [
            (level("I", 0), "open pending I; inactive → pending I"),
            (level("II", 300), "pending I → pending II"),
            (normal(500), "pending II → inactive; close"),
            (level("II", 700), "open pending II; inactive → pending II"),
        ]),
        ("ack, then clear", 0, [
            (level("II", 0), "open firing II; inactive → firing II; notify fired warning II"),
            (ack(60), "firing II → firing II ack:lan"),
            (ack(90, by: "minh"), "rejected"),
            (normal(120), "firing II ack:lan → inactive; notify resolved warning II; close"),
            (ack(130), "rejected"),
        ]),
        ("severity up pages again, down only records", 0, [
            (level("I", 0), "open firing I; inactive → firing I; notify fired info I"),
            (level("II", 60), "firing I → firing II; notify escalated_severity warning II"),
            (level("III", 120), "firing II → firing III; notify escalated_severity critical III"),
            (level("III", 180), ""),
            (level("II", 240), "firing III → firing II"),
            (level("I", 300), "firing II → firing I"),
            (level("II", 360), "firing I → firing II; notify escalated_severity warning II"),
            (normal(420), "firing II → inactive; notify resolved warning II; close"),
        ]),
        ("an acknowledgement lasts until the alert clears: an escalation pages again and keeps it", 0, [
            (level("II", 0), "open firing II; inactive → firing II; notify fired warning II"),
            (ack(60), "firing II → firing II ack:lan"),
            (level("III", 120), "firing II ack:lan → firing III ack:lan; notify escalated_severity critical III"),
            (ack(180, by: "minh"), "rejected"),
            (level("II", 240), "firing III ack:lan → firing II ack:lan"),
            (normal(300), "firing II ack:lan → inactive; notify resolved warning II; close"),
            (level("II", 360), "open firing II; inactive → firing II; notify fired warning II"),
        ]),
        ("after a resolve the next activation is a new alert", 0, [
            (level("II", 0), "open firing II; inactive → firing II; notify fired warning II"),
            (normal(60), "firing II → inactive; notify resolved warning II; close"),
            (level("II", 120), "open firing II; inactive → firing II; notify fired warning II"),
        ]),
        ("a manual resolve while the condition holds waits for normal before a new alert", 0, [
            (level("II", 0), "open firing II; inactive → firing II; notify fired warning II"),
            (resolve(60), "firing II → inactive; notify resolved warning II; close"),
            (level("III", 120), ""),
            (tick(180), ""),
            (resolve(200), "rejected"),
            (ack(210), "rejected"),
            (normal(240), "rearmed"),
            (normal(250), ""),
            (level("II", 300), "open firing II; inactive → firing II; notify fired warning II"),
        ]),
        ("a manual resolve while pending pages nobody", 600, [
            (level("II", 0), "open pending II; inactive → pending II"),
            (resolve(60), "pending II → inactive; close"),
            (tick(600), ""),
            (level("II", 660), ""),
            (normal(720), "rearmed"),
            (level("II", 780), "open pending II; inactive → pending II"),
        ]),
        ("a condition without levels takes the rule's severity", 0, [
            (active(0), "open firing; inactive → firing; notify fired warning"),
            (active(60), ""),
            (normal(120), "firing → inactive; notify resolved warning; close"),
        ]),
        ("nothing open: normal and ticks do nothing, resolve is rejected", 600, [
            (normal(0), ""),
            (tick(600), ""),
            (resolve(700), "rejected"),
        ]),
    ]

    @Test("scenarios", arguments: scenarios)
    func scenario(_ name: String, forSeconds: Double, steps: [(Event, String)]) {
        var machine = Self.machine(forSeconds: forSeconds)
        for (index, (event, expected)) in steps.enumerated() {
            let actions = machine.process(event).map(Self.shown).joined(separator: "; ")
            #expect(actions == expected, "step \(index + 1)")
        }
    }

    @Test("the actions in full: snapshot, times and reasons")
    func fullActions() {
        var machine = Self.machine(forSeconds: 600)
        let pending = Machine.State.pending(since: Self.t0, level: "II", severity: .warning)
        #expect(machine.process(Self.level("II", 0, value: 2.85)) == [
            .open(.init(openedAt: Self.t0, state: pending, level: "II", severity: .warning, value: 2.85)),
            .transition(from: .inactive, to: pending, reason: "active: level II (warning), value 2.85; fires if it lasts 600 s"),
        ])
        #expect(machine.nextDeadline == Self.at(600))
        #expect(machine.process(Self.ack(100)) == [.rejected(reason: "the alert is pending, not firing: nobody has been paged yet")])
        #expect(machine.state == pending)

        let firing = Machine.State.firing(since: Self.at(610), level: "II", severity: .warning, acknowledged: false, acknowledgedBy: nil)
        #expect(machine.process(Self.tick(610)) == [
            .transition(from: pending, to: firing, reason: "still active after 600 s"),
            .notify(kind: .fired, severity: .warning, level: "II"),
        ])
        #expect(machine.nextDeadline == nil)

        let escalated = Machine.State.firing(since: Self.at(610), level: "III", severity: .critical, acknowledged: false, acknowledgedBy: nil)
        #expect(machine.process(Self.level("III", 700, value: 3.75)) == [
            .transition(from: firing, to: escalated, reason: "escalated: level III (critical), value 3.75"),
            .notify(kind: .escalatedSeverity, severity: .critical, level: "III"),
        ])

        let acknowledged = Machine.State.firing(since: Self.at(610), level: "III", severity: .critical, acknowledged: true, acknowledgedBy: "lan")
        #expect(machine.process(Self.ack(720)) == [.transition(from: escalated, to: acknowledged, reason: "acknowledged by lan")])
        #expect(machine.process(Self.ack(730, by: "minh")) == [.rejected(reason: "already acknowledged by lan")])

        #expect(machine.process(Self.normal(800)) == [
            .transition(from: acknowledged, to: .inactive, reason: "resolved: condition normal"),
            .notify(kind: .resolved, severity: .critical, level: "III"),
            .close(reason: "condition normal"),
        ])
        #expect(machine.state == .inactive)
    }

    @Test("a manual resolve records who resolved it")
    func manualResolveReason() {
        var machine = Self.machine(forSeconds: 0)
        _ = machine.process(Self.level("II", 0))
        let firing = machine.state
        #expect(machine.process(Self.resolve(60)) == [
            .transition(from: firing, to: .inactive, reason: "resolved by minh"),
            .notify(kind: .resolved, severity: .warning, level: "II"),
            .close(reason: "resolved by minh"),
        ])
        #expect(machine.awaitingNormal)
    }

    @Test("a machine restored after a restart carries on", arguments: [
        (Machine.State.firing(since: t0, level: "II", severity: .warning, acknowledged: true, acknowledgedBy: "lan"), false,
         normal(60), "firing II ack:lan → inactive; notify resolved warning II; close"),
        (.pending(since: t0, level: "I", severity: .info), false, tick(600), "pending I → firing I; notify fired info I"),
        (.inactive, true, level("II", 60), ""),
        (.inactive, true, normal(60), "rearmed"),
        (.inactive, false, normal(60), ""),
    ] as [(Machine.State, Bool, Event, String)])
    func restored(state: Machine.State, awaitingNormal: Bool, event: Event, expected: String) {
        var machine = Machine(forSeconds: 600, severity: .warning, levels: ["I", "II", "III"], state: state, awaitingNormal: awaitingNormal)
        #expect(machine.process(event).map(Self.shown).joined(separator: "; ") == expected)
    }

    @Test("an evaluation becomes an event; a late one becomes none")
    func eventFromEvaluation() {
        #expect(Event(.late, at: Self.t0) == nil)
        #expect(Event(.normal, at: Self.t0) == .condition(.normal(at: Self.t0)))
        #expect(Event(.active(level: "II", severity: .warning, value: 2.8), at: Self.t0)
            == .condition(.active(level: "II", severity: .warning, value: 2.8, at: Self.t0)))
    }

    // MARK: Flapping, evaluator and machine together

    static func phuLam(hysteresis: Double) -> AlertRule {
        AlertRule(name: "Phú Lâm", forSeconds: 0, scope: .station(code: "PY-SBA-PHULAM", metric: "water_level"),
                  condition: .levels(.init(levels: [
                      .init(name: "I", severity: .info, threshold: .value(1.7)),
                      .init(name: "II", severity: .warning, threshold: .value(2.7)),
                      .init(name: "III", severity: .critical, threshold: .value(3.7)),
                  ], hysteresis: hysteresis)))
    }

    @Test("flapping: without hysteresis every crossing is a page, with it one alert absorbs them", arguments: [
        (0.0, [1.75, 1.65, 1.75, 1.65, 1.75], "open 3, fired 3, escalated 0, resolved 2"),
        (0.1, [1.75, 1.65, 1.75, 1.65, 1.75], "open 1, fired 1, escalated 0, resolved 0"),
        (0.0, [2.75, 2.65, 2.75, 2.65, 2.75], "open 1, fired 1, escalated 2, resolved 0"),
        (0.1, [2.75, 2.65, 2.75, 2.65, 2.75], "open 1, fired 1, escalated 0, resolved 0"),
        (0.1, [1.75, 1.65, 1.55, 1.75], "open 2, fired 2, escalated 0, resolved 1"),
    ] as [(Double, [Double], String)])
    func flapping(hysteresis: Double, values: [Double], expected: String) {
        let rule = Self.phuLam(hysteresis: hysteresis)
        var evaluator = RuleEvaluator(condition: rule.condition, since: Self.t0)
        var machine = AlertStateMachine(rule: rule)
        var actions: [Machine.Action] = []
        for (index, value) in values.enumerated() {
            let time = Self.at(Double(index) * 600)
            if let event = Event(evaluator.evaluate(Reading(sensorID: 30, time: time, value: value)), at: time) {
                actions += machine.process(event)
            }
        }
        func count(_ wanted: Machine.NotificationKind) -> Int {
            actions.count { if case .notify(wanted, _, _) = $0 { true } else { false } }
        }
        let opened = actions.count { if case .open = $0 { true } else { false } }
        #expect("open \(opened), fired \(count(.fired)), escalated \(count(.escalatedSeverity)), resolved \(count(.resolved))" == expected)
    }
}
