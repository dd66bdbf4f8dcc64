import IOCCore

/// What an alert is about: one sensor, a whole station or a gateway (the no-data rules `per`
/// station or gateway). Stored as `alerts.subject` and `alerts.subject_key`.
public enum AlertSubject: Sendable, Hashable, CustomStringConvertible {
    case sensor(Int32)
    case station(String)
    case gateway(String)

    public init(_ group: GroupBinding.Subject) {
        switch group {
        case .station(let code): self = .station(code)
        case .gateway(let code): self = .gateway(code)
        }
    }

    /// From the stored `subject` and `subject_key`; nil for a form this version does not know.
    public init?(kind: String, key: String) {
        switch kind {
        case "sensor": guard let id = Int32(key) else { return nil }; self = .sensor(id)
        case "station": self = .station(key)
        case "gateway": self = .gateway(key)
        default: return nil
        }
    }

    public var kind: String {
        switch self {
        case .sensor: "sensor"
        case .station: "station"
        case .gateway: "gateway"
        }
    }

    public var key: String {
        switch self {
        case .sensor(let id): String(id)
        case .station(let code), .gateway(let code): code
        }
    }

    public var sensorID: Int32? {
        if case .sensor(let id) = self { return id }
        return nil
    }

    public var description: String { "\(kind) \(key)" }
}

/// What the state machine of one rule on one subject decided, for the alert store to persist (and
/// page) in order.
public struct AlertChange: Sendable, Hashable {
    public var ruleID: Int64
    public var subject: AlertSubject
    public var actions: [AlertStateMachine.Action]
    /// The value compared by the rule (the reading, the change, the aggregate, the seconds of
    /// silence) and when.
    public var value: Double
    public var at: Timestamp
    /// Who did it, for operators' actions; nil for the rule itself.
    public var actor: String?

    public init(ruleID: Int64, subject: AlertSubject, actions: [AlertStateMachine.Action], value: Double, at: Timestamp, actor: String? = nil) {
        self.ruleID = ruleID
        self.subject = subject
        self.actions = actions
        self.value = value
        self.at = at
        self.actor = actor
    }

    public init(ruleID: Int64, sensorID: Int32, actions: [AlertStateMachine.Action], value: Double, at: Timestamp, actor: String? = nil) {
        self.init(ruleID: ruleID, subject: .sensor(sensorID), actions: actions, value: value, at: at, actor: actor)
    }

    /// The sensor, for a change about one.
    public var sensorID: Int32? { subject.sensorID }
}

/// The evaluation state of one shard: for each of its sensors, every rule bound to it with that
/// pair's evaluator and state machine. No I/O and no clock: the shard actor feeds it committed
/// readings and timer ticks and persists the changes it returns. A value, so that it is tested
/// and benchmarked on its own.
public struct ShardState: Sendable {
    struct Slot: Sendable {
        var ruleID: Int64
        var evaluator: RuleEvaluator
        var machine: AlertStateMachine
    }

    /// One sensor: the newest reading evaluated (anything not newer is late) and its rules.
    struct Series: Sendable {
        var newest: Timestamp?
        var slots: [Slot] = []
    }

    /// The rules this state was built from, by id.
    public private(set) var rules: [Int64: AlertRule] = [:]
    /// One lookup per reading finds everything about its sensor.
    private var series: [Int32: Series] = [:]
    public private(set) var evaluated = 0
    public private(set) var late = 0

    public init() {}

    /// Adds the rule `rule` on `sensorID`. `state` resumes an open alert.
    public mutating func bind(
        rule: AlertRule, sensorID: Int32, thresholds: [Double?], since: Timestamp,
        state: AlertStateMachine.State = .inactive, awaitingNormal: Bool = false
    ) {
        guard let id = rule.id else { return }
        rules[id] = rule
        let slot = Slot(
            ruleID: id,
            evaluator: RuleEvaluator(condition: rule.condition, thresholds: thresholds, since: since),
            machine: AlertStateMachine(rule: rule, state: state, awaitingNormal: awaitingNormal)
        )
        series[sensorID, default: Series()].slots.append(slot)
    }

    /// Tracks the newest reading of `sensorID` without rules of its own (a member of a station or
    /// gateway watched by a no-data rule; see `newest(of:)`).
    public mutating func watch(sensorID: Int32) {
        if series[sensorID] == nil { series[sensorID] = Series() }
    }

    /// The newest reading evaluated of each of `sensorIDs` that has had one.
    public func newest(of sensorIDs: [Int32]) -> [Int32: Timestamp] {
        var result: [Int32: Timestamp] = [:]
        for id in sensorIDs {
            if let time = series[id]?.newest { result[id] = time }
        }
        return result
    }

    /// Takes over the evaluation state of pairs that exist in both and whose rule is unchanged, so
    /// that reloading the rules keeps windows, levels reached and open alerts.
    public mutating func carryOver(from old: ShardState) {
        for (sensor, oldSeries) in old.series {
            guard var mine = series[sensor] else { continue }
            for index in mine.slots.indices {
                guard let previous = oldSeries.slots.first(where: { $0.ruleID == mine.slots[index].ruleID }),
                      old.rules[previous.ruleID] == rules[mine.slots[index].ruleID] else { continue }
                mine.slots[index].evaluator = previous.evaluator
                mine.slots[index].machine = previous.machine
            }
            if let time = oldSeries.newest { mine.newest = max(mine.newest ?? time, time) }
            series[sensor] = mine
        }
        evaluated = old.evaluated
        late = old.late
    }

    /// The open alerts of pairs that this state no longer has (a rule disabled, deleted or
    /// rescoped, a sensor removed): the caller closes them.
    public func orphans(of old: ShardState) -> [(ruleID: Int64, subject: AlertSubject)] {
        var result: [(Int64, AlertSubject)] = []
        for (sensor, oldSeries) in old.series {
            for slot in oldSeries.slots where slot.machine.state != .inactive {
                let kept = series[sensor]?.slots.contains { $0.ruleID == slot.ruleID && rules[slot.ruleID] == old.rules[slot.ruleID] } ?? false
                if !kept { result.append((slot.ruleID, .sensor(sensor))) }
            }
        }
        return result
    }

    /// Rebuilds the evaluators of `sensorID`'s rules `ruleIDs` (nil: all) from its stored
    /// readings, oldest first: every reading but the newest is fed without producing alerts, the
    /// newest is evaluated, so that the condition as of the last stored reading applies (an alert
    /// that a reading committed just before a restart should have opened opens now; one already
    /// open, resumed from `alerts`, does not open twice).
    public mutating func seed(sensorID: Int32, ruleIDs: Set<Int64>? = nil, history: [Reading], into changes: inout [AlertChange]) {
        guard series[sensorID] != nil, let last = history.last else { return }
        let earlier = history.dropLast()
        series[sensorID]!.slots.withEach { slot in
            guard ruleIDs?.contains(slot.ruleID) ?? true else { return }
            let horizon = last.time.adding(seconds: -slot.evaluator.seedSeconds)
            slot.evaluator.seed(earlier.filter { $0.time >= horizon })
            let evaluation = slot.evaluator.evaluate(last)
            guard let event = AlertStateMachine.Event(evaluation, at: last.time) else { return }
            let actions = slot.machine.process(event)
            if !actions.isEmpty {
                let value = if case .active(_, _, let value) = evaluation { value } else { last.value }
                changes.append(AlertChange(ruleID: slot.ruleID, sensorID: sensorID, actions: actions, value: value, at: last.time))
            }
        }
        series[sensorID]!.newest = max(series[sensorID]!.newest ?? last.time, last.time)
    }

    /// Evaluates committed readings in order. A reading not newer than the newest one already
    /// evaluated for its sensor is counted as late and skipped.
    public mutating func evaluate(_ readings: some Collection<Reading>, into changes: inout [AlertChange]) {
        for reading in readings {
            guard let index = series.index(forKey: reading.sensorID) else { continue }
            if let previous = series.values[index].newest, reading.time <= previous {
                late += 1
                continue
            }
            guard reading.value.isFinite else { continue }
            series.values[index].newest = reading.time
            evaluated += 1
            series.values[index].slots.withEach { slot in
                Self.evaluate(reading, &slot, into: &changes)
            }
        }
    }

    private static func evaluate(_ reading: Reading, _ slot: inout Slot, into changes: inout [AlertChange]) {
        let evaluation = slot.evaluator.evaluate(reading)
        if case .normal = evaluation, slot.machine.isQuiet { return }
        guard let event = AlertStateMachine.Event(evaluation, at: reading.time) else { return }
        let actions = slot.machine.process(event)
        if !actions.isEmpty {
            let value = if case .active(_, _, let value) = evaluation { value } else { reading.value }
            changes.append(AlertChange(ruleID: slot.ruleID, sensorID: reading.sensorID, actions: actions, value: value, at: reading.time))
        }
    }

    /// Time passes: no-data conditions become active, pending alerts whose `for` has run fire.
    public mutating func tick(now: Timestamp, into changes: inout [AlertChange]) {
        for index in series.indices {
            let sensor = series.keys[index]
            series.values[index].slots.withEach { slot in
                if let evaluation = slot.evaluator.check(now: now), let event = AlertStateMachine.Event(evaluation, at: now) {
                    let actions = slot.machine.process(event)
                    if !actions.isEmpty {
                        let value = if case .active(_, _, let value) = evaluation { value } else { 0.0 }
                        changes.append(AlertChange(ruleID: slot.ruleID, sensorID: sensor, actions: actions, value: value, at: now))
                    }
                }
                if slot.machine.nextDeadline.map({ $0 <= now }) ?? false {
                    let actions = slot.machine.process(.tick(now: now))
                    if !actions.isEmpty {
                        changes.append(AlertChange(ruleID: slot.ruleID, sensorID: sensor, actions: actions, value: 0, at: now))
                    }
                }
            }
        }
    }

    /// An operator acknowledges or resolves the open alert of (rule, sensor).
    public mutating func apply(_ event: AlertStateMachine.Event, ruleID: Int64, sensorID: Int32, actor: String, at time: Timestamp) -> AlertChange? {
        guard let index = series[sensorID]?.slots.firstIndex(where: { $0.ruleID == ruleID }) else { return nil }
        let actions = series[sensorID]!.slots[index].machine.process(event)
        return AlertChange(ruleID: ruleID, sensorID: sensorID, actions: actions, value: .nan, at: time, actor: actor)
    }
}

extension Array {
    /// Mutates every element in place (no copy of the array).
    fileprivate mutating func withEach(_ body: (inout Element) -> Void) {
        for index in indices { body(&self[index]) }
    }
}
