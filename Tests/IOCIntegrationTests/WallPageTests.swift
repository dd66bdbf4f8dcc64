import Foundation
import Hummingbird
import HummingbirdTesting
import IOCAPI
import IOCStorage
import Logging
import PostgresNIO
import Prometheus
import Testing

@Suite("Wall page (/wall, /wall/{name}, /wall/assets/{file}) through the router")
struct WallPageTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The wall routes read files only: the store's client is never run, so no database is needed.
    func withRouter(dashboards: URL = repository.appendingPathComponent("dashboards"),
                    _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        let logger = Logger(label: "wall-test")
        let client = PostgresClient(configuration: .init(host: "127.0.0.1", username: "unused", password: nil, database: nil, tls: .disable))
        let endpoints = DashboardEndpoints(store: DashboardStore(client: client, logger: logger), layouts: DashboardLayouts(directory: dashboards))
        let router = APIServer.makeRouter(readiness: ReadinessChecks([]), metrics: PrometheusCollectorRegistry(), access: testAccess(client), dashboard: endpoints)
        try await Application(router: router).test(.router, body)
    }

    @Test("every layout has the page; its script and style have their content types and a Cache-Control; /wall lists the layouts")
    func page() async throws {
        try await withRouter { http in
            for name in ["province-overview", "flood-watch", "air-quality", "traffic"] {
                let response = try await http.execute(uri: "/wall/\(name)", method: .get)
                #expect(response.status == .ok, "\(name)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.cacheControl] == "no-cache")
                let html = String(buffer: response.body)
                #expect(html.contains("/wall/assets/wall.js") && html.contains("/wall/assets/wall.css"))
                // Offline rooms: nothing may come from another host.
                #expect(!html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"))
            }
            for (file, type) in [("wall.js", "text/javascript; charset=utf-8"), ("wall.css", "text/css; charset=utf-8")] {
                let response = try await http.execute(uri: "/wall/assets/\(file)", method: .get)
                #expect(response.status == .ok, "\(file)")
                #expect(response.headers[.contentType] == type)
                #expect(response.headers[.cacheControl]?.hasPrefix("public, max-age=") == true)
                #expect(!String(buffer: response.body).contains("https://"), "\(file) must not load anything from the internet")
            }
            let list = try await http.execute(uri: "/wall", method: .get)
            #expect(list.status == .ok)
            for name in ["province-overview", "flood-watch", "air-quality", "traffic"] {
                #expect(String(buffer: list.body).contains("href=\"/wall/\(name)\""))
            }
        }
    }

    @Test("an unknown layout is a 404 page that lists the layouts and does not echo markup")
    func unknownLayout() async throws {
        try await withRouter { http in
            for path in ["no-such-wall", "Flood-Watch", "flood-watch.json", "%3Cscript%3Ealert(1)%3C%2Fscript%3E"] {
                let response = try await http.execute(uri: "/wall/\(path)", method: .get)
                #expect(response.status == .notFound, "\(path)")
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                let html = String(buffer: response.body)
                #expect(html.contains("href=\"/wall/flood-watch\"") && html.contains("href=\"/wall/province-overview\""), "\(path)")
                #expect(!html.contains("<script>"), "\(path)")
            }
        }
    }

    @Test("asset names cannot leave dashboards/wall/ nor serve files of other kinds")
    func assetNames() async throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("wall-\(UUID().uuidString)")
        let dashboards = base.appendingPathComponent("dashboards")
        let wall = dashboards.appendingPathComponent("wall")
        try FileManager.default.createDirectory(at: wall, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: base) }
        try Data("SECRET".utf8).write(to: base.appendingPathComponent("secret.js"))
        try Data(#"{"name":"ok","title_vi":"SECRET","widgets":[]}"#.utf8).write(to: dashboards.appendingPathComponent("ok.json"))
        try Data("SECRET".utf8).write(to: wall.appendingPathComponent(".hidden.js"))
        try Data("SECRET".utf8).write(to: wall.appendingPathComponent("run.sh"))
        try Data("SECRET".utf8).write(to: wall.appendingPathComponent("wall.js.bak"))
        try Data("console.log(1)".utf8).write(to: wall.appendingPathComponent("wall.js"))
        try await withRouter(dashboards: dashboards) { http in
            #expect(try await http.execute(uri: "/wall/assets/wall.js", method: .get).status == .ok)
            for path in ["..%2Fok.json", "..%2F..%2Fsecret.js", "%2E%2E%2F%2E%2E%2Fsecret.js", "..%5C..%5Csecret.js", ".hidden.js", "run.sh",
                         "wall.js.bak", "missing.js", "wall.js%00.css", "", "..", "../../secret.js", "x/../../secret.js"] {
                let response = try await http.execute(uri: "/wall/assets/\(path)", method: .get)
                #expect(response.status == .notFound, "\(path): \(response.status)")
                #expect(!String(buffer: response.body).contains("SECRET"), "\(path)")
            }
            // A layout without the page's files: a 404 that says what is missing.
            let page = try await http.execute(uri: "/wall/ok", method: .get)
            #expect(page.status == .notFound)
            #expect(String(buffer: page.body).contains("wall.html"))
        }
    }
}
