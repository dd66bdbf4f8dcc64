import Foundation
import Hummingbird
import IOCCore
import IOCStorage

/// `/api/v1/tokens` (admins): list, create (the secret is in that answer and nowhere else, ever),
/// revoke by name (the token stays listed, with `revoked_at`).
enum TokensAPI {
    static func addRoutes(to router: Router<APIRequestContext>, authenticator: TokenAuthenticator, auditor: Auditor) {
        let store = authenticator.store
        let tokens = router.group("/api/v1/tokens")
        tokens.get { _, _ in
            await RulesAPI.respond {
                let now = Timestamp.now
                var json = JSONWriter()
                json.beginObject()
                json.key("tokens"); json.beginArray()
                for token in try await store.list() { write(token, now: now, to: &json) }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }
        tokens.post { request, context in
            await RulesAPI.respond {
                let body = try await APIJSON.decode(APITokenRequest.self, from: request)
                let (token, secret) = try await store.create(body)
                // It works at once, even with a recent load of the tokens.
                authenticator.invalidate()
                try await auditor.record(context, "create", "token", key: token.name, beforeJSON: nil, afterJSON: token.auditJSON)
                var json = JSONWriter()
                json.beginObject()
                json.key("token"); write(token, now: Timestamp.now, to: &json)
                json.key("secret"); json.string(secret)
                json.endObject()
                return json.response(status: .created)
            }
        }
        tokens.delete(":name") { _, context in
            await RulesAPI.respond {
                let name = context.parameters.get("name") ?? ""
                // An admin cannot lock itself out by mistake.
                guard context.grant?.name != name else {
                    throw APIError(.conflict, "conflict", "this request is made with token \(name): revoke it with another admin token or with ioc token revoke \(name)")
                }
                let before = try await store.get(name: name)
                guard let token = try await store.revoke(name: name) else {
                    throw APIError(.notFound, "not_found", "there is no token named \(name); GET /api/v1/tokens lists them")
                }
                authenticator.invalidate()
                try await auditor.record(context, "revoke", "token", key: token.name, beforeJSON: before?.auditJSON, afterJSON: token.auditJSON)
                var json = JSONWriter()
                write(token, now: Timestamp.now, to: &json)
                return json.response()
            }
        }
    }

    static func write(_ token: APIToken, now: Timestamp, to json: inout JSONWriter) {
        json.beginObject()
        json.key("name"); json.string(token.name)
        json.key("role"); json.string(token.role.rawValue)
        json.key("unit"); json.string(token.unit)
        json.key("prefix"); json.string(token.prefix)
        json.key("created_at"); json.time(token.createdAt)
        json.key("expires_at"); json.time(token.expiresAt)
        json.key("last_used_at"); json.time(token.lastUsedAt)
        json.key("revoked_at"); json.time(token.revokedAt)
        json.key("valid"); json.bool(token.isValid(at: now))
        json.endObject()
    }
}
