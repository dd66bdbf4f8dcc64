import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// Where the SMS gateway is and how to authenticate to it.
public struct SMSGatewayConfiguration: Sendable, CustomStringConvertible {
    /// The gateway's send endpoint; it receives `{"to", "text", "idempotency_key"}` as JSON.
    public var url: URL
    /// Sent as `Authorization: Bearer <token>` when set.
    public var token: String?
    public var timeout: Duration

    public init(url: URL, token: String? = nil, timeout: Duration = .seconds(10)) {
        self.url = url
        self.token = token
        self.timeout = timeout
    }

    /// Without the token, for logs.
    public var description: String {
        "SMS gateway \(url.redacted)\(token == nil ? "" : " (with token)"), timeout \(timeout.spoken)"
    }
}

/// Sends the notification's text to a phone number through an HTTP SMS gateway:
/// POST `{"to": "+84901234567", "text": "...", "idempotency_key": "ioc-42"}`.
///
/// The number may be written with spaces, dots, dashes or parentheses; they are removed, and what
/// remains must be an optional `+` and 3 to 15 digits. Status codes mean what they mean for
/// `WebhookChannel`: 2xx delivered; 408, 425, 429, 5xx, timeouts and connection failures retryable.
public struct SMSChannel: NotificationChannel {
    public var kind: ChannelKind { .sms }
    private let configuration: SMSGatewayConfiguration
    private let http: HTTPDelivery

    public init(client: HTTPClient, configuration: SMSGatewayConfiguration, logger: Logger = Logger(label: "ioc.notify.sms")) {
        self.configuration = configuration
        self.http = HTTPDelivery(client: client, timeout: configuration.timeout, logger: logger)
    }

    struct Message: Encodable {
        var to: String
        var text: String
        var idempotencyKey: String

        enum CodingKeys: String, CodingKey {
            case to, text
            case idempotencyKey = "idempotency_key"
        }
    }

    public func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        guard let phone = Self.normalizedPhoneNumber(notification.address) else {
            throw DeliveryError(retryable: false, "SMS address \"\(notification.address.prefix(100))\" is not a phone number (expected + and digits, e.g. +84901234567 or 0901234567)")
        }
        let target = "SMS gateway \(configuration.url.redacted)"
        let body: Data
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            body = try encoder.encode(Message(to: phone, text: notification.text, idempotencyKey: notification.idempotencyKey))
        } catch {
            throw DeliveryError(retryable: false, "cannot encode the SMS for \(phone): \(error)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        headers.add(name: "Idempotency-Key", value: notification.idempotencyKey)
        if let token = configuration.token, !token.isEmpty {
            headers.add(name: "Authorization", value: "Bearer \(token)")
        }
        let answer = try await http.post(url: configuration.url.absoluteString, headers: headers, body: body, target: target)
        guard HTTPDelivery.verdict(status: answer.status) == .delivered else {
            throw HTTPDelivery.rejection(answer, target: target)
        }
        return DeliveryReceipt(detail: "HTTP \(answer.status)")
    }

    /// "+84 90 123-4567" → "+84901234567"; nil if it is not an optional + and 3 to 15 digits.
    static func normalizedPhoneNumber(_ address: String) -> String? {
        let kept = address.filter { !" .-()\t".contains($0) }
        let digits = kept.hasPrefix("+") ? kept.dropFirst() : Substring(kept)
        guard (3...15).contains(digits.count), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return kept
    }
}
