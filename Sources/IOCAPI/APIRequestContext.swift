import Hummingbird
import IOCCore

/// The request context of every API route: Hummingbird's core context and, once
/// `AccessMiddleware` let the request in with a token, who it acts for.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token's grant; nil on open routes called without one.
    public var grant: AccessGrant?

    public init(source: Source) {
        coreContext = .init(source: source)
        grant = nil
    }
}
