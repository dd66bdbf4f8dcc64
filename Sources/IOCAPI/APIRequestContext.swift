import Hummingbird
import IOCCore

/// The request context of every API route: Hummingbird's core context and, once
/// `AccessMiddleware` let the request in with a token, who it acts for.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The token's grant; nil on open routes called without one.
    public var grant: AccessGrant?
    /// The peer's IP address: what requests without a valid token are rate-limited by.
    public let remoteAddress: String?

    public init(source: Source) {
        coreContext = .init(source: source)
        grant = nil
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}
