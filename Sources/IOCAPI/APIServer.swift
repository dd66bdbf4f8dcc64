import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import IOCAlerting
import IOCStorage
import Logging
import Prometheus

/// What `/readyz` asks: each named dependency answers whether it is usable now.
public struct ReadinessChecks: Sendable {
    public var checks: [(name: String, check: @Sendable () async -> Bool)]

    public init(_ checks: [(name: String, check: @Sendable () async -> Bool)]) {
        self.checks = checks
    }
}

/// The HTTP side of IOC: health, readiness, Prometheus metrics, `/openapi.yaml` and `/api/v1`
/// (tokens, gateways, rules, alerting and paging, dashboards), every route behind the token check.
public enum APIServer {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 8080) {
            self.host = host
            self.port = port
        }
    }

    /// Every route is behind `AccessMiddleware`: the route policy of `IOCCore.RoutePolicy` decides
    /// who may call it.
    public static func makeRouter(readiness: ReadinessChecks, metrics: PrometheusCollectorRegistry, access: AccessControl,
                                  rules: RuleStore? = nil, alerting: AlertingEndpoints? = nil, dashboard: DashboardEndpoints? = nil,
                                  live: LiveHub? = nil, gateways: GatewayAdministration? = nil,
                                  hardening: HTTPHardening = .init()) -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        // Before any route: a router's middleware wraps only the routes added after it. Size
        // limits and CORS first (a preflight carries no token), then tokens and rate limits.
        router.add(middleware: HTTPGuardMiddleware(hardening: hardening))
        router.add(middleware: AccessMiddleware(access: access))
        TokensAPI.addRoutes(to: router, authenticator: access.authenticator, auditor: access.auditor)
        if let log = access.auditor.log { AuditAPI.addRoutes(to: router, log: log) }
        if let gateways { GatewaysAPI.addRoutes(to: router, administration: gateways) }
        if let live { LiveAPI.addFallback(to: router, hub: live) }
        if let rules { RulesAPI.addRoutes(to: router, store: rules, auditor: access.auditor) }
        if let dashboard {
            DashboardAPI.addRoutes(to: router, endpoints: dashboard)
            ExportAPI.addRoutes(to: router, store: dashboard.store)
        }
        if let alerting {
            AlertsAPI.addRoutes(to: router, endpoints: alerting, auditor: access.auditor)
            PagingAPI.addRoutes(to: router, store: alerting.paging, auditor: access.auditor)
        }
        if let dashboard { WallPage.addRoutes(to: router, layouts: dashboard.layouts) }
        router.get("/openapi.yaml") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.yaml)))
        }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            var results: [(String, Bool)] = []
            for (name, check) in readiness.checks {
                results.append((name, await check()))
            }
            let ready = results.allSatisfy(\.1)
            let body = "{" + results.map { "\"\($0.0)\":\($0.1 ? "true" : "false")" }.joined(separator: ",") + ",\"ready\":\(ready)}\n"
            return Response(status: ready ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/metrics") { _, _ in
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            metrics.emit(into: &buffer)
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
        return router
    }

    public static func makeApplication(configuration: Configuration, readiness: ReadinessChecks, metrics: PrometheusCollectorRegistry,
                                       access: AccessControl, rules: RuleStore? = nil, alerting: AlertingEndpoints? = nil,
                                       dashboard: DashboardEndpoints? = nil, live: LiveHub? = nil, gateways: GatewayAdministration? = nil,
                                       hardening: HTTPHardening = .init(),
                                       logger: Logger) -> some ApplicationProtocol {
        let webSockets = Router(context: BasicWebSocketRequestContext.self)
        if let live { LiveAPI.addRoutes(to: webSockets, hub: live, access: access) }
        // NIO's HTTP/1 parser refuses a header section over these sizes and closes the connection.
        let http1 = HTTP1Channel.Configuration(httpDecoderConfiguration: .init(
            maxHeaderFieldSize: hardening.maxHeaderBytes, maxHeaderListSize: hardening.maxHeaderBytes, maxHeaderFieldCount: 100))
        return Application(
            router: makeRouter(readiness: readiness, metrics: metrics, access: access, rules: rules, alerting: alerting, dashboard: dashboard, live: live,
                               gateways: gateways, hardening: hardening),
            // Frames we send may be large (a snapshot of thousands of values); what clients send is ignored.
            server: .http1WebSocketUpgrade(webSocketRouter: webSockets, configuration: .init(
                http1: http1, ws: .init(maxFrameSize: 1 << 22, autoPing: .enabled(timePeriod: .seconds(30))))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ioc"),
            logger: logger
        )
    }
}
