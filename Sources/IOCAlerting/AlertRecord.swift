import Foundation
import IOCCore

/// An alert as the API shows it (the `alerts` row).
public struct AlertRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var ruleID: Int64?
    public var ruleName: String
    /// sensor, station or gateway: what the alert is about.
    public var subject: String
    /// The sensor id, station code or gateway code.
    public var subjectKey: String
    /// The rule's condition kind: levels, rate_of_change, window or no_data.
    public var condition: String
    /// Nil for an alert about a whole station or a gateway.
    public var sensorID: Int32?
    /// Nil for an alert about a gateway.
    public var stationCode: String?
    public var stationName: String?
    public var metric: String?
    public var unit: String?
    /// Nil for a gateway whose stations are of several domains.
    public var domain: String?
    public var unitPath: [String]
    /// The gateway that reports the station, or the gateway the alert is about.
    public var gatewayCode: String?
    public var gatewayName: String?
    public var labels: [String: String]
    /// pending, firing, acknowledged or resolved.
    public var state: String
    public var severity: String
    public var level: String?
    public var value: Double
    public var openedAt: Date
    public var firedAt: Date?
    public var acknowledgedAt: Date?
    public var acknowledgedBy: String?
    public var resolvedAt: Date?
    public var resolvedBy: String?
    public var resolution: String?
    public var assignee: String?
    public var updatedAt: Date

    enum CodingKeys: String, CodingKey {
        case id, ruleID = "rule_id", ruleName = "rule_name", subject, subjectKey = "subject_key", condition
        case sensorID = "sensor_id", stationCode = "station_code", gatewayCode = "gateway_code", gatewayName = "gateway_name"
        case stationName = "station_name", metric, unit, domain, unitPath = "unit_path", labels, state, severity, level, value
        case openedAt = "opened_at", firedAt = "fired_at", acknowledgedAt = "acknowledged_at", acknowledgedBy = "acknowledged_by"
        case resolvedAt = "resolved_at", resolvedBy = "resolved_by", resolution, assignee, updatedAt = "updated_at"
    }
}

/// One row of an alert's history.
public struct AlertEventRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var alertID: Int64
    public var at: Date
    public var kind: String
    public var fromState: String?
    public var toState: String?
    public var severity: String?
    public var level: String?
    public var value: Double?
    public var actor: String?
    public var message: String

    enum CodingKeys: String, CodingKey {
        case id, alertID = "alert_id", at, kind, fromState = "from_state", toState = "to_state", severity, level, value, actor, message
    }
}

/// A notification as the delivery log shows it.
public struct NotificationRecord: Sendable, Hashable, Codable {
    public var id: Int64
    public var alertID: Int64?
    public var kind: String
    public var policy: String?
    public var step: Int?
    public var contact: String?
    public var channel: String
    public var address: String
    public var subject: String
    public var status: String
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?
    public var deliveries: [DeliveryAttemptRecord]

    enum CodingKeys: String, CodingKey {
        case id, alertID = "alert_id", kind, policy, step, contact, channel, address, subject, status, attempts
        case nextAttemptAt = "next_attempt_at", lastError = "last_error", createdAt = "created_at", sentAt = "sent_at", deliveries
    }
}

public struct DeliveryAttemptRecord: Sendable, Hashable, Codable {
    public var at: Date
    public var ok: Bool
    public var detail: String
    public var durationMS: Double

    enum CodingKeys: String, CodingKey { case at, ok, detail, durationMS = "duration_ms" }
}

/// Filters of the alert list; nil matches anything.
public struct AlertFilter: Sendable, Hashable {
    /// pending, firing, acknowledged, resolved, or `open` (any but resolved).
    public var states: [String] = []
    public var severities: [String] = []
    /// An administrative unit code: alerts of stations in its subtree.
    public var unit: String?
    /// The unit subtree the caller may see (its token's scope): nothing outside it is listed.
    public var scope: String?
    public var domain: String?
    public var station: String?
    /// Alerts about the gateway or about stations it reports.
    public var gateway: String?
    /// sensor, station or gateway.
    public var subject: String?
    public var ruleID: Int64?
    /// Opened at or after / before.
    public var from: Date?
    public var to: Date?
    public var limit = 100
    /// Keyset paging: alerts with an id below this.
    public var before: Int64?

    public init() {}
}

extension AlertStateMachine.State {
    /// The `alerts.state` of an open alert in this state.
    var storedName: String {
        switch self {
        case .inactive: "resolved"
        case .pending: "pending"
        case .firing(_, _, _, let acknowledged, _): acknowledged ? "acknowledged" : "firing"
        }
    }
}
