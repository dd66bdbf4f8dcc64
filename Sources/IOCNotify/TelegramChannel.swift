import AsyncHTTPClient
import Foundation
import Logging
import NIOHTTP1

/// A Telegram bot and where its Bot API is.
public struct TelegramConfiguration: Sendable, CustomStringConvertible {
    public static let defaultBaseURL = URL(string: "https://api.telegram.org")!

    public var baseURL: URL
    /// The bot's token ("123456:ABC-…"). A secret: it never appears in errors or logs.
    public var botToken: String
    public var timeout: Duration

    public init(baseURL: URL = TelegramConfiguration.defaultBaseURL, botToken: String, timeout: Duration = .seconds(10)) {
        self.baseURL = baseURL
        self.botToken = botToken
        self.timeout = timeout
    }

    /// Without the token, for logs.
    public var description: String {
        "Telegram Bot API \(baseURL.redacted), timeout \(timeout.spoken)"
    }
}

/// Sends the notification's text to a Telegram chat (the address: a chat id such as `-1001234567890`,
/// or `@channelname`) with the Bot API's `sendMessage`.
///
/// Telegram answers `{"ok": true, "result": {...}}`, or `{"ok": false, "description": "..."}` with a
/// 4xx. 429 (flood control), 408, 5xx, timeouts and connection failures are retryable; any other
/// refusal is not, and its error carries Telegram's description. The bot token never appears in an
/// error: the URL is written as `…/bot***/sendMessage`.
public struct TelegramChannel: NotificationChannel {
    public var kind: ChannelKind { .telegram }
    /// Telegram refuses longer texts ("message is too long"); they are cut to fit instead.
    static let maximumTextLength = 4096
    private let configuration: TelegramConfiguration
    private let http: HTTPDelivery

    public init(client: HTTPClient, configuration: TelegramConfiguration, logger: Logger = Logger(label: "ioc.notify.telegram")) {
        self.configuration = configuration
        self.http = HTTPDelivery(client: client, timeout: configuration.timeout, logger: logger)
    }

    public func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        do throws(DeliveryError) {
            return try await deliver(notification)
        } catch {
            throw DeliveryError(retryable: error.retryable, redacting(error.message))
        }
    }

    private func deliver(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        let chat = notification.address.trimmingCharacters(in: .whitespaces)
        guard !chat.isEmpty, !chat.contains(where: { $0.isWhitespace || $0.isNewline }) else {
            throw DeliveryError(retryable: false, "Telegram chat id \"\(notification.address.prefix(100))\" is not a chat id or @channelname")
        }
        var base = configuration.baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let target = "Telegram \(configuration.baseURL.redacted.trimmingSuffix("/"))/bot***/sendMessage"

        var request: [String: Any] = ["text": Self.fitted(notification.text)]
        request["chat_id"] = Int64(chat).map { $0 as Any } ?? chat
        let body: Data
        do {
            body = try JSONSerialization.data(withJSONObject: request, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw DeliveryError(retryable: false, "cannot encode the Telegram message for chat \(chat): \(error)")
        }
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "application/json")
        let answer = try await http.post(url: "\(base)/bot\(configuration.botToken)/sendMessage", headers: headers, body: body, target: target)
        let reply = try? JSONDecoder().decode(Reply.self, from: answer.body)
        let description = reply?.description ?? HTTPDelivery.excerpt(answer.body)
        let said = description.isEmpty ? "" : ": \(description)"

        switch (HTTPDelivery.verdict(status: answer.status), answer.status) {
        case (.delivered, _) where reply?.ok == true:
            return DeliveryReceipt(detail: "HTTP \(answer.status)" + (reply?.result?.messageID.map { ", message_id \($0)" } ?? ""))
        case (.delivered, _) where reply?.ok == false:
            throw DeliveryError(retryable: false, "\(target) refused the message for chat \(chat)\(said)")
        case (.delivered, _):
            throw DeliveryError(retryable: true, "\(target) answered HTTP \(answer.status) without \"ok\": true\(said)")
        case (_, 429):
            let wait = reply?.parameters?.retryAfter.map { " (retry after \($0) s)" } ?? ""
            throw DeliveryError(retryable: true, "\(target) is rate limiting the bot, HTTP 429\(wait)\(said)")
        case (_, 401), (_, 404):
            // The Bot API answers 404 for a token it does not know, 401 for a revoked one.
            throw DeliveryError(retryable: false, "\(target) rejected the bot token, HTTP \(answer.status)\(said): check IOC_TELEGRAM_BOT_TOKEN")
        case (.retryable, _):
            throw DeliveryError(retryable: true, "\(target) answered HTTP \(answer.status)\(said)")
        case (.permanent, _):
            throw DeliveryError(retryable: false, "\(target) refused the message for chat \(chat), HTTP \(answer.status)\(said)")
        }
    }

    /// The Bot API's answer, as much of it as an error or a receipt needs.
    struct Reply: Decodable {
        struct Result: Decodable {
            var messageID: Int64?
            enum CodingKeys: String, CodingKey { case messageID = "message_id" }
        }
        struct Parameters: Decodable {
            var retryAfter: Int?
            enum CodingKeys: String, CodingKey { case retryAfter = "retry_after" }
        }
        var ok: Bool?
        var description: String?
        var result: Result?
        var parameters: Parameters?
    }

    /// The token must not leak even if an endpoint or an error description repeats the URL.
    private func redacting(_ message: String) -> String {
        configuration.botToken.isEmpty ? message : message.replacingOccurrences(of: configuration.botToken, with: "***")
    }

    /// The text, cut to Telegram's limit (counted in UTF-16 code units) with "…" at the end.
    static func fitted(_ text: String) -> String {
        guard text.utf16.count > maximumTextLength else { return text }
        var cut = ""
        var length = 0
        for character in text {
            let size = character.utf16.count
            if length + size > maximumTextLength - 1 { break }
            cut.append(character)
            length += size
        }
        return cut + "…"
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var text = self
        while text.hasSuffix(suffix) { text.removeLast(suffix.count) }
        return text
    }
}
