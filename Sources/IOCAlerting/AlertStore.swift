import Foundation
import IOCCore
import IOCStorage
import Logging
import PostgresNIO

/// Alerts and their events in PostgreSQL: the pipeline's changes written in one transaction each
/// batch (with the notifications they cause), and what operators read and do.
public struct AlertStore: Sendable {
    public let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    // MARK: - Writing the pipeline's changes

    /// Writes `changes` in order in one transaction, queueing their notifications through
    /// `pager`. Returns how many notifications were queued for sending.
    @discardableResult
    public func persist(
        _ changes: [AlertChange], rules: [Int64: AlertRule], catalog: SensorCatalog, pager: Pager
    ) async throws -> Int {
        guard !changes.isEmpty else { return 0 }
        return try await client.withTransaction(logger: logger) { connection in
            var queued = 0
            for change in changes {
                queued += try await persist(change, rule: rules[change.ruleID], catalog: catalog, pager: pager, on: connection)
            }
            return queued
        }
    }

    /// The columns that describe what an alert is about, from the catalog; nil when the catalog
    /// does not know it (removed from the registry meanwhile).
    struct Described {
        var sensorID: Int32?
        var stationCode: String?
        var stationName: String?
        var metric: String?
        var unit: String?
        var domain: String?
        var unitPath: [String]
        var gatewayCode: String?
        var gatewayName: String?
    }

    static func describe(_ subject: AlertSubject, in catalog: SensorCatalog) -> Described? {
        switch subject {
        case .sensor(let id):
            guard let sensor = catalog.sensors[id] else { return nil }
            let gateway = sensor.context.gatewayCode
            return Described(
                sensorID: id, stationCode: sensor.context.stationCode, stationName: sensor.stationName, metric: sensor.context.metric,
                unit: sensor.unit, domain: sensor.context.domain, unitPath: sensor.context.unitPath,
                gatewayCode: gateway, gatewayName: gateway.flatMap { catalog.gateways[$0]?.name })
        case .station(let code):
            guard let station = catalog.stations[code] else { return nil }
            return Described(
                stationCode: code, stationName: station.name, domain: station.domain, unitPath: station.unitPath,
                gatewayCode: station.gatewayCode, gatewayName: station.gatewayCode.flatMap { catalog.gateways[$0]?.name })
        case .gateway(let code):
            guard let gateway = catalog.gateways[code] else { return nil }
            return Described(domain: gateway.domain, unitPath: gateway.unitPath, gatewayCode: code, gatewayName: gateway.name)
        }
    }

    private func persist(_ change: AlertChange, rule: AlertRule?, catalog: SensorCatalog, pager: Pager, on connection: PostgresConnection) async throws -> Int {
        var alertID: Int64?
        var queued = 0
        let value: Double? = change.value.isFinite ? change.value : nil
        let subject = change.subject
        for action in change.actions {
            switch action {
            case .open(let snapshot):
                guard let rule, let described = Self.describe(subject, in: catalog) else {
                    logger.error("alert not opened: rule or subject unknown", metadata: ["rule": "\(change.ruleID)", "subject": "\(subject)"])
                    return queued
                }
                let labels = String(decoding: try JSONEncoder().encode(rule.labels), as: UTF8.self)
                let firedAt: Timestamp? = if case .firing = snapshot.state { snapshot.openedAt } else { nil }
                let rows = try await connection.query("""
                    INSERT INTO alerts (rule_id, rule_name, subject, subject_key, condition, sensor_id, station_code, station_name,
                        metric, unit, domain, unit_path, gateway_code, gateway_name, labels, state, severity, level, value, opened_at, fired_at)
                    VALUES (\(change.ruleID), \(rule.name), \(subject.kind), \(subject.key), \(rule.condition.kind), \(described.sensorID),
                        \(described.stationCode), \(described.stationName), \(described.metric), \(described.unit), \(described.domain),
                        \(described.unitPath), \(described.gatewayCode), \(described.gatewayName), \(labels)::jsonb,
                        \(snapshot.state.storedName), \(snapshot.severity.rawValue), \(snapshot.level), \(snapshot.value),
                        \(snapshot.openedAt), \(firedAt))
                    RETURNING id
                    """, logger: logger)
                for try await id in rows.decode(Int64.self) { alertID = id }
            case .transition(let from, let to, let reason):
                if alertID == nil { alertID = try await openAlertID(ruleID: change.ruleID, subject: subject, on: connection) }
                guard let alertID else {
                    logger.warning("no open alert for a transition", metadata: ["rule": "\(change.ruleID)", "subject": "\(subject)", "reason": "\(reason)"])
                    continue
                }
                var severity: String?, level: String?
                switch to {
                case .pending(_, let l, let s), .firing(_, let l, let s, _, _): (severity, level) = (s.rawValue, l)
                case .inactive: break
                }
                if case .inactive = to {
                    // The close action that follows records the end.
                } else {
                    let firing: Bool = if case .firing = to { true } else { false }
                    let acknowledged: Bool = if case .firing(_, _, _, true, _) = to { true } else { false }
                    try await connection.query("""
                        UPDATE alerts SET state = \(to.storedName), severity = \(severity ?? "info"), level = \(level),
                            value = COALESCE(\(value), value),
                            fired_at = CASE WHEN \(firing) THEN COALESCE(fired_at, \(change.at)) ELSE fired_at END,
                            acknowledged_at = CASE WHEN \(acknowledged) THEN COALESCE(acknowledged_at, \(change.at)) ELSE acknowledged_at END,
                            acknowledged_by = CASE WHEN \(acknowledged) THEN COALESCE(acknowledged_by, \(change.actor)) ELSE acknowledged_by END,
                            next_page_at = CASE WHEN \(acknowledged) THEN NULL ELSE next_page_at END,
                            updated_at = now()
                        WHERE id = \(alertID)
                        """, logger: logger)
                }
                try await connection.query("""
                    INSERT INTO alert_events (alert_id, at, kind, from_state, to_state, severity, level, value, actor, message)
                    VALUES (\(alertID), \(change.at), 'transition', \(from.storedName == "resolved" ? "inactive" : from.storedName),
                        \(to.storedName), \(severity), \(level), \(value), \(change.actor), \(reason))
                    """, logger: logger)
            case .notify(let kind, _, _):
                if alertID == nil { alertID = try await openAlertID(ruleID: change.ruleID, subject: subject, on: connection) }
                guard let alertID else { continue }
                queued += try await pager.page(alertID: alertID, kind: kind, at: change.at, on: connection)
            case .close(let reason):
                if alertID == nil { alertID = try await openAlertID(ruleID: change.ruleID, subject: subject, on: connection) }
                guard let alertID else { continue }
                // A person's resolve holds the pair until its condition is normal once (`.rearmed`).
                try await connection.query("""
                    UPDATE alerts SET state = 'resolved', resolved_at = \(change.at), resolved_by = \(change.actor),
                        resolution = \(reason), next_page_at = NULL, awaiting_normal = \(change.actor != nil), updated_at = now()
                    WHERE id = \(alertID)
                    """, logger: logger)
            case .rearmed:
                try await connection.query("""
                    UPDATE alerts SET awaiting_normal = false
                    WHERE rule_id = \(change.ruleID) AND subject = \(subject.kind) AND subject_key = \(subject.key) AND awaiting_normal
                    """, logger: logger)
            case .rejected:
                break
            }
        }
        return queued
    }

    private func openAlertID(ruleID: Int64, subject: AlertSubject, on connection: PostgresConnection) async throws -> Int64? {
        let rows = try await connection.query("""
            SELECT id FROM alerts
            WHERE rule_id = \(ruleID) AND subject = \(subject.kind) AND subject_key = \(subject.key) AND state <> 'resolved'
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }

    /// Closes the open alert of a pair the pipeline no longer evaluates (its rule was disabled,
    /// deleted or rescoped), with an event saying why. No notification: nobody needs paging
    /// because a rule was edited.
    public func closeOrphan(ruleID: Int64, subject: AlertSubject, reason: String) async throws {
        try await client.withTransaction(logger: logger) { connection in
            guard let id = try await openAlertID(ruleID: ruleID, subject: subject, on: connection) else { return }
            try await connection.query("""
                INSERT INTO alert_events (alert_id, kind, from_state, to_state, message)
                SELECT id, 'transition', state, 'resolved', \(reason) FROM alerts WHERE id = \(id)
                """, logger: logger)
            try await connection.query("""
                UPDATE alerts SET state = 'resolved', resolved_at = now(), resolution = \(reason), next_page_at = NULL, updated_at = now()
                WHERE id = \(id)
                """, logger: logger)
        }
    }

    // MARK: - Resuming after a restart

    public struct OpenAlert: Sendable {
        public var id: Int64
        public var ruleID: Int64
        public var subject: AlertSubject
        public var state: AlertStateMachine.State
    }

    /// A rule and what one of its alerts is about.
    public struct Pair: Sendable, Hashable {
        public var ruleID: Int64
        public var subject: AlertSubject
    }

    /// The open alerts, as state-machine states to resume from.
    public func openAlerts() async throws -> [OpenAlert] {
        let rows = try await client.query("""
            SELECT id, rule_id, subject, subject_key, state, severity, level, opened_at, fired_at, acknowledged_by
            FROM alerts WHERE state <> 'resolved' AND rule_id IS NOT NULL
            """, logger: logger)
        var result: [OpenAlert] = []
        for try await (id, rule, kind, key, state, severity, level, opened, fired, by) in rows.decode((Int64, Int64, String, String, String, String, String?, Timestamp, Timestamp?, String?).self) {
            guard let subject = AlertSubject(kind: kind, key: key) else { continue }
            let severity = AlertRule.Severity(rawValue: severity) ?? .warning
            let machine: AlertStateMachine.State = switch state {
            case "pending": .pending(since: opened, level: level, severity: severity)
            default: .firing(since: fired ?? opened, level: level, severity: severity, acknowledged: state == "acknowledged", acknowledgedBy: by)
            }
            result.append(OpenAlert(id: id, ruleID: rule, subject: subject, state: machine))
        }
        return result
    }

    /// The pairs resolved by hand whose condition has not been normal since.
    public func held() async throws -> Set<Pair> {
        let rows = try await client.query("""
            SELECT DISTINCT rule_id, subject, subject_key FROM alerts WHERE awaiting_normal AND rule_id IS NOT NULL
            """, logger: logger)
        var result: Set<Pair> = []
        for try await (rule, kind, key) in rows.decode((Int64, String, String).self) {
            if let subject = AlertSubject(kind: kind, key: key) { result.insert(Pair(ruleID: rule, subject: subject)) }
        }
        return result
    }

    /// Forgets the holds of rules that changed or went away: a changed rule starts afresh.
    public func release(ruleIDs: [Int64]) async throws {
        guard !ruleIDs.isEmpty else { return }
        try await client.query("UPDATE alerts SET awaiting_normal = false WHERE awaiting_normal AND rule_id = ANY(\(ruleIDs))", logger: logger)
    }

    // MARK: - Reading

    static let columns = """
        id, rule_id, rule_name, subject, subject_key, condition, sensor_id, station_code, station_name, metric, unit, domain,
        unit_path, gateway_code, gateway_name, labels::text,
        state, severity, level, value, opened_at, fired_at, acknowledged_at, acknowledged_by, resolved_at, resolved_by,
        resolution, assignee, updated_at
        """

    public func list(_ filter: AlertFilter) async throws -> [AlertRecord] {
        var states = filter.states
        if let index = states.firstIndex(of: "open") {
            states.remove(at: index)
            states += ["pending", "firing", "acknowledged"]
        }
        let query: PostgresQuery = """
            SELECT \(unescaped: Self.columns) FROM alerts
            WHERE (cardinality(\(states)::text[]) = 0 OR state = ANY(\(states)::text[]))
              AND (cardinality(\(filter.severities)::text[]) = 0 OR severity = ANY(\(filter.severities)::text[]))
              AND (\(filter.unit)::text IS NULL OR \(filter.unit)::text = ANY(unit_path))
              AND (\(filter.scope)::text IS NULL OR \(filter.scope)::text = ANY(unit_path))
              AND (\(filter.domain)::text IS NULL OR domain = \(filter.domain))
              AND (\(filter.station)::text IS NULL OR station_code = \(filter.station))
              AND (\(filter.gateway)::text IS NULL OR gateway_code = \(filter.gateway))
              AND (\(filter.subject)::text IS NULL OR subject = \(filter.subject))
              AND (\(filter.ruleID)::bigint IS NULL OR rule_id = \(filter.ruleID))
              AND (\(filter.from)::timestamptz IS NULL OR opened_at >= \(filter.from))
              AND (\(filter.to)::timestamptz IS NULL OR opened_at < \(filter.to))
              AND (\(filter.before)::bigint IS NULL OR id < \(filter.before))
            ORDER BY id DESC LIMIT \(filter.limit)
            """
        return try await records(client.query(query, logger: logger))
    }

    public func get(_ id: Int64) async throws -> AlertRecord? {
        try await records(client.query("SELECT \(unescaped: Self.columns) FROM alerts WHERE id = \(id)", logger: logger)).first
    }

    private func records(_ rows: PostgresRowSequence) async throws -> [AlertRecord] {
        var result: [AlertRecord] = []
        for try await row in rows {
            let (id, rule, ruleName, subject, subjectKey, condition, sensor, station, stationName, metric, unit, domain, path, gatewayCode, gatewayName, labels,
                 state, severity, level, value, opened, fired, ackAt, ackBy, resolvedAt, resolvedBy, resolution, assignee, updated) =
                try row.decode((Int64, Int64?, String, String, String, String, Int32?, String?, String?, String?, String?, String?, [String], String?, String?, String,
                                String, String, String?, Double, Date, Date?, Date?, String?, Date?, String?, String?, String?, Date).self)
            result.append(AlertRecord(
                id: id, ruleID: rule, ruleName: ruleName, subject: subject, subjectKey: subjectKey, condition: condition,
                sensorID: sensor, stationCode: station, stationName: stationName,
                metric: metric, unit: unit, domain: domain, unitPath: path, gatewayCode: gatewayCode, gatewayName: gatewayName,
                labels: (try? JSONDecoder().decode([String: String].self, from: Data(labels.utf8))) ?? [:],
                state: state, severity: severity, level: level, value: value, openedAt: opened, firedAt: fired,
                acknowledgedAt: ackAt, acknowledgedBy: ackBy, resolvedAt: resolvedAt, resolvedBy: resolvedBy,
                resolution: resolution, assignee: assignee, updatedAt: updated))
        }
        return result
    }

    public func events(of alertID: Int64) async throws -> [AlertEventRecord] {
        let rows = try await client.query("""
            SELECT id, alert_id, at, kind, from_state, to_state, severity, level, value, actor, message
            FROM alert_events WHERE alert_id = \(alertID) ORDER BY id
            """, logger: logger)
        var result: [AlertEventRecord] = []
        for try await (id, alert, at, kind, from, to, severity, level, value, actor, message) in rows.decode((Int64, Int64, Date, String, String?, String?, String?, String?, Double?, String?, String).self) {
            result.append(AlertEventRecord(id: id, alertID: alert, at: at, kind: kind, fromState: from, toState: to, severity: severity, level: level, value: value, actor: actor, message: message))
        }
        return result
    }

    /// The notifications of an alert with every delivery attempt.
    public func notifications(of alertID: Int64) async throws -> [NotificationRecord] {
        let rows = try await client.query("""
            SELECT id, alert_id, kind, policy, step, contact, channel, address, subject, status, attempts, next_attempt_at,
                last_error, created_at, sent_at
            FROM notification_outbox WHERE alert_id = \(alertID) ORDER BY id
            """, logger: logger)
        var result: [NotificationRecord] = []
        for try await (id, alert, kind, policy, step, contact, channel, address, subject, status, attempts, next, error, created, sent) in rows.decode((Int64, Int64?, String, String?, Int32?, String?, String, String, String, String, Int32, Date, String?, Date, Date?).self) {
            result.append(NotificationRecord(id: id, alertID: alert, kind: kind, policy: policy, step: step.map(Int.init), contact: contact,
                channel: channel, address: address, subject: subject, status: status, attempts: Int(attempts), nextAttemptAt: next,
                lastError: error, createdAt: created, sentAt: sent, deliveries: []))
        }
        let attempts = try await client.query("""
            SELECT a.outbox_id, a.at, a.ok, a.detail, a.duration_ms FROM notification_attempts a
            JOIN notification_outbox o ON o.id = a.outbox_id WHERE o.alert_id = \(alertID) ORDER BY a.id
            """, logger: logger)
        var byOutbox: [Int64: [DeliveryAttemptRecord]] = [:]
        for try await (outbox, at, ok, detail, duration) in attempts.decode((Int64, Date, Bool, String, Double).self) {
            byOutbox[outbox, default: []].append(DeliveryAttemptRecord(at: at, ok: ok, detail: detail, durationMS: duration))
        }
        return result.map { record in
            var record = record
            record.deliveries = byOutbox[record.id] ?? []
            return record
        }
    }

    /// (rule, subject, state) of alert `id`, for routing an operator's action to its shard.
    public func pair(of id: Int64) async throws -> (ruleID: Int64?, subject: AlertSubject, state: String)? {
        let rows = try await client.query("SELECT rule_id, subject, subject_key, state FROM alerts WHERE id = \(id)", logger: logger)
        for try await (rule, kind, key, state) in rows.decode((Int64?, String, String, String).self) {
            guard let subject = AlertSubject(kind: kind, key: key) else { return nil }
            return (rule, subject, state)
        }
        return nil
    }

    // MARK: - Operators' notes

    /// Adds a comment; false when there is no such alert.
    public func comment(_ id: Int64, by actor: String, text: String) async throws -> Bool {
        let rows = try await client.query("""
            INSERT INTO alert_events (alert_id, kind, actor, message)
            SELECT id, 'comment', \(actor), \(text) FROM alerts WHERE id = \(id) RETURNING id
            """, logger: logger)
        for try await _ in rows.decode(Int64.self) { return true }
        return false
    }

    /// Assigns (or with nil, unassigns) the alert; false when there is no such alert.
    public func assign(_ id: Int64, to assignee: String?, by actor: String) async throws -> Bool {
        try await client.withTransaction(logger: logger) { connection in
            let rows = try await connection.query(
                "UPDATE alerts SET assignee = \(assignee), updated_at = now() WHERE id = \(id) RETURNING id", logger: logger)
            var found = false
            for try await _ in rows.decode(Int64.self) { found = true }
            guard found else { return false }
            let message = assignee.map { "assigned to \($0)" } ?? "unassigned"
            try await connection.query("""
                INSERT INTO alert_events (alert_id, kind, actor, message) VALUES (\(id), 'assigned', \(actor), \(message))
                """, logger: logger)
            return true
        }
    }
}
