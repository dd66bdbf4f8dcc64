import Foundation
import Hummingbird
import IOCAlerting
import IOCCore
import IOCStorage

/// The errors of the HTTP API, all with one JSON shape:
/// `{"error":{"code":"invalid_rule","message":"…","field":"condition.levels[1]"}}`.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var field: String?

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    var response: Response {
        var error: [String: String] = ["code": code, "message": message]
        if let field { error["field"] = field }
        return APIJSON.response(["error": error], status: status)
    }
}

/// The `:id` of a path: a positive integer.
func pathID(_ context: APIRequestContext) throws(APIError) -> Int64 {
    guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
        throw APIError(.badRequest, "invalid_id", "an id is a positive integer, not \(context.parameters.get("id") ?? "nothing")")
    }
    return id
}

enum APIJSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Timestamp(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded())).rfc3339)
        }
        let data = (try? encoder.encode(value)) ?? Data(#"{"error":{"code":"internal","message":"the response could not be encoded"}}"#.utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data + Data("\n".utf8))))
    }

    /// Reads a JSON body into `T`, with an error that names what is wrong and where.
    static func decode<T: Decodable>(_ type: T.Type, from request: Request, limit: Int = 1 << 20) async throws(APIError) -> T {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: limit) } catch {
            throw APIError(.contentTooLarge, "body_too_large", "the request body is over \(limit) bytes")
        }
        guard body.readableBytes > 0 else { throw APIError(.badRequest, "empty_body", "the request needs a JSON body") }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw describe(error)
        } catch let error as TokenValidationError {
            throw APIError(.badRequest, "invalid_token_request", error.message, field: error.field)
        } catch {
            throw APIError(.badRequest, "invalid_json", "the body is not valid JSON: \(error)")
        }
    }

    static func describe(_ error: DecodingError) -> APIError {
        func path(_ keys: [any CodingKey]) -> String {
            keys.reduce("") { partial, key in
                if let index = key.intValue { return partial + "[\(index)]" }
                return partial.isEmpty ? key.stringValue : partial + "." + key.stringValue
            }
        }
        switch error {
        case .keyNotFound(let key, let context):
            return APIError(.badRequest, "invalid_rule", "\(key.stringValue) is required", field: path(context.codingPath + [key]))
        case .typeMismatch(let type, let context):
            return APIError(.badRequest, "invalid_rule", "expected \(type) here: \(context.debugDescription)", field: path(context.codingPath))
        case .valueNotFound(let type, let context):
            return APIError(.badRequest, "invalid_rule", "expected \(type), found null", field: path(context.codingPath))
        case .dataCorrupted(let context):
            let field = path(context.codingPath)
            if field.isEmpty { return APIError(.badRequest, "invalid_json", "the body is not valid JSON: \(context.debugDescription)") }
            return APIError(.badRequest, "invalid_rule", context.debugDescription, field: field)
        @unknown default:
            return APIError(.badRequest, "invalid_json", "\(error)")
        }
    }
}

/// `/api/v1/rules`: list, get, create, update, enable/disable, delete. Every rule is validated
/// before it is stored; a rule that does not validate is refused with the field and the reason.
enum RulesAPI {
    struct RuleList: Encodable {
        var rules: [AlertRule]
    }

    static func addRoutes(to router: Router<APIRequestContext>, store: RuleStore, auditor: Auditor) {
        let rules = router.group("/api/v1/rules")
        rules.get { request, _ in
            await respond {
                let enabledOnly = request.uri.queryParameters.get("enabled") == "true"
                return APIJSON.response(RuleList(rules: try await store.list(enabledOnly: enabledOnly)))
            }
        }
        rules.post { request, context in
            await respond {
                let rule = try await APIJSON.decode(AlertRule.self, from: request)
                let stored = try await store.create(rule)
                try await auditor.record(context, "create", "rule", key: "\(stored.id ?? 0)", after: stored)
                return APIJSON.response(stored, status: .created)
            }
        }
        rules.get(":id") { _, context in
            await respond {
                let id = try pathID(context)
                guard let rule = try await store.get(id) else { throw notFound(id) }
                return APIJSON.response(rule)
            }
        }
        rules.put(":id") { request, context in
            await respond {
                let id = try pathID(context)
                let rule = try await APIJSON.decode(AlertRule.self, from: request)
                let before = try await store.get(id)
                guard let stored = try await store.update(id, with: rule) else { throw notFound(id) }
                try await auditor.record(context, "update", "rule", key: "\(id)", before: before, after: stored)
                return APIJSON.response(stored)
            }
        }
        for (path, enabled) in [("enable", true), ("disable", false)] {
            rules.post(":id/\(path)") { _, context in
                await respond {
                    let id = try pathID(context)
                    let before = try await store.get(id)
                    guard let stored = try await store.setEnabled(id, enabled) else { throw notFound(id) }
                    try await auditor.record(context, path, "rule", key: "\(id)", before: before, after: stored)
                    return APIJSON.response(stored)
                }
            }
        }
        rules.delete(":id") { _, context in
            await respond {
                let id = try pathID(context)
                let before = try await store.get(id)
                guard try await store.delete(id) else { throw notFound(id) }
                try await auditor.record(context, "delete", "rule", key: "\(id)", before: before)
                return Response(status: .noContent)
            }
        }
    }

    static func notFound(_ id: Int64) -> APIError {
        APIError(.notFound, "not_found", "there is no rule \(id)")
    }

    /// Runs a handler and turns its errors into the API's JSON errors.
    static func respond(_ body: () async throws -> Response) async -> Response {
        do {
            do {
                return try await body()
            } catch {
                throw underlyingError(error)
            }
        } catch let error as APIError {
            return error.response
        } catch let error as RuleValidationError {
            return APIError(.badRequest, "invalid_rule", error.message, field: error.field).response
        } catch let error as TokenValidationError {
            return APIError(.badRequest, "invalid_token_request", error.message, field: error.field).response
        } catch let error as PagingValidationError {
            return APIError(.badRequest, "invalid_paging", error.message, field: error.field).response
        } catch let error as DataCipherError {
            // No key, or data that does not open: the server's configuration, not the request.
            return APIError(.serviceUnavailable, "personal_data_unavailable", error.message).response
        } catch let error as AlertActionError {
            switch error.code {
            case .notFound: return APIError(.notFound, "not_found", error.message).response
            case .conflict: return APIError(.conflict, "conflict", error.message).response
            }
        } catch {
            if let message = error.invalidTextMessage { return APIError(.badRequest, "invalid_text", message).response }
            return APIError(.serviceUnavailable, "storage_unavailable", "the data could not be read or stored: \(error.databaseSummary); try again shortly").response
        }
    }
}
