import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOHTTP1

/// POSTs the notification's JSON payload to the address, an http(s) URL.
///
/// Every request carries:
/// - `Content-Type: application/json`, `User-Agent: ioc`
/// - `Idempotency-Key`: the notification's key, the same on every retry; deduplicate by it.
/// - `X-IOC-Timestamp`: Unix time in whole seconds when this attempt was made.
/// - `X-IOC-Signature: sha256=<hex>` when the webhook has a secret: the lowercase hexadecimal
///   HMAC-SHA256, keyed with the secret's UTF-8 bytes, of the timestamp's decimal digits, a `.`,
///   then the raw request body, byte for byte as received.
///
/// A receiver verifies by computing the same HMAC over `X-IOC-Timestamp` + "." + body, comparing it
/// with the header in constant time, and rejecting timestamps more than a few minutes away from its
/// own clock (against replays). See `signature(secret:timestamp:body:)`.
///
/// 2xx is delivered; 408, 425, 429 and 5xx, timeouts and connection failures are retryable; any
/// other answer is not. The client should not follow redirects: a 3xx is reported, not chased.
public struct WebhookChannel: NotificationChannel {
    public var kind: ChannelKind { .webhook }
    private let http: HTTPDelivery

    public init(client: HTTPClient, timeout: Duration, logger: Logger = Logger(label: "ioc.notify.webhook")) {
        self.http = HTTPDelivery(client: client, timeout: timeout, logger: logger)
    }

    public func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        guard let url = HTTPDelivery.httpURL(notification.address) else {
            throw DeliveryError(retryable: false, "webhook address \"\(notification.address.prefix(200))\" is not an http(s) URL")
        }
        let target = "webhook \(url.redacted)"
        let timestamp = Int(Date().timeIntervalSince1970)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Idempotency-Key", value: notification.idempotencyKey)
        headers.add(name: "X-IOC-Timestamp", value: String(timestamp))
        if let secret = notification.secret, !secret.isEmpty {
            headers.add(name: "X-IOC-Signature", value: Self.signature(secret: secret, timestamp: timestamp, body: notification.payload))
        }
        let answer = try await http.post(url: url.absoluteString, headers: headers, body: notification.payload, target: target)
        guard HTTPDelivery.verdict(status: answer.status) == .delivered else {
            throw HTTPDelivery.rejection(answer, target: target)
        }
        return DeliveryReceipt(detail: "HTTP \(answer.status)")
    }

    /// The `X-IOC-Signature` value for a body sent at `timestamp`: `sha256=` and the lowercase hex
    /// HMAC-SHA256 of `"<timestamp>." + body` keyed with the secret's UTF-8 bytes. A receiver compares
    /// it with the header it got.
    public static func signature(secret: String, timestamp: Int, body: Data) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let code = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + code.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
