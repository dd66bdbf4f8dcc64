import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAPI
import IOCCore
import IOCStorage
import PostgresNIO
import Prometheus
import Testing

@Suite("/api/v1/rules through the router, stored in a real PostgreSQL", .serialized)
struct RulesAPITests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    struct RuleList: Decodable { var rules: [AlertRule] }
    struct ErrorBody: Decodable {
        struct Detail: Decodable { var code: String; var message: String; var field: String? }
        var error: Detail
    }

    /// The router over `client`'s database, called with an admin token.
    func withAPI(_ client: PostgresClient, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let router = APIServer.makeRouter(readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client),
                                          rules: RuleStore(client: client, logger: env.logger))
        let token = try await makeToken(client, .admin)
        try await Application(router: router).test(.router) { http in
            try await body(AuthorizedClient(http, token: token))
        }
    }

    static func json(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test("the shipped default rules are created, listed, read, updated, disabled and deleted")
    func lifecycle() async throws {
        let file = try Data(contentsOf: URL(fileURLWithPath: repoPath("deploy/sample/rules.json")))
        let shipped = try JSONDecoder().decode(RuleList.self, from: file).rules
        #expect(shipped.count >= 5)
        try await env.withFreshDatabase { client, _ in
            try await withAPI(client) { http in
                var ids: [Int64] = []
                for rule in shipped {
                    let body = String(decoding: try JSONEncoder().encode(rule), as: UTF8.self)
                    try await http.execute(uri: "/api/v1/rules", method: .post, body: Self.json(body)) { response in
                        #expect(response.status == .created, "\(rule.name): \(String(buffer: response.body))")
                        let created = try JSONDecoder().decode(AlertRule.self, from: Data(buffer: response.body))
                        #expect(created.name == rule.name && created.condition == rule.condition && created.scope == rule.scope)
                        ids.append(try #require(created.id))
                    }
                }
                try await http.execute(uri: "/api/v1/rules", method: .get) { response in
                    let list = try JSONDecoder().decode(RuleList.self, from: Data(buffer: response.body))
                    #expect(list.rules.map(\.name) == shipped.map(\.name))
                    #expect(list.rules.compactMap(\.id) == ids)
                }
                let first = ids[0]
                var renamed = shipped[0]
                renamed.name = "Flood alarm levels"
                renamed.forSeconds = 0
                try await http.execute(uri: "/api/v1/rules/\(first)", method: .put,
                                       body: Self.json(String(decoding: try JSONEncoder().encode(renamed), as: UTF8.self))) { response in
                    #expect(response.status == .ok)
                }
                try await http.execute(uri: "/api/v1/rules/\(first)", method: .get) { response in
                    let rule = try JSONDecoder().decode(AlertRule.self, from: Data(buffer: response.body))
                    #expect(rule.name == "Flood alarm levels" && rule.forSeconds == 0 && rule.id == first)
                }
                try await http.execute(uri: "/api/v1/rules/\(first)/disable", method: .post) { response in
                    let rule = try JSONDecoder().decode(AlertRule.self, from: Data(buffer: response.body))
                    #expect(rule.enabled == false)
                }
                try await http.execute(uri: "/api/v1/rules?enabled=true", method: .get) { response in
                    let list = try JSONDecoder().decode(RuleList.self, from: Data(buffer: response.body))
                    #expect(list.rules.count == shipped.count - 1 && !list.rules.contains { $0.id == first })
                }
                try await http.execute(uri: "/api/v1/rules/\(first)", method: .delete) { response in
                    #expect(response.status == .noContent)
                }
                try await http.execute(uri: "/api/v1/rules/\(first)", method: .get) { response in
                    #expect(response.status == .notFound)
                }
            }
            let stored = try await count(client, "SELECT count(*) FROM rules")
            #expect(stored == shipped.count - 1)
        }
    }

    @Test("importing the default rule set twice replaces by name; a set with one bad rule changes nothing")
    func importRuleSet() async throws {
        let shipped = try RuleStore.loadRuleSet(path: repoPath("deploy/sample/rules.json"))
        try await env.withFreshDatabase { client, _ in
            let store = RuleStore(client: client, logger: env.logger)
            let first = try await store.importRules(shipped)
            #expect(first.created == shipped.count && first.updated == 0)
            let again = try await store.importRules(shipped)
            #expect(again.created == 0 && again.updated == shipped.count)
            var bad = shipped
            bad[1].condition = .noData(.init(afterSeconds: 0))
            bad[0].name = "a new rule that must not be stored"
            await #expect(throws: StorageError.self) { _ = try await store.importRules(bad) }
            let names = try await store.list().map(\.name)
            #expect(names == shipped.map(\.name), "nothing changed")
        }
    }

    @Test("bad requests get a specific error with the field, and store nothing", arguments: [
        ("POST", "/api/v1/rules", "", 400, "empty_body", nil),
        ("POST", "/api/v1/rules", "{not json", 400, "invalid_json", nil),
        ("POST", "/api/v1/rules", #"{"name":"x","severity":"warning","scope":{"kind":"sensor","id":1}}"#, 400, "invalid_rule", "condition"),
        ("POST", "/api/v1/rules", #"{"name":"x","severity":"loud","scope":{"kind":"sensor","id":1},"condition":{"kind":"no_data","after_seconds":60}}"#, 400, "invalid_rule", "severity"),
        ("POST", "/api/v1/rules", #"{"name":"","severity":"warning","scope":{"kind":"sensor","id":1},"condition":{"kind":"no_data","after_seconds":60}}"#, 400, "invalid_rule", "name"),
        ("POST", "/api/v1/rules", #"{"name":"x","severity":"warning","scope":{"kind":"sensor","id":1},"condition":{"kind":"levels","direction":"above","levels":[{"name":"II","severity":"warning","threshold":{"value":3}},{"name":"III","severity":"critical","threshold":{"value":2}}]}}"#, 400, "invalid_rule", "condition.levels[1].threshold"),
        ("GET", "/api/v1/rules/abc", "", 400, "invalid_id", nil),
        ("GET", "/api/v1/rules/999", "", 404, "not_found", nil),
        ("PUT", "/api/v1/rules/999", #"{"name":"x","severity":"warning","scope":{"kind":"sensor","id":1},"condition":{"kind":"no_data","after_seconds":60}}"#, 404, "not_found", nil),
        ("DELETE", "/api/v1/rules/999", "", 404, "not_found", nil),
    ] as [(String, String, String, Int, String, String?)])
    func badRequests(method: String, uri: String, body: String, status: Int, code: String, field: String?) async throws {
        try await env.withFreshDatabase { client, _ in
            try await withAPI(client) { http in
                try await http.execute(uri: uri, method: HTTPRequest.Method(method)!, body: body.isEmpty ? nil : Self.json(body)) { response in
                    #expect(response.status.code == status)
                    let error = try JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body)).error
                    #expect(error.code == code, "\(error.message)")
                    #expect(error.field == field, "\(error.message)")
                    #expect(!error.message.isEmpty)
                }
            }
            let stored = try await count(client, "SELECT count(*) FROM rules")
            #expect(stored == 0)
        }
    }
}
