import Foundation
import Hummingbird
import IOCCore
import IOCStorage
import Logging
import Synchronization

/// Checks presented API tokens against `api_tokens`, from memory. The non-revoked tokens are
/// loaded at most `maxAge` ago (a token revoked through the API stops at once, through the CLI
/// within `maxAge`); an unknown token reloads them, at most once per `missReloadInterval`, so a
/// token just created elsewhere works at once. `last_used_at` is written at most once per
/// `touchInterval` per token, not on every request.
public final class TokenAuthenticator: Sendable {
    public struct Configuration: Sendable {
        public var maxAge: Duration
        public var missReloadInterval: Duration
        public var touchInterval: Duration

        public init(maxAge: Duration = .seconds(5), missReloadInterval: Duration = .seconds(1), touchInterval: Duration = .seconds(60)) {
            self.maxAge = maxAge
            self.missReloadInterval = missReloadInterval
            self.touchInterval = touchInterval
        }
    }

    public enum Outcome: Sendable, Equatable {
        case granted(AccessGrant)
        /// Why it is refused, for the 401's message: it names no secret.
        case refused(String)
    }

    public let store: APITokenStore
    let configuration: Configuration
    let logger: Logger

    private struct Snapshot: Sendable {
        var byPrefix: [String: [APITokenCredential]]
        var loadedAt: ContinuousClock.Instant
    }
    private struct State {
        var snapshot: Snapshot?
        var loading: Task<Snapshot, any Error>?
        var touched: [Int64: ContinuousClock.Instant] = [:]
    }
    private let state = Mutex(State())

    public init(store: APITokenStore, configuration: Configuration = .init(), logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    /// Forgets the loaded tokens: the next request loads them again (after a revocation).
    public func invalidate() {
        state.withLock { $0.snapshot = nil }
    }

    public func authenticate(_ secret: String) async throws -> Outcome {
        guard secret.hasPrefix("ioc_"), secret.utf8.count >= APITokenStore.prefixLength, secret.utf8.count <= 256 else {
            return .refused("the token is not an IOC token (they start with ioc_)")
        }
        let prefix = APITokenStore.prefix(of: secret)
        let digest = APITokenStore.sha256(secret)
        var snapshot = try await current(olderThan: configuration.maxAge)
        var found = Self.match(digest, in: snapshot.byPrefix[prefix] ?? [])
        if found == nil {
            snapshot = try await current(olderThan: configuration.missReloadInterval)
            found = Self.match(digest, in: snapshot.byPrefix[prefix] ?? [])
        }
        guard let token = found else { return .refused("the token is unknown or revoked") }
        let now = Timestamp.now
        if let expires = token.expiresAt, expires <= now {
            return .refused("the token \(token.name) expired at \(expires.rfc3339)")
        }
        await touch(token.id)
        return .granted(AccessGrant(tokenID: token.id, name: token.name, role: token.role, unit: token.unit))
    }

    private static func match(_ digest: [UInt8], in candidates: [APITokenCredential]) -> APIToken? {
        var found: APIToken?
        // Every candidate is compared, in constant time each.
        for candidate in candidates where APITokenStore.constantTimeEqual(candidate.sha256, digest) { found = candidate.token }
        return found
    }

    /// The loaded tokens, loaded again (once, however many requests ask) when older than `limit`.
    private func current(olderThan limit: Duration) async throws -> Snapshot {
        let now = ContinuousClock.now
        let (snapshot, loading) = state.withLock { state -> (Snapshot?, Task<Snapshot, any Error>?) in
            if let snapshot = state.snapshot, now - snapshot.loadedAt < limit { return (snapshot, nil) }
            if let loading = state.loading { return (nil, loading) }
            let store = store
            let loading = Task {
                let started = ContinuousClock.now
                let credentials = try await store.credentials()
                return Snapshot(byPrefix: Dictionary(grouping: credentials, by: \.token.prefix), loadedAt: started)
            }
            state.loading = loading
            return (nil, loading)
        }
        if let snapshot { return snapshot }
        guard let loading else { throw CancellationError() }
        do {
            let loaded = try await loading.value
            state.withLock { state in
                if state.snapshot.map({ $0.loadedAt < loaded.loadedAt }) ?? true { state.snapshot = loaded }
                state.loading = nil
            }
            return loaded
        } catch {
            state.withLock { $0.loading = nil }
            throw error
        }
    }

    private func touch(_ id: Int64) async {
        let now = ContinuousClock.now
        let due = state.withLock { state in
            if let last = state.touched[id], now - last < configuration.touchInterval { return false }
            state.touched[id] = now
            return true
        }
        guard due else { return }
        do { try await store.touch(id) } catch {
            logger.warning("could not note the use of a token", metadata: ["token_id": "\(id)", "error": "\(error)"])
        }
    }
}

/// Who may call what, and the record of what they changed: the authenticator, the route policy
/// and the audit log.
public struct AccessControl: Sendable {
    public var authenticator: TokenAuthenticator
    public var policy: RoutePolicy
    public var auditor: Auditor
    /// Requests per token (per address without a valid token).
    public var limiter: RequestRateLimiter

    public init(authenticator: TokenAuthenticator, metricsOpen: Bool = true, audit: AuditLog? = nil, rateLimit: RateLimiter.Configuration = .standard) {
        self.authenticator = authenticator
        self.policy = RoutePolicy(metricsOpen: metricsOpen)
        self.auditor = Auditor(audit)
        self.limiter = RequestRateLimiter(rateLimit)
    }

    /// The token of a request: `Authorization: Bearer …`, or on the live feed (browsers cannot
    /// set headers on a WebSocket) the `access_token` query parameter.
    static func presentedToken(_ request: Request) -> String? {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
            return nil
        }
        if request.uri.path == "/api/v1/live", let token = request.uri.queryParameters.get("access_token"), !token.isEmpty {
            return token
        }
        return nil
    }

    /// The grant of `request`'s token, or the API error that refuses it.
    func authenticate(_ request: Request) async -> Result<AccessGrant, APIError> {
        guard let secret = Self.presentedToken(request) else {
            return .failure(Self.unauthorized("this request needs an API token: send Authorization: Bearer ioc_… (ioc token create makes one)"))
        }
        do {
            switch try await authenticator.authenticate(secret) {
            case .granted(let grant): return .success(grant)
            case .refused(let reason): return .failure(Self.unauthorized(reason))
            }
        } catch {
            return .failure(APIError(.serviceUnavailable, "storage_unavailable", "the API tokens could not be read: \(error.databaseSummary); try again shortly"))
        }
    }

    /// Decides a request to route `path` (the router's form, `/api/v1/rules/{id}`).
    func check(_ request: Request, path: String) async -> Result<AccessGrant?, APIError> {
        let method = request.method.rawValue
        if policy.decide(method: method, path: path, grant: nil) == .allow { return .success(nil) }
        let grant: AccessGrant
        switch await authenticate(request) {
        case .success(let granted): grant = granted
        case .failure(let error): return .failure(error)
        }
        switch policy.decide(method: method, path: path, grant: grant) {
        case .allow: return .success(grant)
        case .unauthenticated: return .failure(Self.unauthorized("this request needs an API token"))
        case .forbidden(let reason): return .failure(APIError(.forbidden, "forbidden", reason))
        }
    }

    static func unauthorized(_ message: String) -> APIError {
        APIError(.unauthorized, "unauthorized", message)
    }
}

/// On every route: refuses a request over its rate limit (`429` with `Retry-After`), then lets it through when the route's policy allows its token (or needs
/// none), with the grant in the context; otherwise 401 (with `WWW-Authenticate: Bearer`) or 403
/// in the API's error shape. Unknown paths go on to the router's 404.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext
    let access: AccessControl

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let peer = "peer \(context.remoteAddress ?? "unknown")"
        guard let path = context.endpointPath else {
            if let refusal = access.limiter.refusal(for: peer, tokenName: nil) { return refusal }
            return try await next(request, context)
        }
        let decision = await access.check(request, path: path)
        // A valid token has a bucket of its own; everything else (open routes, refused tokens:
        // someone guessing) shares its address's.
        let granted: AccessGrant? = if case .success(let grant) = decision { grant } else { nil }
        if let refusal = access.limiter.refusal(for: granted.map { "token \($0.tokenID)" } ?? peer, tokenName: granted?.name) {
            return refusal
        }
        switch decision {
        case .success(let grant):
            var context = context
            context.grant = grant
            return try await next(request, context)
        case .failure(let error):
            var response = error.response
            if error.status == .unauthorized { response.headers[.wwwAuthenticate] = #"Bearer realm="ioc""# }
            return response
        }
    }
}
