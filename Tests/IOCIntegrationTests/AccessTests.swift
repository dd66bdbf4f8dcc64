import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAlerting
import IOCAPI
import IOCCore
import IOCIngest
import IOCStorage
import Logging
import PostgresNIO
import Prometheus
import Testing

/// Tokens and roles through the router, against a real PostgreSQL: the authorization matrix is
/// generated from the router's own routes, so a route added without a policy entry fails here.
@Suite("API tokens, roles and the authorization matrix", .serialized)
struct AccessTests {
    let env: TestEnvironment

    init() throws { env = try TestEnvironment.load() }

    struct ErrorBody: Decodable {
        struct Detail: Decodable { var code: String; var message: String }
        var error: Detail
    }

    /// Every endpoint group, as `ioc serve` assembles them (the pipeline is not run: no request here reaches it).
    func makeRouter(_ client: PostgresClient, metricsOpen: Bool = false) throws -> Router<APIRequestContext> {
        let logger = env.logger
        let pipeline = AlertPipeline(client: client, configuration: .init(shards: 1, tickInterval: .seconds(1), reloadInterval: .seconds(3600)),
                                     pager: Pager(logger: logger, cipher: env.dataCipher), logger: logger)
        let layouts = DashboardLayouts(directory: DashboardAPITests.repository.appendingPathComponent("dashboards"))
        return APIServer.makeRouter(
            readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client, metricsOpen: metricsOpen),
            rules: RuleStore(client: client, logger: logger),
            alerting: AlertingEndpoints(pipeline: pipeline, alerts: AlertStore(client: client, logger: logger, cipher: env.dataCipher),
                                        silences: SilenceStore(client: client, logger: logger), paging: PagingStore(client: client, logger: logger, cipher: env.dataCipher)),
            dashboard: DashboardEndpoints(store: DashboardStore(client: client, logger: logger), layouts: layouts),
            live: LiveHub(client: client, configuration: .init(), logger: logger),
            gateways: GatewayAdministration(
                store: GatewayStore(client: client, logger: logger),
                accounts: GatewayAccounts(transport: DynamicSecurityClient(endpoint: try MQTTEndpoint(url: env.mqttURL))),
                audit: AuditLog(client: client, logger: logger), logger: logger))
    }

    /// A concrete URI for a route path: `{id}` → 999999, `{name}`, `{code}` → a name nothing has.
    static func uri(_ path: String) -> String {
        path.replacingOccurrences(of: "{id}", with: "999999").replacingOccurrences(of: "{name}", with: "no-such-name")
            .replacingOccurrences(of: "{file}", with: "wall.js").replacingOccurrences(of: "{code}", with: "NO-SUCH-GW")
    }

    @Test("every route × no token, a bad, expired or revoked token, and every role: 401, 403 or through, as the policy says")
    func matrix() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            var made: [Role: String] = [:]
            for role in Role.allCases { made[role] = try await makeToken(client, role, name: "matrix-\(role.rawValue)") }
            let tokens = made
            let expired = try await makeToken(client, .admin, name: "matrix-expired")
            try await client.query("UPDATE api_tokens SET expires_at = now() - interval '1 minute' WHERE name = 'matrix-expired'")
            let revoked = try await makeToken(client, .admin, name: "matrix-revoked")
            _ = try await APITokenStore(client: client, logger: env.logger).revoke(name: "matrix-revoked")
            let forged = "ioc_" + String(repeating: "A", count: 43)

            let router = try makeRouter(client)
            let routes = router.routes.map { (method: $0.method.rawValue, path: $0.path.description) }
            let policy = RoutePolicy(metricsOpen: false)
            #expect(routes.count >= 40)
            // Every route has a policy entry, and every entry is a route.
            for route in routes {
                #expect(policy.requirement(method: route.method, path: route.path) != nil,
                        "\(route.method) \(route.path) has no entry in RoutePolicy.table: decide who may call it")
            }
            let served = Set(routes.map { "\($0.method) \($0.path)" })
            for entry in RoutePolicy.table.keys { #expect(served.contains(entry), "RoutePolicy.table names \(entry), which is not a route") }

            try await Application(router: router).test(.router) { http in
                for route in routes {
                    let uri = Self.uri(route.path)
                    let method = HTTPRequest.Method(route.method)!
                    let requirement = policy.requirement(method: route.method, path: route.path)
                    let needsToken = requirement != .open
                    func call(_ token: String?) async throws -> TestResponse {
                        var headers: HTTPFields = [:]
                        if let token { headers[.authorization] = "Bearer \(token)" }
                        return try await http.execute(uri: uri, method: method, headers: headers, body: nil)
                    }
                    for (label, token) in [("no token", nil), ("a forged token", forged), ("an expired token", expired), ("a revoked token", revoked)] as [(String, String?)] {
                        let response = try await call(token)
                        if needsToken {
                            #expect(response.status == .unauthorized, "\(route.method) \(uri) with \(label): \(response.status)")
                            #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
                            let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(buffer: response.body))
                            #expect(body?.error.code == "unauthorized", "\(route.method) \(uri): the API's error shape")
                        } else {
                            #expect(response.status != .unauthorized && response.status != .forbidden, "\(route.method) \(uri) is open")
                        }
                    }
                    for role in Role.allCases {
                        let response = try await call(tokens[role])
                        let allowed = policy.decide(method: route.method, path: route.path,
                                                    grant: AccessGrant(tokenID: 0, name: "x", role: role)) == .allow
                        if allowed {
                            #expect(response.status != .unauthorized && response.status != .forbidden,
                                    "\(role) may \(route.method) \(uri), got \(response.status): \(String(buffer: response.body))")
                        } else {
                            #expect(response.status == .forbidden, "\(role) may not \(route.method) \(uri), got \(response.status)")
                        }
                    }
                }
            }
        }
    }

    @Test("the roles' boundaries that matter: display reads the wall's data only, operators act on alerts, admins configure")
    func boundaries() {
        let policy = RoutePolicy(metricsOpen: true)
        func allowed(_ role: Role, _ method: String, _ path: String) -> Bool {
            policy.decide(method: method, path: path, grant: AccessGrant(tokenID: 0, name: "x", role: role)) == .allow
        }
        for path in ["/api/v1/units", "/api/v1/stations", "/api/v1/stations.geojson", "/api/v1/sensors", "/api/v1/latest", "/api/v1/history",
                     "/api/v1/summary", "/api/v1/alerts", "/api/v1/dashboards", "/api/v1/dashboards/{name}", "/api/v1/live"] {
            #expect(allowed(.display, "GET", path), "\(path)")
        }
        for (method, path) in [("GET", "/api/v1/export"), ("GET", "/api/v1/rules"), ("GET", "/api/v1/alerts/{id}"), ("GET", "/api/v1/silences")] {
            #expect(!allowed(.display, method, path) && allowed(.viewer, method, path), "\(method) \(path)")
        }
        for action in ["acknowledge", "resolve", "assign", "comments"] {
            #expect(!allowed(.viewer, "POST", "/api/v1/alerts/{id}/\(action)") && allowed(.operator, "POST", "/api/v1/alerts/{id}/\(action)"))
        }
        for (method, path) in [("POST", "/api/v1/rules"), ("GET", "/api/v1/contacts"), ("POST", "/api/v1/tokens"), ("PUT", "/api/v1/rotas/{id}")] {
            #expect(!allowed(.operator, method, path) && allowed(.admin, method, path), "\(method) \(path)")
        }
    }

    @Test("/api/v1/tokens: an admin creates a token (its secret shown once, only its hash stored), lists and revokes it; revoked, it is refused at once")
    func tokensAPI() async throws {
        try await env.withFreshDatabase { client, _ in
            _ = try await RegistryImporter(client: client, logger: env.logger).importRegistry(testRegistry)
            let admin = try await makeToken(client, .admin, name: "root")
            try await Application(router: try makeRouter(client, metricsOpen: true)).test(.router) { raw in
                let http = AuthorizedClient(raw, token: admin)
                var response = try await http.execute(uri: "/api/v1/tokens", method: .post,
                                                      body: ByteBuffer(string: #"{"name":"wall-1","role":"display","expires_days":30}"#))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                let created = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                let secret = try #require(created["secret"] as? String)
                let token = try #require(created["token"] as? [String: Any])
                #expect(secret.hasPrefix("ioc_") && secret.count == 47)
                #expect(token["role"] as? String == "display" && token["unit"] is NSNull && token["valid"] as? Bool == true)
                #expect(token["prefix"] as? String == String(secret.prefix(12)))
                #expect(token["expires_at"] is String && token["revoked_at"] is NSNull)

                // Only the digest is stored.
                let stored = try await count(client, "SELECT count(*) FROM api_tokens WHERE name = 'wall-1' AND token_sha256 = sha256(convert_to('\(secret)', 'UTF8'))")
                #expect(stored == 1)
                let plain = try await count(client, "SELECT count(*) FROM api_tokens WHERE position('\(secret)' in row(api_tokens.*)::text) > 0")
                #expect(plain == 0)

                // The new token works at once, within its role.
                let wall = AuthorizedClient(raw, token: secret)
                #expect(try await wall.execute(uri: "/api/v1/units", method: .get).status == .ok)
                #expect(try await wall.execute(uri: "/api/v1/rules", method: .get).status == .forbidden)
                #expect(try await wall.execute(uri: "/metrics", method: .get).status == .ok, "metrics are open in this router")

                // Refused requests say why, with the field.
                for (body, field) in [(#"{"name":"wall-1","role":"display"}"#, "name"), (#"{"name":"x","role":"root"}"#, "role"),
                                      (#"{"name":"x","role":"admin","unit":"T-A"}"#, "unit"), (#"{"name":"x","role":"viewer","unit":"NO-SUCH"}"#, "unit"), (#"{"name":"x","role":"viewer","expires_days":0}"#, "expires_days")] {
                    response = try await http.execute(uri: "/api/v1/tokens", method: .post, body: ByteBuffer(string: body))
                    #expect(response.status == .badRequest, "\(body)")
                    let detail = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: [String: String]])
                    #expect(detail["error"]?["field"] == field, "\(body)")
                }

                response = try await http.execute(uri: "/api/v1/tokens", method: .get)
                let listed = String(buffer: response.body)
                #expect(listed.contains("\"wall-1\"") && listed.contains("\"root\"") && !listed.contains(secret))

                response = try await http.execute(uri: "/api/v1/tokens/wall-1", method: .delete)
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"valid\":false"))
                #expect(try await wall.execute(uri: "/api/v1/units", method: .get).status == .unauthorized)
                #expect(try await http.execute(uri: "/api/v1/tokens/nobody", method: .delete).status == .notFound)
                #expect(try await http.execute(uri: "/api/v1/tokens/root", method: .delete).status == .conflict, "an admin does not revoke the token it uses")
                #expect(try await http.execute(uri: "/api/v1/tokens", method: .get).status == .ok)
            }
        }
    }

    @Test("last_used_at is written on first use, then not again within the interval")
    func lastUsed() async throws {
        try await env.withFreshDatabase { client, _ in
            let secret = try await makeToken(client, .viewer, name: "reader")
            let authenticator = TokenAuthenticator(store: APITokenStore(client: client, logger: env.logger), logger: env.logger)
            #expect(try await count(client, "SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL") == 0)
            guard case .granted(let grant) = try await authenticator.authenticate(secret) else { Issue.record("refused"); return }
            #expect(grant.name == "reader" && grant.role == .viewer && grant.unit == nil)
            #expect(try await count(client, "SELECT count(*) FROM api_tokens WHERE last_used_at IS NOT NULL") == 1)
            try await client.query("UPDATE api_tokens SET last_used_at = '2000-01-01T00:00:00Z'")
            for _ in 0..<20 { _ = try await authenticator.authenticate(secret) }
            #expect(try await count(client, "SELECT count(*) FROM api_tokens WHERE last_used_at = '2000-01-01T00:00:00Z'") == 1,
                    "not written again within a minute")
            #expect(try await authenticator.authenticate("ioc_" + String(repeating: "B", count: 43)) == .refused("the token is unknown or revoked"))
            #expect(try await authenticator.authenticate("Bearer nonsense") != .granted(grant))
        }
    }
}
