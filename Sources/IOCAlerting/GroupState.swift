import IOCCore

/// The no-data rules that watch a whole station or gateway: one alert per (rule, group). A
/// group's sensors may sit on any shard, so this state is fed, on each timer tick, the newest
/// reading of every member (asked of the shards) and the gateways' own statuses. A value with no
/// I/O, like `ShardState`.
public struct GroupState: Sendable {
    struct Key: Hashable {
        var ruleID: Int64
        var subject: AlertSubject
    }

    struct Slot: Sendable {
        var afterSeconds: Double
        var sensorIDs: [Int32]
        var gateway: String?
        /// Silence counts from here before any reading.
        var since: Timestamp
        var machine: AlertStateMachine
    }

    public private(set) var rules: [Int64: AlertRule] = [:]
    private var slots: [Key: Slot] = [:]

    public init() {}

    public var isEmpty: Bool { slots.isEmpty }

    /// Every sensor some group watches.
    public var sensorIDs: Set<Int32> { Set(slots.values.flatMap(\.sensorIDs)) }

    /// Every gateway whose own status some group watches.
    public var gatewayCodes: Set<String> { Set(slots.values.compactMap(\.gateway)) }

    /// Adds `rule` (a no-data rule per station or gateway) on `binding`'s group. `state` and
    /// `awaitingNormal` resume what was stored.
    public mutating func bind(
        rule: AlertRule, binding: GroupBinding, since: Timestamp,
        state: AlertStateMachine.State = .inactive, awaitingNormal: Bool = false
    ) {
        guard let id = rule.id, case .noData(let noData) = rule.condition else { return }
        rules[id] = rule
        var gateway: String?
        if case .gateway(let code) = binding.subject { gateway = code }
        slots[Key(ruleID: id, subject: AlertSubject(binding.subject))] = Slot(
            afterSeconds: noData.afterSeconds, sensorIDs: binding.sensorIDs, gateway: gateway, since: since,
            machine: AlertStateMachine(rule: rule, state: state, awaitingNormal: awaitingNormal))
    }

    /// Keeps the machine (and the start of silence) of every group whose rule is unchanged; its
    /// members may have changed with the registry.
    public mutating func carryOver(from old: GroupState) {
        for (key, previous) in old.slots {
            guard slots[key] != nil, old.rules[key.ruleID] == rules[key.ruleID] else { continue }
            slots[key]!.machine = previous.machine
            slots[key]!.since = previous.since
        }
    }

    /// The open alerts of groups this state no longer has.
    public func orphans(of old: GroupState) -> [(ruleID: Int64, subject: AlertSubject)] {
        old.slots.compactMap { key, slot in
            guard slot.machine.state != .inactive else { return nil }
            let kept = slots[key] != nil && rules[key.ruleID] == old.rules[key.ruleID]
            return kept ? nil : (key.ruleID, key.subject)
        }
    }

    /// Time passes: each group is silent or not by `GroupSilence`, from `newest` (the newest
    /// reading of each member that has had one) and `offlineSince` (gateways whose status is
    /// offline, since when).
    public mutating func tick(now: Timestamp, newest: [Int32: Timestamp], offlineSince: [String: Timestamp], into changes: inout [AlertChange]) {
        for key in slots.keys.sorted(by: { ($0.ruleID, $0.subject.key) < ($1.ruleID, $1.subject.key) }) {
            let slot = slots[key]!
            let last = slot.sensorIDs.compactMap { newest[$0] }.max()
            let observation = GroupSilence.observe(
                afterSeconds: slot.afterSeconds, now: now, since: slot.since, newestReading: last,
                hasSensors: !slot.sensorIDs.isEmpty, offlineSince: slot.gateway.flatMap { offlineSince[$0] })
            var value = 0.0
            if case .active(_, _, let seconds, _) = observation {
                value = seconds
            } else if slot.machine.isQuiet {
                continue
            }
            var actions = slots[key]!.machine.process(.condition(observation))
            if slots[key]!.machine.nextDeadline.map({ $0 <= now }) ?? false {
                actions += slots[key]!.machine.process(.tick(now: now))
            }
            if !actions.isEmpty {
                changes.append(AlertChange(ruleID: key.ruleID, subject: key.subject, actions: actions, value: value, at: now))
            }
        }
    }

    /// An operator acknowledges or resolves the open alert of (rule, group).
    public mutating func apply(_ event: AlertStateMachine.Event, ruleID: Int64, subject: AlertSubject, actor: String, at time: Timestamp) -> AlertChange? {
        let key = Key(ruleID: ruleID, subject: subject)
        guard slots[key] != nil else { return nil }
        let actions = slots[key]!.machine.process(event)
        return AlertChange(ruleID: ruleID, subject: subject, actions: actions, value: .nan, at: time, actor: actor)
    }

    /// The state of the machine of (rule, group), for tests.
    public func state(ruleID: Int64, subject: AlertSubject) -> AlertStateMachine.State? {
        slots[Key(ruleID: ruleID, subject: subject)]?.machine.state
    }
}
