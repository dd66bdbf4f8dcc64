import Foundation
import Hummingbird
import IOCCore
import IOCStorage

/// `/api/v1/gateways` (admins): list with broker account states, register (the password is in
/// that answer and nowhere else), disable, enable, rotate the password.
enum GatewaysAPI {
    static func addRoutes(to router: Router<APIRequestContext>, administration: GatewayAdministration) {
        let gateways = router.group("/api/v1/gateways")
        gateways.get { _, _ in
            await respond {
                var json = JSONWriter()
                json.beginObject()
                json.key("gateways"); json.beginArray()
                for item in try await administration.list() { write(item.gateway, broker: item.broker, to: &json) }
                json.endArray()
                json.endObject()
                return json.response()
            }
        }
        gateways.post { request, context in
            await respond {
                let body = try await APIJSON.decode(GatewayRequest.self, from: request)
                let result = try await administration.add(body, actor: actor(context))
                return withPassword(result, status: .created)
            }
        }
        gateways.post(":code/rotate") { _, context in
            await respond {
                withPassword(try await administration.rotate(code: try code(context), actor: actor(context)), status: .ok)
            }
        }
        for (action, enabled) in [("disable", false), ("enable", true)] {
            gateways.post(":code/\(action)") { _, context in
                await respond {
                    let result = try await administration.setEnabled(code: try code(context), enabled, actor: actor(context))
                    var json = JSONWriter()
                    write(result.gateway, broker: result.broker, to: &json)
                    return json.response()
                }
            }
        }
    }

    static func actor(_ context: APIRequestContext) -> String { context.grant?.name ?? "anonymous" }

    static func code(_ context: APIRequestContext) throws -> String {
        let code = context.parameters.get("code") ?? ""
        try GatewayRequest.validate(code: code)
        return code
    }

    static func withPassword(_ result: GatewayAdministration.WithPassword, status: HTTPResponse.Status) -> Response {
        var json = JSONWriter()
        json.beginObject()
        json.key("gateway"); write(result.gateway, broker: result.broker, to: &json)
        json.key("password"); json.string(result.password)
        json.endObject()
        return json.response(status: status)
    }

    static func write(_ gateway: GatewayRecord, broker: BrokerAccountState, to json: inout JSONWriter) {
        json.beginObject()
        json.key("code"); json.string(gateway.code)
        json.key("name"); json.string(gateway.name)
        json.key("unit"); json.string(gateway.unit)
        json.key("enabled"); json.bool(gateway.enabled)
        json.key("status"); json.string(gateway.status)
        json.key("last_seen_at"); json.time(gateway.lastSeenAt)
        json.key("broker_account"); json.string(broker.rawValue)
        json.key("created_at"); json.time(gateway.createdAt)
        json.key("updated_at"); json.time(gateway.updatedAt)
        json.endObject()
    }

    /// Gateway and broker errors as API errors; the rest as every other endpoint answers them.
    static func respond(_ body: () async throws -> Response) async -> Response {
        await RulesAPI.respond {
            do {
                return try await body()
            } catch let error as GatewayValidationError {
                throw APIError(.badRequest, "invalid_gateway", error.message, field: error.field)
            } catch let error as GatewayNotFoundError {
                throw APIError(.notFound, "not_found", "\(error); GET /api/v1/gateways lists them")
            } catch let error as GatewayAccountError {
                switch error.kind {
                case .alreadyExists: throw APIError(.conflict, "conflict", error.message)
                case .notFound: throw APIError(.conflict, "no_broker_account", error.message)
                case .unavailable: throw APIError(.serviceUnavailable, "broker_unavailable", error.message)
                case .refused: throw APIError(.badGateway, "broker_refused", error.message)
                }
            }
        }
    }
}
