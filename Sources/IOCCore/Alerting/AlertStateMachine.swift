/// The alerts of one rule on one sensor, as a value: `process` takes what happened and returns
/// what the caller must persist or send, in order. It reads no clock; every time comes with its
/// event.
///
/// An alert opens when the condition becomes active: pending while `forSeconds` runs, then firing
/// (paged). It ends when the condition is normal again or somebody resolves it; the next
/// activation opens a new alert. Decisions:
/// - A condition that clears while pending closes the alert without any notification.
/// - A rise in severity or level while firing pages again (`escalatedSeverity`): level II → III
///   reaches everyone again. An acknowledgement lasts until the alert clears (as the issue asks),
///   so an acknowledged alert that escalates stays acknowledged and escalation policies do not
///   restart; the page tells the on-call person the level rose. A fall only records a transition.
/// - Acknowledging needs a firing alert that is not yet acknowledged; otherwise the event is
///   `.rejected` and nothing changes.
/// - A manual resolve closes a pending or firing alert (a firing one notifies `resolved`, so that
///   everyone paged learns it is handled). If the condition is still active no new alert opens
///   until it has been normal once, so a resolve does not re-fire at the next reading.
public struct AlertStateMachine: Sendable {
    public enum State: Sendable, Hashable {
        /// No open alert.
        case inactive
        /// The condition holds, `forSeconds` has not passed yet; nobody is paged.
        case pending(since: Timestamp, level: String?, severity: AlertRule.Severity)
        /// The alert is paged; `since` is when it started firing.
        case firing(since: Timestamp, level: String?, severity: AlertRule.Severity, acknowledged: Bool, acknowledgedBy: String?)

        /// inactive, pending or firing, as stored in `alerts.state`.
        public var name: String {
            switch self {
            case .inactive: "inactive"
            case .pending: "pending"
            case .firing: "firing"
            }
        }
    }

    /// What the rule's evaluation said, and when (the reading's time, or the check's).
    public enum Observation: Sendable, Hashable {
        case active(level: String?, severity: AlertRule.Severity?, value: Double, at: Timestamp)
        case normal(at: Timestamp)
    }

    public enum Event: Sendable, Hashable {
        case condition(Observation)
        /// Time passes without a reading; ends `forSeconds` for a pending alert.
        case tick(now: Timestamp)
        case acknowledge(by: String, at: Timestamp)
        /// Somebody resolves the alert by hand.
        case resolve(by: String, at: Timestamp)
    }

    /// A new alert, as the caller inserts it; the actions that follow belong to it.
    public struct AlertSnapshot: Sendable, Hashable {
        public var openedAt: Timestamp
        /// pending or firing.
        public var state: State
        public var level: String?
        public var severity: AlertRule.Severity
        /// The value that opened it.
        public var value: Double

        public init(openedAt: Timestamp, state: State, level: String?, severity: AlertRule.Severity, value: Double) {
            self.openedAt = openedAt
            self.state = state
            self.level = level
            self.severity = severity
            self.value = value
        }
    }

    public enum NotificationKind: String, Sendable, Hashable, CaseIterable {
        case fired
        case escalatedSeverity = "escalated_severity"
        case resolved
    }

    /// Something the caller must do, in the order given.
    public enum Action: Sendable, Hashable {
        /// Insert a new alert.
        case open(AlertSnapshot)
        /// The open alert changed state: one `alert_events` row.
        case transition(from: State, to: State, reason: String)
        /// Queue a notification in the outbox.
        case notify(kind: NotificationKind, severity: AlertRule.Severity, level: String?)
        /// The open alert ended.
        case close(reason: String)
        /// The event did not apply (acknowledging before the alert fires, say); nothing changed.
        case rejected(reason: String)
        /// The condition is normal again after a manual resolve: the next activation opens a new
        /// alert. The caller forgets the hold it stored at the resolve.
        case rearmed
    }

    public let forSeconds: Double
    /// The severity of an observation that names none (every condition but `levels`).
    public let severity: AlertRule.Severity
    /// The order of the rule's level names, from the least severe.
    private let levelRanks: [String: Int]
    public private(set) var state: State
    /// After a manual resolve: no alert opens until the condition has been normal once.
    public private(set) var awaitingNormal: Bool

    /// - Parameters:
    ///   - levels: the rule's level names from the least to the most severe; a move between two
    ///     levels of the same severity counts as an escalation when it goes up this list.
    ///   - state, awaitingNormal: what to resume from after a restart (the open alert's state).
    public init(
        forSeconds: Double, severity: AlertRule.Severity, levels: [String] = [],
        state: State = .inactive, awaitingNormal: Bool = false
    ) {
        self.forSeconds = forSeconds
        self.severity = severity
        self.levelRanks = Dictionary(levels.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.state = state
        self.awaitingNormal = awaitingNormal
    }

    /// The machine for `rule`: its `forSeconds`, severity and level names.
    public init(rule: AlertRule, state: State = .inactive, awaitingNormal: Bool = false) {
        var levels: [String] = []
        if case .levels(let condition) = rule.condition { levels = condition.levels.map(\.name) }
        self.init(forSeconds: rule.forSeconds, severity: rule.severity, levels: levels, state: state, awaitingNormal: awaitingNormal)
    }

    /// Whether a normal observation would change nothing: no open alert and no resolve to wait
    /// out. The pipeline skips `process` for those (most readings).
    public var isQuiet: Bool {
        if case .inactive = state { return !awaitingNormal }
        return false
    }

    /// When a pending alert fires if the condition still holds: the time for the next `.tick`.
    public var nextDeadline: Timestamp? {
        guard case .pending(let since, _, _) = state else { return nil }
        return since.adding(seconds: forSeconds)
    }

    public mutating func process(_ event: Event) -> [Action] {
        switch event {
        case .condition(.active(let level, let severity, let value, let time)):
            active(level: level, severity: severity ?? self.severity, value: value, at: time)
        case .condition(.normal):
            normal()
        case .tick(let now):
            tick(now)
        case .acknowledge(let person, _):
            acknowledge(by: person)
        case .resolve(let person, _):
            resolve(by: person)
        }
    }

    private mutating func active(level: String?, severity: AlertRule.Severity, value: Double, at time: Timestamp) -> [Action] {
        // Described only when a transition records it: most readings change nothing.
        var what: String { Self.describe(level, severity, value) }
        switch state {
        case .inactive:
            if awaitingNormal { return [] }
            if forSeconds > 0 {
                let next = State.pending(since: time, level: level, severity: severity)
                return [
                    .open(AlertSnapshot(openedAt: time, state: next, level: level, severity: severity, value: value)),
                    move(to: next, "active: \(what); fires if it lasts \(forSeconds.shown) s"),
                ]
            }
            let next = State.firing(since: time, level: level, severity: severity, acknowledged: false, acknowledgedBy: nil)
            return [
                .open(AlertSnapshot(openedAt: time, state: next, level: level, severity: severity, value: value)),
                move(to: next, "active: \(what)"),
                .notify(kind: .fired, severity: severity, level: level),
            ]
        case .pending(let since, let oldLevel, let oldSeverity):
            if time >= since.adding(seconds: forSeconds) {
                return fire(at: time, level: level, severity: severity, "active for \(forSeconds.shown) s: \(what)")
            }
            guard level != oldLevel || severity != oldSeverity else { return [] }
            return [move(to: .pending(since: since, level: level, severity: severity), "still pending: \(what)")]
        case .firing(let since, let oldLevel, let oldSeverity, let acknowledged, let acknowledgedBy):
            let old = rank(oldLevel, oldSeverity)
            let new = rank(level, severity)
            if new > old {
                let next = State.firing(since: since, level: level, severity: severity, acknowledged: acknowledged, acknowledgedBy: acknowledgedBy)
                return [
                    move(to: next, "escalated: \(what)"),
                    .notify(kind: .escalatedSeverity, severity: severity, level: level),
                ]
            }
            guard level != oldLevel || severity != oldSeverity else { return [] }
            let next = State.firing(since: since, level: level, severity: severity, acknowledged: acknowledged, acknowledgedBy: acknowledgedBy)
            return [move(to: next, new < old ? "de-escalated: \(what)" : "now \(what)")]
        }
    }

    private mutating func normal() -> [Action] {
        let wasHeld = awaitingNormal
        awaitingNormal = false
        switch state {
        case .inactive:
            return wasHeld ? [.rearmed] : []
        case .pending:
            return [move(to: .inactive, "cleared while pending"), .close(reason: "cleared while pending")]
        case .firing(_, let level, let severity, _, _):
            return [
                move(to: .inactive, "resolved: condition normal"),
                .notify(kind: .resolved, severity: severity, level: level),
                .close(reason: "condition normal"),
            ]
        }
    }

    private mutating func tick(_ now: Timestamp) -> [Action] {
        guard case .pending(let since, let level, let severity) = state,
              now >= since.adding(seconds: forSeconds) else { return [] }
        return fire(at: now, level: level, severity: severity, "still active after \(forSeconds.shown) s")
    }

    private mutating func acknowledge(by person: String) -> [Action] {
        switch state {
        case .inactive:
            return [.rejected(reason: "no open alert to acknowledge")]
        case .pending:
            return [.rejected(reason: "the alert is pending, not firing: nobody has been paged yet")]
        case .firing(_, _, _, true, let by):
            return [.rejected(reason: "already acknowledged by \(by ?? "someone")")]
        case .firing(let since, let level, let severity, false, _):
            let next = State.firing(since: since, level: level, severity: severity, acknowledged: true, acknowledgedBy: person)
            return [move(to: next, "acknowledged by \(person)")]
        }
    }

    private mutating func resolve(by person: String) -> [Action] {
        let reason = "resolved by \(person)"
        switch state {
        case .inactive:
            return [.rejected(reason: "no open alert to resolve")]
        case .pending:
            awaitingNormal = true
            return [move(to: .inactive, reason), .close(reason: reason)]
        case .firing(_, let level, let severity, _, _):
            awaitingNormal = true
            return [move(to: .inactive, reason), .notify(kind: .resolved, severity: severity, level: level), .close(reason: reason)]
        }
    }

    private mutating func fire(at time: Timestamp, level: String?, severity: AlertRule.Severity, _ reason: String) -> [Action] {
        let next = State.firing(since: time, level: level, severity: severity, acknowledged: false, acknowledgedBy: nil)
        return [move(to: next, reason), .notify(kind: .fired, severity: severity, level: level)]
    }

    /// Sets the state and returns the transition that records it.
    private mutating func move(to next: State, _ reason: String) -> Action {
        let previous = state
        state = next
        return .transition(from: previous, to: next, reason: reason)
    }

    /// Severity first, then the level's place in the rule; an unknown level ranks lowest.
    private func rank(_ level: String?, _ severity: AlertRule.Severity) -> (Int, Int) {
        (severity.rank, level.flatMap { levelRanks[$0] } ?? -1)
    }

    private static func describe(_ level: String?, _ severity: AlertRule.Severity, _ value: Double) -> String {
        if let level { return "level \(level) (\(severity.rawValue)), value \(value.shown)" }
        return "\(severity.rawValue), value \(value.shown)"
    }
}

extension AlertStateMachine.Event {
    /// The event for what `RuleEvaluator` said at `time`; nil for `.late`, which must change nothing.
    public init?(_ evaluation: RuleEvaluator.Evaluation, at time: Timestamp) {
        switch evaluation {
        case .late: return nil
        case .normal: self = .condition(.normal(at: time))
        case .active(let level, let severity, let value):
            self = .condition(.active(level: level, severity: severity, value: value, at: time))
        }
    }
}
