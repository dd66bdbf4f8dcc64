import Foundation
import IOCCore
import IOCNotify
import IOCStorage
import Logging
import PostgresNIO

/// Decides who is paged for an alert and queues the messages in the outbox, inside the caller's
/// transaction: routing by escalation policy (unit, domain, severity), rotas resolved at the
/// time of the page, silences applied (a suppressed notification is still a row, with the reason),
/// messages rendered in each contact's language.
public struct Pager: Sendable {
    public struct Configuration: Sendable {
        /// Where alert links point: `<publicURL>/api/v1/alerts/<id>`.
        public var publicURL: String
        /// The language of messages to a contact that names none.
        public var defaultLanguage: NotificationText.Language

        public init(publicURL: String = "http://localhost:8080", defaultLanguage: NotificationText.Language = .vi) {
            self.publicURL = publicURL.hasSuffix("/") ? String(publicURL.dropLast()) : publicURL
            self.defaultLanguage = defaultLanguage
        }
    }

    public let configuration: Configuration
    let logger: Logger
    /// Opens contacts' channels and seals the outbox's addresses.
    let cipher: DataCipher?

    public init(configuration: Configuration = .init(), logger: Logger, cipher: DataCipher? = nil) {
        self.configuration = configuration
        self.logger = logger
        self.cipher = cipher
    }

    /// The associated data of an outbox row's sealed address: its row and field.
    public static func addressContext(outboxID: Int64) -> String { "notification_outbox/\(outboxID)/address" }

    /// One recipient: a channel of a contact, reached through a policy's step.
    struct Recipient: Hashable {
        var contact: String
        var channel: ContactChannel
        var language: NotificationText.Language
        var policy: String?
        var step: Int?
    }

    struct AlertRow {
        var id: Int64
        var ruleName: String
        var subject: AlertFacts.Subject
        var condition: String
        var station: String?
        var stationName: String?
        var metric: String?
        var unit: String?
        var domain: String?
        var gatewayCode: String?
        var gatewayName: String?
        var unitPath: [String]
        var labels: [String: String]
        var state: String
        var severity: AlertRule.Severity
        var level: String?
        var value: Double
        var firedAt: Timestamp?
        var pagedAt: Timestamp?
        var acknowledgedBy: String?
        var nextPage: Int
    }

    /// Queues the notifications of `kind` for alert `alertID`; returns how many will be sent
    /// (suppressed ones not counted). For `fired` it also schedules the escalation pages.
    /// `time` is the observation's (what the message says); who is on call, which silences apply
    /// and when escalation steps fall due go by the wall clock.
    public func page(alertID: Int64, kind: AlertStateMachine.NotificationKind, at time: Timestamp, on connection: PostgresConnection) async throws -> Int {
        guard let alert = try await alertRow(alertID, on: connection) else { return 0 }
        let now = Timestamp.now
        let paging = try await PagingStore.load(on: connection, cipher: cipher, logger: logger)
        var recipients: [Recipient] = []
        switch kind {
        case .fired:
            let schedule = Self.schedule(paging.policies(for: alert))
            var next = 0
            while next < schedule.count, schedule[next].offset <= 0 {
                recipients += resolve(schedule[next], paging: paging, at: now)
                next += 1
            }
            let dueAt: Timestamp? = next < schedule.count ? now.adding(seconds: schedule[next].offset) : nil
            try await connection.query("""
                UPDATE alerts SET paged_at = \(now), next_page = \(next), next_page_at = \(dueAt) WHERE id = \(alertID)
                """, logger: logger)
        case .escalatedSeverity, .resolved:
            // Everyone paged about this alert so far hears of it again.
            recipients = try await previousRecipients(alertID, paging: paging, on: connection)
            if recipients.isEmpty && kind == .escalatedSeverity {
                return try await page(alertID: alertID, kind: .fired, at: time, on: connection)
            }
        }
        return try await enqueue(alert, kind: kind.rawValue, recipients: recipients, at: time, now: now, on: connection)
    }

    /// Sends the escalation pages of `alertID` that are due at `now` and schedules the next one.
    /// Returns how many notifications were queued.
    public func escalate(alertID: Int64, now: Timestamp, on connection: PostgresConnection) async throws -> Int {
        guard let alert = try await alertRow(alertID, on: connection), alert.state == "firing", let firedAt = alert.pagedAt else {
            try await connection.query("UPDATE alerts SET next_page_at = NULL WHERE id = \(alertID)", logger: logger)
            return 0
        }
        let paging = try await PagingStore.load(on: connection, cipher: cipher, logger: logger)
        let schedule = Self.schedule(paging.policies(for: alert))
        var next = alert.nextPage
        var queued = 0
        while next < schedule.count, firedAt.adding(seconds: schedule[next].offset) <= now {
            let page = schedule[next]
            queued += try await enqueue(alert, kind: "reminder", recipients: resolve(page, paging: paging, at: now), at: now, now: now, on: connection)
            try await connection.query("""
                INSERT INTO alert_events (alert_id, kind, message)
                VALUES (\(alertID), 'escalated', \("not acknowledged after \(Int(page.offset / 60)) min: step \(page.step + 1) of policy \(page.policy.name)"))
                """, logger: logger)
            next += 1
        }
        let dueAt: Timestamp? = next < schedule.count ? firedAt.adding(seconds: schedule[next].offset) : nil
        try await connection.query("UPDATE alerts SET next_page = \(next), next_page_at = \(dueAt) WHERE id = \(alertID)", logger: logger)
        return queued
    }

    /// Every page of every policy, in time order: (policy, step, offset from firing).
    struct Page {
        var policy: EscalationPolicy
        var step: Int
        var offset: Double
    }

    static func schedule(_ policies: [EscalationPolicy]) -> [Page] {
        var pages: [Page] = []
        for policy in policies {
            var n = 0
            while let page = policy.page(n), n < 1000 {
                pages.append(Page(policy: policy, step: page.step, offset: page.offsetSeconds))
                n += 1
            }
        }
        return pages.enumerated().sorted { ($0.element.offset, $0.offset) < ($1.element.offset, $1.offset) }.map(\.element)
    }

    private func resolve(_ page: Page, paging: PagingStore.Snapshot, at time: Timestamp) -> [Recipient] {
        guard page.step < page.policy.steps.count else { return [] }
        var result: [Recipient] = []
        for target in page.policy.steps[page.step].targets {
            let name: String?
            switch target.recipient {
            case .contact(let contact): name = contact
            case .rota(let rota): name = paging.rotas[rota]?.onCall(at: time)
            }
            guard let name, let contact = paging.contacts[name] else {
                logger.warning("page target not found", metadata: ["policy": "\(page.policy.name)", "target": "\(target)"])
                continue
            }
            for channel in contact.channels where target.channels.map({ $0.contains(channel.kind) }) ?? true {
                result.append(Recipient(contact: contact.name, channel: channel, language: language(of: contact),
                                        policy: page.policy.name, step: page.step))
            }
        }
        return result
    }

    private func language(of contact: Contact) -> NotificationText.Language {
        contact.language
    }

    private func previousRecipients(_ alertID: Int64, paging: PagingStore.Snapshot, on connection: PostgresConnection) async throws -> [Recipient] {
        let rows = try await connection.query("""
            SELECT id, contact, channel, address_sealed FROM notification_outbox
            WHERE alert_id = \(alertID) AND status <> 'suppressed' AND contact IS NOT NULL
            """, logger: logger)
        var result: [Recipient] = []
        for try await (id, name, channel, sealed) in rows.decode((Int64, String, String, String).self) {
            let address = try cipher.required().open(sealed, context: Self.addressContext(outboxID: id))
            guard let contact = paging.contacts[name],
                  let match = contact.channels.first(where: { $0.kind.rawValue == channel && $0.address == address }) else { continue }
            result.append(Recipient(contact: name, channel: match, language: language(of: contact), policy: nil, step: nil))
        }
        return result
    }

    private func enqueue(_ alert: AlertRow, kind: String, recipients: [Recipient], at time: Timestamp, now: Timestamp, on connection: PostgresConnection) async throws -> Int {
        guard !recipients.isEmpty else {
            if kind == "fired" {
                try await connection.query("""
                    INSERT INTO alert_events (alert_id, kind, message) VALUES (\(alert.id), 'paged', 'no escalation policy matches this alert: nobody was paged')
                    """, logger: logger)
            }
            return 0
        }
        let silence = try await activeSilence(for: alert, at: now, on: connection)
        let link = "\(configuration.publicURL)/api/v1/alerts/\(alert.id)"
        let facts = Self.facts(alert, time: time, link: link)
        let textKind = NotificationText.Kind(rawValue: kind) ?? .fired
        var queued = 0
        var who: [String] = []
        for recipient in Set(recipients).sorted(by: { ($0.contact, $0.channel.kind.rawValue, $0.channel.address) < ($1.contact, $1.channel.kind.rawValue, $1.channel.address) }) {
            let rendered = NotificationText.render(facts, kind: textKind, language: recipient.language)
            let payload = try Self.payload(alert: alert, kind: kind, facts: facts, text: rendered.text, at: time)
            let status = silence == nil ? "pending" : "suppressed"
            let note: String? = silence.map { "silenced by silence \($0.id ?? 0) (\($0.comment.isEmpty ? $0.createdBy : $0.comment))" }
            var outboxID: Int64 = 0
            for try await id in try await connection.query("SELECT nextval(pg_get_serial_sequence('notification_outbox', 'id'))", logger: logger).decode(Int64.self) {
                outboxID = id
            }
            let address = try cipher.required().seal(recipient.channel.address, context: Self.addressContext(outboxID: outboxID))
            try await connection.query("""
                INSERT INTO notification_outbox (id, alert_id, kind, policy, step, contact, channel, address_sealed, subject, body, payload, status, last_error)
                VALUES (\(outboxID), \(alert.id), \(kind), \(recipient.policy), \(recipient.step.map(Int32.init)), \(recipient.contact),
                    \(recipient.channel.kind.rawValue), \(address), \(rendered.subject), \(rendered.text), \(payload)::jsonb,
                    \(status), \(note))
                """, logger: logger)
            if silence == nil { queued += 1 }
            who.append("\(recipient.contact) (\(recipient.channel.kind.rawValue))")
        }
        let message = silence.map { "\(kind) notification suppressed by silence \($0.id ?? 0): \(who.joined(separator: ", "))" }
            ?? "\(kind): notifying \(who.joined(separator: ", "))"
        try await connection.query("""
            INSERT INTO alert_events (alert_id, kind, message) VALUES (\(alert.id), \(silence == nil ? "paged" : "notification_suppressed"), \(message))
            """, logger: logger)
        return queued
    }

    /// What the message says: a gateway alert names the gateway where others name the station.
    static func facts(_ alert: AlertRow, time: Timestamp, link: String) -> AlertFacts {
        let gateway = alert.subject == .gateway
        return AlertFacts(
            alertID: alert.id, ruleName: alert.ruleName, severity: alert.severity, level: alert.level,
            stationCode: (gateway ? alert.gatewayCode : alert.station) ?? "",
            stationName: (gateway ? alert.gatewayName : alert.stationName) ?? "",
            metric: alert.metric ?? "", value: alert.value, unit: alert.unit ?? "", time: time, link: link,
            acknowledgedBy: alert.acknowledgedBy, condition: alert.condition, subject: alert.subject)
    }

    private func activeSilence(for alert: AlertRow, at time: Timestamp, on connection: PostgresConnection) async throws -> Silence? {
        let subject = Silence.Subject(rule: alert.ruleName, station: alert.station ?? "", metric: alert.metric ?? "", unitPath: alert.unitPath, labels: alert.labels)
        for silence in try await SilenceStore.active(at: time, on: connection, logger: logger) where silence.matches(subject) {
            return silence
        }
        return nil
    }

    static func payload(alert: AlertRow, kind: String, facts: AlertFacts, text: String, at time: Timestamp) throws -> String {
        struct Payload: Encodable {
            var event: String
            var alert_id: Int64
            var rule: String
            var state: String
            var severity: String
            var level: String?
            var subject: String
            var condition: String
            var station_code: String?
            var station_name: String?
            var gateway_code: String?
            var metric: String?
            var value: Double
            var unit: String?
            var domain: String?
            var unit_path: [String]
            var labels: [String: String]
            var at: String
            var link: String
            var text: String
        }
        let body = Payload(
            event: kind, alert_id: alert.id, rule: alert.ruleName, state: alert.state, severity: alert.severity.rawValue,
            level: alert.level, subject: alert.subject.rawValue, condition: alert.condition, station_code: alert.station,
            station_name: alert.stationName, gateway_code: alert.gatewayCode, metric: alert.metric,
            value: alert.value.isFinite ? alert.value : 0, unit: alert.condition == "no_data" ? "s" : alert.unit, domain: alert.domain, unit_path: alert.unitPath,
            labels: alert.labels, at: time.rfc3339, link: facts.link, text: text)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(body), as: UTF8.self)
    }

    private func alertRow(_ id: Int64, on connection: PostgresConnection) async throws -> AlertRow? {
        let rows = try await connection.query("""
            SELECT id, rule_name, subject, condition, station_code, station_name, metric, unit, domain, gateway_code, gateway_name,
                unit_path, labels::text, state, severity, level, value, fired_at, paged_at, acknowledged_by, next_page
            FROM alerts WHERE id = \(id)
            """, logger: logger)
        for try await row in rows {
            let (id, rule, subject, condition, station, stationName, metric, unit, domain, gatewayCode, gatewayName, path, labels, state, severity, level, value, fired, paged, ackBy, next) =
                try row.decode((Int64, String, String, String, String?, String?, String?, String?, String?, String?, String?, [String], String, String, String, String?, Double, Timestamp?, Timestamp?, String?, Int32).self)
            return AlertRow(
                id: id, ruleName: rule, subject: AlertFacts.Subject(rawValue: subject) ?? .sensor, condition: condition,
                station: station, stationName: stationName, metric: metric, unit: unit, domain: domain,
                gatewayCode: gatewayCode, gatewayName: gatewayName,
                unitPath: path, labels: (try? JSONDecoder().decode([String: String].self, from: Data(labels.utf8))) ?? [:],
                state: state, severity: AlertRule.Severity(rawValue: severity) ?? .warning, level: level, value: value,
                firedAt: fired, pagedAt: paged, acknowledgedBy: ackBy, nextPage: Int(next))
        }
        return nil
    }
}

extension PagingStore.Snapshot {
    func policies(for alert: Pager.AlertRow) -> [EscalationPolicy] {
        EscalationPolicy.route(policies: Array(policies.values).sorted { $0.name < $1.name }, unitPath: alert.unitPath, domain: alert.domain ?? "", severity: alert.severity)
    }
}
