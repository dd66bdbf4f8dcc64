import Foundation

/// The ways IOC reaches a person or a system.
public enum ChannelKind: String, Sendable, Hashable, Codable, CaseIterable {
    case webhook
    case email
    case sms
    case telegram
}

/// One message to one address on one channel, as the outbox dispatcher hands it over.
public struct OutgoingNotification: Sendable, Hashable {
    /// Stable across retries of the same outbox row (`ioc-<outbox id>`): receivers deduplicate by it.
    public var idempotencyKey: String
    public var channel: ChannelKind
    /// Webhook URL, e-mail address, phone number (E.164 or national), Telegram chat id.
    public var address: String
    /// The webhook's HMAC-SHA256 key; nil for other channels.
    public var secret: String?
    /// E-mail subject; other channels may ignore it.
    public var subject: String
    /// The human-readable message (Vietnamese by default).
    public var text: String
    /// The machine-readable JSON document of the notification: the webhook body.
    public var payload: Data

    public init(idempotencyKey: String, channel: ChannelKind, address: String, secret: String? = nil, subject: String, text: String, payload: Data) {
        self.idempotencyKey = idempotencyKey
        self.channel = channel
        self.address = address
        self.secret = secret
        self.subject = subject
        self.text = text
        self.payload = payload
    }
}

/// What the receiving end said when it accepted the message ("HTTP 200", "250 2.0.0 OK").
public struct DeliveryReceipt: Sendable, Hashable {
    public var detail: String
    public init(detail: String) { self.detail = detail }
}

/// A failed attempt. `retryable` is false when sending the same message again cannot succeed
/// (a 400 from the gateway, a malformed address): the outbox stops retrying it.
public struct DeliveryError: Error, Sendable, Hashable, CustomStringConvertible {
    public var retryable: Bool
    public var message: String
    public init(retryable: Bool, _ message: String) {
        self.retryable = retryable
        self.message = message
    }
    public var description: String { message }
}

/// A channel delivers one notification per call. Implementations must bound every call by a
/// timeout and never block the caller's thread: a slow or dead endpoint costs its own channel's
/// worker time, nothing else.
public protocol NotificationChannel: Sendable {
    var kind: ChannelKind { get }
    func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt
}
