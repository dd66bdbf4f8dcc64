import Foundation
import Hummingbird
import IOCCore
import Metrics
import Synchronization

/// The HTTP API's limits and browser policy: request body and header sizes, requests per token,
/// and the origins whose pages may call the API (CORS).
public struct HTTPHardening: Sendable {
    /// Largest request body, bytes: larger is `413` in the API's error shape.
    public var maxBodyBytes: Int
    /// Largest request header section (and header field), bytes: larger is a bare `400` from the
    /// HTTP parser, and the connection is closed.
    public var maxHeaderBytes: Int
    /// Requests per token (or per address, without a valid token).
    public var rateLimit: RateLimiter.Configuration
    /// Origins (`https://ioc.phuyen.gov.vn`) whose pages may call the API; empty: no CORS headers.
    public var corsOrigins: Set<String>

    public static let defaultMaxBodyBytes = 1 << 20
    public static let defaultMaxHeaderBytes = 32 * 1024
    public static let maxBodyRange = 1024...(64 << 20)
    public static let maxHeaderRange = 4096...(1 << 20)

    public init(maxBodyBytes: Int = defaultMaxBodyBytes, maxHeaderBytes: Int = defaultMaxHeaderBytes,
                rateLimit: RateLimiter.Configuration = .standard, corsOrigins: Set<String> = []) {
        self.maxBodyBytes = maxBodyBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.rateLimit = rateLimit
        self.corsOrigins = corsOrigins
    }

    /// The origins of `IOC_CORS_ORIGINS`: comma-separated `scheme://host[:port]`, exactly as
    /// browsers send them in `Origin` (no path, no trailing slash). `*` is refused: tokens
    /// would then be usable from any page.
    public static func parseOrigins(_ text: String) throws(HardeningSettingError) -> Set<String> {
        var origins: Set<String> = []
        for part in text.split(separator: ",") {
            let origin = part.trimmingCharacters(in: .whitespaces)
            if origin.isEmpty { continue }
            guard let url = URL(string: origin), let scheme = url.scheme, ["http", "https"].contains(scheme),
                  let host = url.host, !host.isEmpty, url.path.isEmpty, url.query == nil, url.fragment == nil, url.user == nil
            else {
                throw HardeningSettingError("'\(origin)' is not an origin; write scheme://host[:port] as the browser's Origin header shows it, like https://ioc.phuyen.gov.vn (no path, no trailing /, no *)")
            }
            origins.insert(origin.lowercased())
        }
        return origins
    }
}

public struct HardeningSettingError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The rate limiter shared by every request of a server, and the count of its refusals
/// (`ioc_http_rate_limited_total`).
public final class RequestRateLimiter: Sendable {
    private let limiter: Mutex<RateLimiter>
    private let start = ContinuousClock.now
    private let refusals = Counter(label: "ioc_http_rate_limited_total")
    public let configuration: RateLimiter.Configuration

    public init(_ configuration: RateLimiter.Configuration) {
        self.configuration = configuration
        limiter = Mutex(RateLimiter(configuration: configuration))
    }

    /// Nil when `key` may go on; otherwise the `429` to answer.
    func refusal(for key: String, tokenName: String?) -> Response? {
        guard !configuration.isOff else { return nil }
        let elapsed = ContinuousClock.now - start
        let now = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        guard case .refuse(let seconds) = limiter.withLock({ $0.take(key, at: now) }) else { return nil }
        refusals.increment()
        let who = tokenName.map { "the token \($0)" } ?? "this address without a valid token"
        var response = APIError(.tooManyRequests, "rate_limited",
                                "\(who) sent more than \(Int(configuration.burst)) requests at once or \(Self.format(configuration.rate)) per second; try again in \(seconds) s").response
        response.headers[.retryAfter] = "\(seconds)"
        return response
    }

    static func format(_ rate: Double) -> String {
        rate == rate.rounded() ? "\(Int(rate))" : "\(rate)"
    }
}

/// First on the router, for every request (matched or not): answers CORS preflights, refuses
/// bodies over the limit with `413`, and adds `X-Content-Type-Options: nosniff` (and, for an
/// allowed origin, the CORS headers) to every answer.
struct HTTPGuardMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let hardening: HTTPHardening

    static let allowedMethods = "GET, POST, PUT, DELETE"
    static let allowedHeaders = "Authorization, Content-Type"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin.flatMap { hardening.corsOrigins.contains($0.lowercased()) ? $0 : nil }
        if request.method == .options, let origin, request.headers[.accessControlRequestMethod] != nil {
            guard let allowed else {
                return decorate(APIError(.forbidden, "origin_not_allowed",
                                         "pages from \(origin) may not call this API; IOC_CORS_ORIGINS lists the origins that may").response, allowed: nil)
            }
            var response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = Self.allowedMethods
            response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
            response.headers[.accessControlMaxAge] = "600"
            return decorate(response, allowed: allowed)
        }
        var request = request
        let tooLarge = APIError(.contentTooLarge, "body_too_large",
                                "the request body is over \(hardening.maxBodyBytes) bytes (IOC_HTTP_MAX_BODY_BYTES)")
        if let length = request.headers[.contentLength].flatMap({ Int($0) }) {
            if length > hardening.maxBodyBytes { return decorate(tooLarge.response, allowed: allowed) }
        } else if [.post, .put, .patch].contains(request.method) {
            // No length given (chunked): read it here, up to the limit.
            do { _ = try await request.collectBody(upTo: hardening.maxBodyBytes) } catch {
                return decorate(tooLarge.response, allowed: allowed)
            }
        }
        let response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        }
        return decorate(response, allowed: allowed)
    }

    private func decorate(_ response: Response, allowed: String?) -> Response {
        var response = response
        response.headers[.xContentTypeOptions] = "nosniff"
        if let allowed {
            response.headers[.accessControlAllowOrigin] = allowed
            response.headers[.accessControlExposeHeaders] = "Retry-After, WWW-Authenticate"
        }
        if !hardening.corsOrigins.isEmpty { response.headers[.vary] = "Origin" }
        return response
    }
}
