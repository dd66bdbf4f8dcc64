import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import IOCAPI
import IOCCore
import IOCStorage
import Logging
import NIOCore
import PostgresNIO
import Prometheus
import Synchronization
import Testing

/// Keeps every log line (message and metadata) in its `CapturedLog`.
struct CapturingLogHandler: LogHandler {
    let store: CapturedLog
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        store.lines.withLock { $0.append("\(event.level) \(event.message) \(all) \(event.error.map { "\($0)" } ?? "")") }
    }
}

/// Every line logged through `logger`, in memory.
final class CapturedLog: Sendable {
    let lines = Mutex<[String]>([])
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
    var logger: Logger {
        var logger = Logger(label: "captured") { _ in CapturingLogHandler(store: self) }
        logger.logLevel = .trace
        return logger
    }
}

/// The HTTP API's limits and browser policy, through the router (and a live server for the
/// header limit), against a real PostgreSQL.
@Suite("HTTP hardening: body and header limits, rate limits, CORS, security headers", .serialized)
struct HardeningTests {
    let env: TestEnvironment
    init() throws { env = try TestEnvironment.load() }

    static let allowedOrigin = "https://ioc.phuyen.example.vn"

    func makeRouter(_ client: PostgresClient, _ hardening: HTTPHardening) -> Router<APIRequestContext> {
        let access = AccessControl(authenticator: TokenAuthenticator(store: APITokenStore(client: client, logger: env.logger), logger: env.logger),
                                   audit: AuditLog(client: client, logger: env.logger), rateLimit: hardening.rateLimit)
        let layouts = DashboardLayouts(directory: DashboardAPITests.repository.appendingPathComponent("dashboards"))
        return APIServer.makeRouter(
            readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: access, rules: RuleStore(client: client, logger: env.logger),
            dashboard: DashboardEndpoints(store: DashboardStore(client: client, logger: env.logger), layouts: layouts), hardening: hardening)
    }

    func errorCode(_ response: TestResponse) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
        return (object?["error"] as? [String: Any])?["code"] as? String
    }

    @Test("a body over the limit is 413 in the API's error shape; one under it goes on")
    func bodyLimit() async throws {
        try await env.withFreshDatabase { client, _ in
            let token = try await makeToken(client, .admin)
            try await Application(router: makeRouter(client, HTTPHardening(maxBodyBytes: 1024))).test(.router) { raw in
                let http = AuthorizedClient(raw, token: token)
                var response = try await http.execute(uri: "/api/v1/rules", method: .post, body: ByteBuffer(string: "{\"name\":\"" + String(repeating: "x", count: 2000) + "\"}"))
                #expect(response.status == .contentTooLarge)
                #expect(errorCode(response) == "body_too_large")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                response = try await http.execute(uri: "/api/v1/rules", method: .post, body: ByteBuffer(string: #"{"name":"x"}"#))
                #expect(response.status == .badRequest, "under the limit: the rule's own validation answers")
            }
        }
    }

    @Test("over the rate, 429 with Retry-After; each token has its own bucket, requests without a valid one share their address's")
    func rateLimit() async throws {
        try await env.withFreshDatabase { client, _ in
            let first = try await makeToken(client, .display), second = try await makeToken(client, .display)
            let hardening = HTTPHardening(rateLimit: .init(rate: 0.5, burst: 3))
            try await Application(router: makeRouter(client, hardening)).test(.router) { raw in
                let http = AuthorizedClient(raw, token: first)
                for _ in 0..<3 { #expect(try await http.execute(uri: "/api/v1/units", method: .get).status == .ok) }
                let refused = try await http.execute(uri: "/api/v1/units", method: .get)
                #expect(refused.status == .tooManyRequests)
                #expect(refused.headers[.retryAfter] == "2")
                #expect(errorCode(refused) == "rate_limited")
                #expect(String(buffer: refused.body).contains("the token"))
                #expect(try await AuthorizedClient(raw, token: second).execute(uri: "/api/v1/units", method: .get).status == .ok)
                // Guessing tokens is limited too: refused tokens count against the address.
                let guesser = AuthorizedClient(raw, token: "ioc_" + String(repeating: "B", count: 43))
                for _ in 0..<3 { #expect(try await guesser.execute(uri: "/api/v1/units", method: .get).status == .unauthorized) }
                #expect(try await guesser.execute(uri: "/api/v1/units", method: .get).status == .tooManyRequests)
                #expect(try await raw.execute(uri: "/healthz", method: .get).status == .tooManyRequests, "the same address, no token")
            }
            // 0 turns it off.
            try await Application(router: makeRouter(client, HTTPHardening(rateLimit: .off))).test(.router) { raw in
                for _ in 0..<50 {
                    let response = try await raw.execute(uri: "/healthz", method: .get)
                    #expect(response.status == .ok)
                }
            }
        }
    }

    @Test("CORS: only configured origins get the headers; preflights answered, refused for other origins; none by default")
    func cors() async throws {
        try await env.withFreshDatabase { client, _ in
            let token = try await makeToken(client, .display)
            try await Application(router: makeRouter(client, HTTPHardening(corsOrigins: [Self.allowedOrigin]))).test(.router) { raw in
                let http = AuthorizedClient(raw, token: token)
                var response = try await http.execute(uri: "/api/v1/units", method: .get, headers: [.origin: Self.allowedOrigin])
                #expect(response.status == .ok)
                #expect(response.headers[.accessControlAllowOrigin] == Self.allowedOrigin)
                #expect(response.headers[.vary] == "Origin")
                response = try await http.execute(uri: "/api/v1/units", method: .get, headers: [.origin: "https://evil.example.com"])
                #expect(response.status == .ok, "the browser, not the server, withholds the answer")
                #expect(response.headers[.accessControlAllowOrigin] == nil)

                response = try await raw.execute(uri: "/api/v1/rules", method: .options,
                                                 headers: [.origin: Self.allowedOrigin, .accessControlRequestMethod: "POST",
                                                           .accessControlRequestHeaders: "authorization, content-type"])
                #expect(response.status == .noContent)
                #expect(response.headers[.accessControlAllowOrigin] == Self.allowedOrigin)
                #expect(response.headers[.accessControlAllowMethods]?.contains("POST") == true)
                #expect(response.headers[.accessControlAllowHeaders]?.contains("Authorization") == true)
                response = try await raw.execute(uri: "/api/v1/rules", method: .options,
                                                 headers: [.origin: "https://evil.example.com", .accessControlRequestMethod: "POST"])
                #expect(response.status == .forbidden)
                #expect(errorCode(response) == "origin_not_allowed")
                #expect(response.headers[.accessControlAllowOrigin] == nil)
            }
            try await Application(router: makeRouter(client, HTTPHardening())).test(.router) { raw in
                let response = try await AuthorizedClient(raw, token: token).execute(uri: "/api/v1/units", method: .get, headers: [.origin: Self.allowedOrigin])
                #expect(response.status == .ok && response.headers[.accessControlAllowOrigin] == nil && response.headers[.vary] == nil)
            }
        }
        #expect(throws: HardeningSettingError.self) { try HTTPHardening.parseOrigins("*") }
        #expect(throws: HardeningSettingError.self) { try HTTPHardening.parseOrigins("https://ioc.example.vn/") }
        #expect((try? HTTPHardening.parseOrigins(" https://A.example.vn, http://localhost:3000 ") ) == ["https://a.example.vn", "http://localhost:3000"])
    }

    @Test("the wall's pages and files carry a content security policy, no referrer, no framing, nosniff; the API nosniff", arguments: [
        "/wall", "/wall/province-overview", "/wall/no-such-layout", "/wall/assets/wall.js", "/wall/assets/wall.css",
    ])
    func wallHeaders(path: String) async throws {
        try await env.withFreshDatabase { client, _ in
            try await Application(router: makeRouter(client, HTTPHardening())).test(.router) { raw in
                let response = try await raw.execute(uri: path, method: .get)
                let policy = try #require(response.headers[.contentSecurityPolicy])
                for directive in ["default-src 'none'", "script-src 'self';", "frame-ancestors 'none'", "base-uri 'none'",
                                  "connect-src 'self'"] {
                    #expect(policy.contains(directive), "\(directive) in \(policy)")
                }
                #expect(!policy.contains("script-src 'self' 'unsafe-inline'"))
                #expect(response.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer")
                #expect(response.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                let api = try await raw.execute(uri: "/api/v1/units", method: .get)
                #expect(api.status == .unauthorized && api.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }

    @Test("a header section over the limit does not get through; a normal request does")
    func headerLimit() async throws {
        try await env.withFreshDatabase { client, _ in
            let app = APIServer.makeApplication(
                configuration: .init(host: "127.0.0.1", port: 0), readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(),
                access: testAccess(client), hardening: HTTPHardening(maxHeaderBytes: 4096), logger: env.logger)
            try await app.test(.live) { raw in
                let small = try await raw.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Small")!: "a"])
                #expect(small.status == .ok)
                let big = String(repeating: "b", count: 8192)
                do {
                    let response = try await raw.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Big")!: big])
                    #expect(response.status.code >= 400, "got \(response.status)")
                } catch {
                    // The parser closed the connection: the request went no further.
                }
            }
        }
    }

    @Test("no token reaches a log line, at trace level, whether sent as a header, in the live feed's query or refused")
    func noTokensInLogs() async throws {
        try await env.withFreshDatabase { client, _ in
            let log = CapturedLog()
            let logger = log.logger
            let token = try await makeToken(client, .display)
            let access = AccessControl(authenticator: TokenAuthenticator(store: APITokenStore(client: client, logger: logger), logger: logger),
                                       audit: AuditLog(client: client, logger: logger), rateLimit: .init(rate: 1, burst: 2))
            let layouts = DashboardLayouts(directory: DashboardAPITests.repository.appendingPathComponent("dashboards"))
            let router = APIServer.makeRouter(
                readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: access,
                dashboard: DashboardEndpoints(store: DashboardStore(client: client, logger: logger), layouts: layouts),
                live: LiveHub(client: client, configuration: .init(), logger: logger))
            let forged = "ioc_" + String(repeating: "C", count: 43)
            try await Application(router: router, logger: logger).test(.router) { raw in
                for secret in [token, forged] {
                    _ = try await AuthorizedClient(raw, token: secret).execute(uri: "/api/v1/units", method: .get)
                    _ = try await raw.execute(uri: "/api/v1/live?access_token=\(secret)", method: .get)
                    _ = try await raw.execute(uri: "/wall/province-overview?token=\(secret)", method: .get)
                    _ = try await AuthorizedClient(raw, token: secret).execute(uri: "/api/v1/units", method: .get)
                }
            }
            let text = log.text
            #expect(text.contains("trace") || text.contains("debug"), "the log was captured: \(log.lines.withLock { $0.count }) lines")
            #expect(!text.contains(token) && !text.contains(forged) && !text.contains(String(token.prefix(16))))
        }
    }
}
