/// A notification setting that cannot work, saying which one and what it should look like.
/// Raised at start-up; a `DeliveryError` is what a single send raises.
public struct NotifyConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
