import Foundation

/// A maintenance window: while it is active, the notifications of every alert that matches all
/// of its matchers are suppressed (and recorded as such); the alerts themselves still open, fire
/// and show. At least one matcher is required, so that a silence never mutes everything by
/// accident.
public struct Silence: Sendable, Hashable, Codable {
    public struct Matchers: Sendable, Hashable, Codable {
        /// A rule's name.
        public var rule: String?
        public var station: String?
        public var metric: String?
        /// An administrative unit code: every station in its subtree.
        public var unit: String?
        /// Every label given must be on the rule with the same value.
        public var labels: [String: String]?

        public init(rule: String? = nil, station: String? = nil, metric: String? = nil, unit: String? = nil, labels: [String: String]? = nil) {
            self.rule = rule
            self.station = station
            self.metric = metric
            self.unit = unit
            self.labels = labels
        }

        var isEmpty: Bool { rule == nil && station == nil && metric == nil && unit == nil && (labels ?? [:]).isEmpty }
    }

    /// What a silence is matched against.
    public struct Subject: Sendable, Hashable {
        public var rule: String
        public var station: String
        public var metric: String
        /// The station's unit, then its ancestors.
        public var unitPath: [String]
        public var labels: [String: String]

        public init(rule: String, station: String, metric: String, unitPath: [String], labels: [String: String]) {
            self.rule = rule
            self.station = station
            self.metric = metric
            self.unitPath = unitPath
            self.labels = labels
        }
    }

    public var id: Int64?
    public var matchers: Matchers
    public var startsAt: Timestamp
    public var endsAt: Timestamp
    public var createdBy: String
    public var comment: String

    public init(id: Int64? = nil, matchers: Matchers, startsAt: Timestamp, endsAt: Timestamp, createdBy: String, comment: String = "") {
        self.id = id
        self.matchers = matchers
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.createdBy = createdBy
        self.comment = comment
    }

    enum CodingKeys: String, CodingKey {
        case id, matchers, startsAt = "starts_at", endsAt = "ends_at", createdBy = "created_by", comment
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        matchers = try container.decode(Matchers.self, forKey: .matchers)
        startsAt = try container.decode(Timestamp.self, forKey: .startsAt)
        endsAt = try container.decode(Timestamp.self, forKey: .endsAt)
        createdBy = try container.decode(String.self, forKey: .createdBy)
        comment = try container.decodeIfPresent(String.self, forKey: .comment) ?? ""
    }

    public func isActive(at time: Timestamp) -> Bool { startsAt <= time && time < endsAt }

    public func matches(_ subject: Subject) -> Bool {
        let m = matchers
        guard !m.isEmpty else { return false }
        if let rule = m.rule, rule != subject.rule { return false }
        if let station = m.station, station != subject.station { return false }
        if let metric = m.metric, metric != subject.metric { return false }
        if let unit = m.unit, !subject.unitPath.contains(unit) { return false }
        for (key, value) in m.labels ?? [:] where subject.labels[key] != value { return false }
        return true
    }

    /// Whether it suppresses `subject`'s notifications at `time`.
    public func suppresses(_ subject: Subject, at time: Timestamp) -> Bool {
        isActive(at: time) && matches(subject)
    }

    /// What is wrong with it, field by field; empty when it can be stored.
    public var problems: [RuleValidationError] {
        var problems: [RuleValidationError] = []
        if matchers.isEmpty {
            problems.append(RuleValidationError(field: "matchers", message: "give at least one of rule, station, metric, unit, labels: a silence without matchers would mute every alert"))
        }
        for (field, value) in [("matchers.rule", matchers.rule), ("matchers.station", matchers.station), ("matchers.metric", matchers.metric), ("matchers.unit", matchers.unit)] {
            if let value, value.trimmingCharacters(in: .whitespaces).isEmpty {
                problems.append(RuleValidationError(field: field, message: "must not be empty; leave it out to match any"))
            }
        }
        if endsAt <= startsAt {
            problems.append(RuleValidationError(field: "ends_at", message: "must be after starts_at"))
        }
        if createdBy.trimmingCharacters(in: .whitespaces).isEmpty {
            problems.append(RuleValidationError(field: "created_by", message: "say who creates the silence"))
        }
        return problems
    }
}
