import Foundation
import Hummingbird
import IOCCore
import IOCStorage

/// Records changes in the audit log: who (the token's name), what, the entity before and after.
public struct Auditor: Sendable {
    let log: AuditLog?

    public init(_ log: AuditLog?) {
        self.log = log
    }

    /// `before` and `after` are encoded as the API shows them; nil where the entity did not exist.
    func record(_ context: APIRequestContext, _ action: String, _ entity: String, key: String,
                before: (any Encodable)? = nil, after: (any Encodable)? = nil) async throws {
        try await record(context, action, entity, key: key, beforeJSON: before.map(Self.json), afterJSON: after.map(Self.json))
    }

    func record(_ context: APIRequestContext, _ action: String, _ entity: String, key: String, beforeJSON: String?, afterJSON: String?) async throws {
        guard let log else { return }
        try await log.record(actor: context.grant?.name ?? "anonymous", action: action, entity: entity, key: key, before: beforeJSON, after: afterJSON)
    }

    static func json(_ value: any Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded())).rfc3339)
        }
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }
}

/// `GET /api/v1/audit` (admins): the audit log, newest first, filtered by actor, action, entity,
/// key and time, `limit` per page with `next_before`. Nothing changes or deletes it.
enum AuditAPI {
    static func addRoutes(to router: Router<APIRequestContext>, log: AuditLog) {
        router.get("/api/v1/audit") { request, _ in
            await RulesAPI.respond {
                let query = request.uri.queryParameters
                var filter = AuditFilter()
                filter.actor = query.get("actor")
                filter.action = query.get("action")
                filter.entity = query.get("entity")
                filter.key = query.get("key")
                for (name, keyPath) in [("from", \AuditFilter.from), ("to", \AuditFilter.to)] {
                    if let text = query.get(name) {
                        guard let time = Timestamp(rfc3339: text) else {
                            throw APIError(.badRequest, "invalid_filter", "\(name) must be an RFC 3339 time such as 2026-11-27T08:00:00+07:00, not '\(text)'", field: name)
                        }
                        filter[keyPath: keyPath] = time
                    }
                }
                if let text = query.get("limit") {
                    guard let limit = Int(text), (1...1000).contains(limit) else {
                        throw APIError(.badRequest, "invalid_filter", "limit is between 1 and 1000, not '\(text)'", field: "limit")
                    }
                    filter.limit = limit
                }
                if let text = query.get("before") {
                    guard let before = Int64(text), before > 0 else {
                        throw APIError(.badRequest, "invalid_filter", "before is an audit entry id (next_before of the previous page), not '\(text)'", field: "before")
                    }
                    filter.before = before
                }
                let entries = try await log.list(filter)
                var json = JSONWriter(capacity: 256 * entries.count + 64)
                json.beginObject()
                json.key("entries"); json.beginArray()
                for entry in entries {
                    json.beginObject()
                    json.key("id"); json.integer(entry.id)
                    json.key("at"); json.time(entry.at)
                    json.key("actor"); json.string(entry.actor)
                    json.key("action"); json.string(entry.action)
                    json.key("entity"); json.string(entry.entity)
                    json.key("key"); json.string(entry.key)
                    json.key("before"); if let before = entry.before { json.rawJSON(before) } else { json.null() }
                    json.key("after"); if let after = entry.after { json.rawJSON(after) } else { json.null() }
                    json.endObject()
                }
                json.endArray()
                json.key("next_before"); json.integer(entries.count == filter.limit ? entries.last?.id : nil)
                json.endObject()
                return json.response()
            }
        }
    }
}
