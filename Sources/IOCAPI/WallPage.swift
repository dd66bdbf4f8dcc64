import Foundation
import Hummingbird
import HTTPTypes

/// The wall-display web page: `GET /wall` lists the layouts, `GET /wall/{name}` is the page for the
/// layout `name` (one HTML file whatever the layout: its script reads the layout from
/// `/api/v1/dashboards/{name}`), `GET /wall/assets/{file}` its scripts and styles. The files live in
/// `wall/` of the dashboards directory, beside the layouts, so that a room that is offline needs
/// nothing but the IOC.
enum WallPage {
    /// What an asset may be; anything else is 404 even if the file exists.
    static let contentTypes: [String: String] = [
        "html": "text/html; charset=utf-8",
        "js": "text/javascript; charset=utf-8",
        "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml",
        "png": "image/png",
        "woff2": "font/woff2",
        "json": "application/json; charset=utf-8",
    ]
    /// Short: a browser that reloads the page after a deployment gets the new assets within minutes.
    static let assetCacheControl = "public, max-age=300"

    /// What the wall page loads: its own script, styles and API (and the live feed's WebSocket on
    /// the same host); styles also inline (the widgets colour their bars), nothing else.
    static func contentSecurityPolicy(host: String?) -> String {
        let sockets = host.map { " ws://\($0) wss://\($0)" } ?? ""
        return "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
            + "connect-src 'self'\(sockets); base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    }

    /// The host the page was asked for, when it is a plain `host[:port]` that may go into the policy.
    static func plainHost(_ authority: String?) -> String? {
        guard let authority, !authority.isEmpty, authority.utf8.count <= 255,
              authority.utf8.allSatisfy({ isNameByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]") })
        else { return nil }
        return authority
    }

    /// Every answer under `/wall`: the security headers. The wall's URL carries a token on first
    /// open, hence no referrer; nothing may frame the page.
    static func secured(_ response: Response, _ request: Request) -> Response {
        var response = response
        response.headers[.contentSecurityPolicy] = contentSecurityPolicy(host: plainHost(request.head.authority))
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[referrerPolicy] = "no-referrer"
        response.headers[xFrameOptions] = "DENY"
        return response
    }

    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let xFrameOptions = HTTPField.Name("X-Frame-Options")!

    static func addRoutes(to router: Router<APIRequestContext>, layouts: DashboardLayouts) {
        let group = router.group().add(middleware: WallHeadersMiddleware())
        addPages(to: group, layouts: layouts)
    }

    static func addPages(to router: RouterGroup<APIRequestContext>, layouts: DashboardLayouts) {
        let files = FileIO()
        let folder = layouts.directory.appendingPathComponent("wall", isDirectory: true)

        router.get("/wall") { _, _ in
            htmlPage(status: .ok, title: "IOC — màn hình tường / wall displays",
                     text: "Màn hình tường / wall displays:", layouts: layouts.list().map(\.name))
        }

        router.get("/wall/assets/:file") { _, context in
            let file = context.parameters.get("file") ?? ""
            guard let type = assetType(file) else {
                return plainNotFound("there is no wall asset \(file)")
            }
            do {
                let body = try await files.loadFile(path: folder.appendingPathComponent(file).path, context: context)
                return Response(status: .ok, headers: [.contentType: type, .cacheControl: assetCacheControl], body: body)
            } catch {
                return plainNotFound("there is no wall asset \(file)")
            }
        }

        router.get("/wall/:name") { _, context in
            let name = context.parameters.get("name") ?? ""
            guard DashboardLayouts.isValidName(name), (try? layouts.layout(name)) != nil else {
                return htmlPage(status: .notFound, title: "IOC — không có màn hình / no such wall display",
                                text: "Không có bố cục “\(name)” / there is no layout “\(name)”. Các bố cục / layouts:",
                                layouts: layouts.list().map(\.name))
            }
            do {
                let body = try await files.loadFile(path: folder.appendingPathComponent("wall.html").path, context: context)
                // The page itself is never cached: it is small and names the assets to load.
                return Response(status: .ok, headers: [.contentType: contentTypes["html"]!, .cacheControl: "no-cache"], body: body)
            } catch {
                return plainNotFound("the wall page is missing: \(folder.path)/wall.html (the dashboards directory has no wall/ folder)")
            }
        }
    }

    /// The content type of an asset name, nil unless it is a plain file name (letters, digits, `-`,
    /// `_`, one `.` before a known extension): no path, no `..`, no hidden file.
    static func assetType(_ file: String) -> String? {
        let parts = file.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let base = parts.first, let ext = parts.last, (1...64).contains(base.utf8.count),
              base.utf8.allSatisfy({ isNameByte($0) }), base.utf8.first != UInt8(ascii: "-") else { return nil }
        return contentTypes[String(ext)]
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// Adds `secured`'s headers to every answer of the wall's routes.
    struct WallHeadersMiddleware: RouterMiddleware {
        typealias Context = APIRequestContext
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            secured(try await next(request, context), request)
        }
    }

    static func plainNotFound(_ message: String) -> Response {
        Response(status: .notFound, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
    }

    /// A small page in the wall's colours: a line of text and a link per layout.
    static func htmlPage(status: HTTPResponse.Status, title: String, text: String, layouts: [String]) -> Response {
        let links = layouts.map { "<li><a href=\"/wall/\(escape($0))\">\(escape($0))</a></li>" }.joined()
        let html = """
            <!doctype html>
            <html lang="vi"><head><meta charset="utf-8"><title>\(escape(title))</title>
            <style>body{background:#0b1118;color:#e6edf3;font:28px/1.4 sans-serif;margin:2em}a{color:#58a6ff}</style></head>
            <body><h1>\(escape(title))</h1><p>\(escape(text))</p><ul>\(links.isEmpty ? "<li>—</li>" : links)</ul></body></html>

            """
        return Response(status: status, headers: [.contentType: contentTypes["html"]!, .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
