/// Who is paged about which alerts, and when: the steps run in order from the moment an alert
/// fires until somebody acknowledges it; then the whole sequence runs `repeatCount` more times,
/// each `repeatAfterMinutes` after the previous run's last step.
///
/// The JSON form uses snake_case names (`repeat` for `repeatCount`); a target is
/// `{"contact": name}` or `{"rota": name}`. `EscalationPolicyTests` pins the exact shape.
public struct EscalationPolicy: Sendable, Hashable, Codable {
    /// The database id; nil until the policy is stored.
    public var id: Int64?
    public var name: String
    public var enabled: Bool
    public var match: Match
    public var steps: [Step]
    /// How many more times the steps run after the last one while nobody acknowledges.
    public var repeatCount: Int
    /// The gap between the last step and the next run's first; nil means the last step's
    /// `afterMinutes`.
    public var repeatAfterMinutes: Int?

    enum CodingKeys: String, CodingKey {
        case id, name, enabled, match, steps
        case repeatCount = "repeat"
        case repeatAfterMinutes = "repeat_after_minutes"
    }

    public init(
        id: Int64? = nil, name: String, enabled: Bool = true, match: Match = Match(), steps: [Step],
        repeatCount: Int = 0, repeatAfterMinutes: Int? = nil
    ) {
        self.id = id
        self.name = name
        self.enabled = enabled
        self.match = match
        self.steps = steps
        self.repeatCount = repeatCount
        self.repeatAfterMinutes = repeatAfterMinutes
    }

    /// Which alerts a policy is for; an empty list matches everything.
    public struct Match: Sendable, Hashable, Codable {
        /// Administrative unit codes: the alert's station must be in one of them or below.
        public var units: [String]
        /// Station domains, such as hydrology or air.
        public var domains: [String]
        public var minSeverity: AlertRule.Severity

        enum CodingKeys: String, CodingKey {
            case units, domains
            case minSeverity = "min_severity"
        }

        public init(units: [String] = [], domains: [String] = [], minSeverity: AlertRule.Severity = .info) {
            self.units = units
            self.domains = domains
            self.minSeverity = minSeverity
        }
    }

    /// Page `targets` `afterMinutes` after the alert fires (or after its run starts, for a repeat).
    public struct Step: Sendable, Hashable, Codable {
        public var afterMinutes: Int
        public var targets: [Target]

        enum CodingKeys: String, CodingKey {
            case targets
            case afterMinutes = "after_minutes"
        }

        public init(afterMinutes: Int, targets: [Target]) {
            self.afterMinutes = afterMinutes
            self.targets = targets
        }
    }

    /// A contact, or whoever a rota has on call when the step pages, reached on `channels` (all
    /// of the contact's channels when nil).
    public struct Target: Sendable, Hashable {
        public var recipient: Recipient
        public var channels: [ContactChannel.Kind]?

        public init(_ recipient: Recipient, channels: [ContactChannel.Kind]? = nil) {
            self.recipient = recipient
            self.channels = channels
        }

        public static func contact(_ name: String, channels: [ContactChannel.Kind]? = nil) -> Target {
            Target(.contact(name), channels: channels)
        }

        public static func rota(_ name: String, channels: [ContactChannel.Kind]? = nil) -> Target {
            Target(.rota(name), channels: channels)
        }
    }

    public enum Recipient: Sendable, Hashable {
        case contact(String)
        case rota(String)
    }

    /// Whether alerts at a station under `unitPath` (its unit first, then each parent), of
    /// `domain`, at `severity` go to this policy. It does not look at `enabled`.
    public func matches(unitPath: [String], domain: String, severity: AlertRule.Severity) -> Bool {
        severity >= match.minSeverity
            && (match.units.isEmpty || unitPath.contains(where: match.units.contains))
            && (match.domains.isEmpty || match.domains.contains(domain))
    }

    /// The enabled policies that match, in the given order.
    public static func route(
        policies: [EscalationPolicy], unitPath: [String], domain: String, severity: AlertRule.Severity
    ) -> [EscalationPolicy] {
        policies.filter { $0.enabled && $0.matches(unitPath: unitPath, domain: domain, severity: severity) }
    }

    /// The gap between the last step and the first of the next run, in minutes.
    public var effectiveRepeatAfterMinutes: Int { repeatAfterMinutes ?? steps.last?.afterMinutes ?? 0 }

    /// Page `n` (0-based) of the whole schedule, repeats included: which step it is and how long
    /// after the alert fired it is due. Nil once the schedule is exhausted.
    public func page(_ n: Int) -> (step: Int, offsetSeconds: Double)? {
        guard n >= 0, let last = steps.last else { return nil }
        let (run, step) = n.quotientAndRemainder(dividingBy: steps.count)
        guard run <= repeatCount else { return nil }
        let runLength = (Double(last.afterMinutes) + Double(effectiveRepeatAfterMinutes)) * 60
        return (step, Double(run) * runLength + Double(steps[step].afterMinutes) * 60)
    }

    /// Every page due from `firedAt` through `now` inclusive, in order. Steps must not go back in
    /// time (as `validate` requires): the list ends at the first page after `now`.
    public func pages(firedAt: Timestamp, through now: Timestamp) -> [(index: Int, step: Int, at: Timestamp)] {
        var due: [(index: Int, step: Int, at: Timestamp)] = []
        var index = 0
        while let page = page(index) {
            let at = firedAt.adding(seconds: page.offsetSeconds)
            guard at <= now else { break }
            due.append((index, page.step, at))
            index += 1
        }
        return due
    }
}
