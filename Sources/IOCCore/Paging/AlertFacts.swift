/// What a message says about one alert: the facts the outbox stores with it.
public struct AlertFacts: Sendable, Hashable, Codable {
    public var alertID: Int64
    public var ruleName: String
    public var severity: AlertRule.Severity
    /// The level reached, such as III; nil for conditions without levels.
    public var level: String?
    public var stationCode: String
    public var stationName: String
    public var metric: String
    public var value: Double
    /// The unit of `value` as people write it: m, mm, µg/m³; empty for none.
    public var unit: String
    public var time: Timestamp
    /// The IANA time zone local times are written in; an unknown one means Vietnam time.
    public var timeZone: String
    /// Where the alert is shown, so the message can link to it.
    public var link: String
    public var acknowledgedBy: String?
    /// The rule's condition kind (levels, rate_of_change, window, no_data): a no-data message
    /// says how long it has been silent instead of showing a value.
    public var condition: String
    /// What the alert is about: a sensor, a whole station, or a gateway (then `stationCode` and
    /// `stationName` are the gateway's).
    public var subject: Subject

    public enum Subject: String, Sendable, Hashable, Codable, CaseIterable {
        case sensor, station, gateway
    }

    enum CodingKeys: String, CodingKey {
        case severity, level, metric, value, unit, time, link, condition, subject
        case alertID = "alert_id"
        case ruleName = "rule_name"
        case stationCode = "station_code"
        case stationName = "station_name"
        case timeZone = "time_zone"
        case acknowledgedBy = "acknowledged_by"
    }

    public init(
        alertID: Int64, ruleName: String, severity: AlertRule.Severity, level: String? = nil,
        stationCode: String, stationName: String, metric: String, value: Double, unit: String,
        time: Timestamp, timeZone: String = Rota.vietnam, link: String, acknowledgedBy: String? = nil,
        condition: String = "", subject: Subject = .sensor
    ) {
        self.condition = condition
        self.subject = subject
        self.alertID = alertID
        self.ruleName = ruleName
        self.severity = severity
        self.level = level
        self.stationCode = stationCode
        self.stationName = stationName
        self.metric = metric
        self.value = value
        self.unit = unit
        self.time = time
        self.timeZone = timeZone
        self.link = link
        self.acknowledgedBy = acknowledgedBy
    }

    /// `time` is RFC 3339; `time_zone` may be left out (Asia/Ho_Chi_Minh).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        alertID = try container.decode(Int64.self, forKey: .alertID)
        ruleName = try container.decode(String.self, forKey: .ruleName)
        severity = try container.decode(AlertRule.Severity.self, forKey: .severity)
        level = try container.decodeIfPresent(String.self, forKey: .level)
        stationCode = try container.decode(String.self, forKey: .stationCode)
        stationName = try container.decode(String.self, forKey: .stationName)
        metric = try container.decode(String.self, forKey: .metric)
        value = try container.decode(Double.self, forKey: .value)
        unit = try container.decode(String.self, forKey: .unit)
        time = try container.decodeTimestamp(forKey: .time)
        timeZone = try container.decodeIfPresent(String.self, forKey: .timeZone) ?? Rota.vietnam
        link = try container.decode(String.self, forKey: .link)
        acknowledgedBy = try container.decodeIfPresent(String.self, forKey: .acknowledgedBy)
        condition = try container.decodeIfPresent(String.self, forKey: .condition) ?? ""
        subject = try container.decodeIfPresent(Subject.self, forKey: .subject) ?? .sensor
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(alertID, forKey: .alertID)
        try container.encode(ruleName, forKey: .ruleName)
        try container.encode(severity, forKey: .severity)
        try container.encodeIfPresent(level, forKey: .level)
        try container.encode(stationCode, forKey: .stationCode)
        try container.encode(stationName, forKey: .stationName)
        try container.encode(metric, forKey: .metric)
        try container.encode(value, forKey: .value)
        try container.encode(unit, forKey: .unit)
        try container.encode(time.rfc3339, forKey: .time)
        try container.encode(timeZone, forKey: .timeZone)
        try container.encode(link, forKey: .link)
        try container.encodeIfPresent(acknowledgedBy, forKey: .acknowledgedBy)
        try container.encode(condition, forKey: .condition)
        try container.encode(subject, forKey: .subject)
    }
}
