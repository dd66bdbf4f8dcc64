import Foundation
import Hummingbird
import IOCAlerting
import IOCCore
import IOCStorage

/// `/api/v1/contacts`, `/api/v1/rotas`, `/api/v1/escalation-policies`: list, get, create,
/// replace, delete, each validated alone and against the rest of the configuration. Rotas also
/// answer who is on call: `GET /api/v1/rotas/:id/on-call?at=…`.
enum PagingAPI {
    struct List<T: Encodable>: Encodable {
        var items: [T]
    }

    struct OnCall: Encodable {
        var rota: String
        var at: String
        var on_call: String?
    }

    static func addRoutes(to router: Router<APIRequestContext>, store: PagingStore, auditor: Auditor) {
        addRoutes(Contact.self, path: "/api/v1/contacts", to: router, store: store, auditor: auditor)
        addRoutes(Rota.self, path: "/api/v1/rotas", to: router, store: store, auditor: auditor)
        addRoutes(EscalationPolicy.self, path: "/api/v1/escalation-policies", to: router, store: store, auditor: auditor)
        router.get("/api/v1/rotas/:id/on-call") { request, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                guard let rota = try await store.get(Rota.self, id: id) else { throw notFound(Rota.self, id) }
                var at = Timestamp.now
                if let text = request.uri.queryParameters.get("at") {
                    guard let time = Timestamp(rfc3339: text) else {
                        throw APIError(.badRequest, "invalid_time", "at must be an RFC 3339 time such as 2026-11-27T08:00:00+07:00, not '\(text)'", field: "at")
                    }
                    at = time
                }
                return APIJSON.response(OnCall(rota: rota.name, at: at.rfc3339, on_call: rota.onCall(at: at)))
            }
        }
    }

    static func addRoutes<T: PagingEntity>(_ type: T.Type, path: String, to router: Router<APIRequestContext>, store: PagingStore, auditor: Auditor) {
        let group = router.group(RouterPath(path))
        let entity = T.noun.replacingOccurrences(of: " ", with: "_")
        group.get { _, _ in
            await RulesAPI.respond { APIJSON.response(List(items: try await store.list(T.self))) }
        }
        group.post { request, context in
            await RulesAPI.respond {
                let body = try await APIJSON.decode(T.self, from: request)
                guard let stored = try await store.save(body) else { throw APIError(.internalServerError, "internal", "not stored") }
                try await auditor.record(context, "create", entity, key: "\(stored.id ?? 0)", after: stored.auditForm(with: store.cipher))
                return APIJSON.response(stored, status: .created)
            }
        }
        group.get(":id") { _, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                guard let found = try await store.get(T.self, id: id) else { throw notFound(T.self, id) }
                return APIJSON.response(found)
            }
        }
        group.put(":id") { request, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let body = try await APIJSON.decode(T.self, from: request)
                let before = try await store.get(T.self, id: id)
                guard let stored = try await store.save(body, id: id) else { throw notFound(T.self, id) }
                try await auditor.record(context, "update", entity, key: "\(id)", before: before?.auditForm(with: store.cipher), after: stored.auditForm(with: store.cipher))
                return APIJSON.response(stored)
            }
        }
        group.delete(":id") { _, context in
            await RulesAPI.respond {
                let id = try pathID(context)
                let before = try await store.get(T.self, id: id)
                guard try await store.delete(T.self, id: id) else { throw notFound(T.self, id) }
                try await auditor.record(context, "delete", entity, key: "\(id)", before: before?.auditForm(with: store.cipher))
                return Response(status: .noContent)
            }
        }
    }

    static func notFound<T: PagingEntity>(_ type: T.Type, _ id: Int64) -> APIError {
        APIError(.notFound, "not_found", "there is no \(T.noun) \(id)")
    }
}
