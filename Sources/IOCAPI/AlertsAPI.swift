import Foundation
import Hummingbird
import IOCAlerting
import IOCCore
import IOCStorage
import Logging

/// What the alerting endpoints work with.
public struct AlertingEndpoints: Sendable {
    public var pipeline: AlertPipeline
    public var alerts: AlertStore
    public var silences: SilenceStore
    public var paging: PagingStore

    public init(pipeline: AlertPipeline, alerts: AlertStore, silences: SilenceStore, paging: PagingStore) {
        self.pipeline = pipeline
        self.alerts = alerts
        self.silences = silences
        self.paging = paging
    }
}

/// `/api/v1/alerts` (list and filter, get with events and deliveries, acknowledge, resolve,
/// assign, comment) and `/api/v1/silences`.
enum AlertsAPI {
    struct AlertList: Encodable { var alerts: [AlertRecord]; var next_before: Int64? }
    struct AlertDetail: Encodable { var alert: AlertRecord; var events: [AlertEventRecord]; var notifications: [NotificationRecord] }
    struct ActorBody: Decodable { var by: String; var comment: String? }
    struct AssignBody: Decodable { var by: String; var assignee: String? }
    struct CommentBody: Decodable { var by: String; var text: String }
    struct SilenceList: Encodable { var silences: [Silence] }

    static let states: Set = ["open", "pending", "firing", "acknowledged", "resolved"]

    static func addRoutes(to router: Router<APIRequestContext>, endpoints: AlertingEndpoints, auditor: Auditor) {
        let alerts = router.group("/api/v1/alerts")
        alerts.get { request, context in
            await RulesAPI.respond {
                var filter = try filter(request)
                filter.scope = UnitScope(context).unit
                let list = try await endpoints.alerts.list(filter)
                return APIJSON.response(AlertList(alerts: list, next_before: list.count == filter.limit ? list.last?.id : nil))
            }
        }
        alerts.get(":id") { _, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let alert = try await visibleAlert(id, context, endpoints)
                return APIJSON.response(AlertDetail(
                    alert: alert, events: try await endpoints.alerts.events(of: id),
                    notifications: try await endpoints.alerts.notifications(of: id)))
            }
        }
        alerts.post(":id/acknowledge") { request, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let body = try await APIJSON.decode(ActorBody.self, from: request)
                let actor = try person(body.by)
                let before: AlertRecord? = try await visibleAlert(id, context, endpoints)
                let after = try await endpoints.pipeline.acknowledge(alertID: id, by: actor)
                try await auditor.record(context, "acknowledge", "alert", key: "\(id)", before: before, after: after)
                return APIJSON.response(after)
            }
        }
        alerts.post(":id/resolve") { request, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let body = try await APIJSON.decode(ActorBody.self, from: request)
                let actor = try person(body.by)
                let before: AlertRecord? = try await visibleAlert(id, context, endpoints)
                if let comment = body.comment, !comment.isEmpty { _ = try await endpoints.alerts.comment(id, by: actor, text: comment) }
                let after = try await endpoints.pipeline.resolve(alertID: id, by: actor)
                try await auditor.record(context, "resolve", "alert", key: "\(id)", before: before, after: after)
                return APIJSON.response(after)
            }
        }
        alerts.post(":id/assign") { request, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let body = try await APIJSON.decode(AssignBody.self, from: request)
                let actor = try person(body.by)
                let assignee = body.assignee.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 }
                let before: AlertRecord? = try await visibleAlert(id, context, endpoints)
                guard try await endpoints.alerts.assign(id, to: assignee, by: actor), let alert = try await endpoints.alerts.get(id) else { throw notFound(id) }
                try await auditor.record(context, "assign", "alert", key: "\(id)", before: before, after: alert)
                return APIJSON.response(alert)
            }
        }
        alerts.post(":id/comments") { request, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let body = try await APIJSON.decode(CommentBody.self, from: request)
                let actor = try person(body.by)
                guard !body.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                    throw APIError(.badRequest, "invalid_comment", "the comment text is empty", field: "text")
                }
                guard body.text.count <= 4000 else {
                    throw APIError(.badRequest, "invalid_comment", "a comment has at most 4000 characters, this one \(body.text.count)", field: "text")
                }
                _ = try await visibleAlert(id, context, endpoints)
                guard try await endpoints.alerts.comment(id, by: actor, text: body.text) else { throw notFound(id) }
                try await auditor.record(context, "comment", "alert", key: "\(id)", after: ["by": actor, "text": body.text])
                return APIJSON.response(try await endpoints.alerts.events(of: id), status: .created)
            }
        }

        let silences = router.group("/api/v1/silences")
        let units = DashboardStore(client: endpoints.alerts.client, logger: Logger(label: "ioc.api.silences"))
        silences.get { request, context in
            await RulesAPI.respond {
                let current = request.uri.queryParameters.get("current") != "false"
                var visible: [Silence] = []
                for silence in try await endpoints.silences.list(current: current, now: Timestamp.now)
                where try await confined(silence, to: UnitScope(context), units: units) {
                    visible.append(silence)
                }
                return APIJSON.response(SilenceList(silences: visible))
            }
        }
        silences.post { request, context in
            await RulesAPI.respond {
                var silence = try await APIJSON.decode(Silence.self, from: request)
                let scope = UnitScope(context)
                if let unit = scope.unit {
                    // A token limited to a unit silences within it: with no unit or station of its
                    // own, the silence is confined to the token's unit.
                    if silence.matchers.unit == nil && silence.matchers.station == nil { silence.matchers.unit = unit }
                    guard try await confined(silence, to: scope, units: units) else {
                        throw APIError(.forbidden, "forbidden", "the token \(context.grant?.name ?? "") is limited to unit \(unit): a silence it makes needs a unit or station within \(unit)")
                    }
                }
                let created = try await endpoints.silences.create(silence)
                try await auditor.record(context, "create", "silence", key: "\(created.id ?? 0)", after: created)
                return APIJSON.response(created, status: .created)
            }
        }
        silences.get(":id") { _, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                return APIJSON.response(try await visibleSilence(id, context, endpoints, units: units))
            }
        }
        // Ending a silence keeps it on record (what was suppressed stays explained).
        silences.delete(":id") { _, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let before = try await visibleSilence(id, context, endpoints, units: units)
                guard let silence = try await endpoints.silences.expire(id, now: Timestamp.now) else {
                    throw APIError(.notFound, "not_found", "there is no silence \(id)")
                }
                try await auditor.record(context, "end", "silence", key: "\(id)", before: before, after: silence)
                return APIJSON.response(silence)
            }
        }
    }

    /// Whether `silence` can only match alerts within `scope`: its unit or its station is there.
    /// Every silence is within the whole province.
    static func confined(_ silence: Silence, to scope: UnitScope, units: DashboardStore) async throws -> Bool {
        guard scope.unit != nil else { return true }
        if let unit = silence.matchers.unit, let path = try await units.unitPath(code: unit), scope.contains(unitPath: path) { return true }
        if let station = silence.matchers.station, let path = try await units.stationUnitPath(code: station), scope.contains(unitPath: path) { return true }
        return false
    }

    /// Silence `id` when it exists and is confined to the token's scope; the same 404 otherwise.
    static func visibleSilence(_ id: Int64, _ context: APIRequestContext, _ endpoints: AlertingEndpoints, units: DashboardStore) async throws -> Silence {
        guard let silence = try await endpoints.silences.get(id), try await confined(silence, to: UnitScope(context), units: units) else {
            throw APIError(.notFound, "not_found", "there is no silence \(id)")
        }
        return silence
    }

    static func filter(_ request: Request) throws(APIError) -> AlertFilter {
        let query = request.uri.queryParameters
        var filter = AlertFilter()
        func list(_ name: String) -> [String] {
            (query.get(name) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        filter.states = list("state")
        if let bad = filter.states.first(where: { !states.contains($0) }) {
            throw APIError(.badRequest, "invalid_filter", "state '\(bad)' is not one of open, pending, firing, acknowledged, resolved", field: "state")
        }
        filter.severities = list("severity")
        if let bad = filter.severities.first(where: { AlertRule.Severity(rawValue: $0) == nil }) {
            throw APIError(.badRequest, "invalid_filter", "severity '\(bad)' is not one of info, warning, critical", field: "severity")
        }
        filter.unit = query.get("unit")
        filter.domain = query.get("domain")
        filter.station = query.get("station")
        filter.gateway = query.get("gateway")
        if let subject = query.get("subject") {
            guard ["sensor", "station", "gateway"].contains(subject) else {
                throw APIError(.badRequest, "invalid_filter", "subject '\(subject)' is not one of sensor, station, gateway", field: "subject")
            }
            filter.subject = subject
        }
        if let rule = query.get("rule") {
            guard let id = Int64(rule), id > 0 else { throw APIError(.badRequest, "invalid_filter", "rule is a rule id (a positive integer), not '\(rule)'", field: "rule") }
            filter.ruleID = id
        }
        for (name, keyPath) in [("from", \AlertFilter.from), ("to", \AlertFilter.to)] {
            if let text = query.get(name) {
                guard let time = Timestamp(rfc3339: text) else {
                    throw APIError(.badRequest, "invalid_filter", "\(name) must be an RFC 3339 time such as 2026-11-27T08:00:00+07:00, not '\(text)'", field: name)
                }
                filter[keyPath: keyPath] = Date(timeIntervalSince1970: time.seconds)
            }
        }
        if let limit = query.get("limit") {
            guard let value = Int(limit), (1...1000).contains(value) else {
                throw APIError(.badRequest, "invalid_filter", "limit is between 1 and 1000, not '\(limit)'", field: "limit")
            }
            filter.limit = value
        }
        if let before = query.get("before") {
            guard let value = Int64(before), value > 0 else { throw APIError(.badRequest, "invalid_filter", "before is an alert id, not '\(before)'", field: "before") }
            filter.before = value
        }
        return filter
    }

    static func person(_ name: String) throws(APIError) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200 else {
            throw APIError(.badRequest, "invalid_actor", "say who does this in \"by\" (1 to 200 characters)", field: "by")
        }
        return trimmed
    }

    /// Alert `id` when it exists and is in the token's scope; otherwise the same 404 for both.
    static func visibleAlert(_ id: Int64, _ context: APIRequestContext, _ endpoints: AlertingEndpoints) async throws -> AlertRecord {
        guard let alert = try await endpoints.alerts.get(id), UnitScope(context).contains(unitPath: alert.unitPath) else { throw notFound(id) }
        return alert
    }

    static func notFound(_ id: Int64) -> APIError {
        APIError(.notFound, "not_found", "there is no alert \(id)")
    }
}
