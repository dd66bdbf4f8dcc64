import Foundation
import IOCNotify
import Testing

@Suite("SMS gateway channel against a real HTTP server")
struct NotifySMSTests {
    @Test("posts to, text and idempotency_key as JSON with the bearer token")
    func delivers() async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: 202, body: #"{"id":"m-1"}"#) }) { base, received in
            try await withNotifyHTTPClient { client in
                let configuration = SMSGatewayConfiguration(url: URL(string: "\(base)/api/sms")!, token: "gw-token-123", timeout: .seconds(5))
                let channel = SMSChannel(client: client, configuration: configuration)
                let receipt = try await channel.send(sampleNotification(.sms, address: "+84 90 123-4567", text: "Mưa lớn: 120 mm/3 giờ tại Trạm T-RAIN-2"))
                #expect(receipt.detail == "HTTP 202")
                let request = try #require(received.all.first)
                #expect(request.path == "/api/sms")
                #expect(request.headers["authorization"] == "Bearer gw-token-123")
                #expect(request.headers["content-type"] == "application/json")
                let json = try #require(request.json)
                #expect(json["to"] as? String == "+84901234567")
                #expect(json["text"] as? String == "Mưa lớn: 120 mm/3 giờ tại Trạm T-RAIN-2")
                #expect(json["idempotency_key"] as? String == "ioc-42")
                #expect(json.count == 3)
                #expect(!configuration.description.contains("gw-token-123"))
            }
        }
    }

    @Test("no token, no Authorization header; 500 is retryable, 422 is not")
    func statusMapping() async throws {
        try await withNotifyTestServer(answer: { request in CannedAnswer(status: Int(request.json?["text"] as? String ?? "") ?? 200, body: "rejected") }) { base, received in
            try await withNotifyHTTPClient { client in
                let channel = SMSChannel(client: client, configuration: SMSGatewayConfiguration(url: URL(string: "\(base)/send")!, timeout: .seconds(5)))
                let serverError = await #expect(throws: DeliveryError.self) {
                    try await channel.send(sampleNotification(.sms, address: "0901234567", text: "500"))
                }
                #expect(serverError?.retryable == true)
                #expect(serverError?.message == "SMS gateway \(base)/send answered HTTP 500: rejected")
                let refused = await #expect(throws: DeliveryError.self) {
                    try await channel.send(sampleNotification(.sms, address: "0901234567", text: "422"))
                }
                #expect(refused?.retryable == false)
                #expect(received.all.count == 2)
                #expect(received.all.allSatisfy { $0.headers["authorization"] == nil })
                #expect(received.all.first?.json?["to"] as? String == "0901234567")
            }
        }
    }

    @Test("an address that is not a phone number is not retryable and not sent", arguments: ["", "abc", "+84 90x", "12", "+1234567890123456"])
    func malformedNumber(address: String) async throws {
        try await withNotifyHTTPClient { client in
            let channel = SMSChannel(client: client, configuration: SMSGatewayConfiguration(url: URL(string: "http://127.0.0.1:9/send")!, timeout: .seconds(1)))
            let error = await #expect(throws: DeliveryError.self) {
                try await channel.send(sampleNotification(.sms, address: address))
            }
            #expect(error?.retryable == false)
            #expect(error?.message.contains("is not a phone number") == true)
        }
    }
}

@Suite("Telegram channel against a real HTTP server standing in for the Bot API")
struct NotifyTelegramTests {
    static let token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"

    @Test("posts chat_id and text to /bot<token>/sendMessage")
    func delivers() async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: 200, body: #"{"ok":true,"result":{"message_id":77,"chat":{"id":-1001234567890}}}"#) }) { base, received in
            try await withNotifyHTTPClient { client in
                let channel = TelegramChannel(client: client, configuration: TelegramConfiguration(baseURL: URL(string: base)!, botToken: Self.token, timeout: .seconds(5)))
                let receipt = try await channel.send(sampleNotification(.telegram, address: "-1001234567890"))
                #expect(receipt.detail == "HTTP 200, message_id 77")
                let request = try #require(received.all.first)
                #expect(request.path == "/bot\(Self.token)/sendMessage")
                let json = try #require(request.json)
                #expect((json["chat_id"] as? NSNumber)?.int64Value == -1001234567890)
                #expect(json["text"] as? String == "Trạm T-RIVER-1: mực nước 3,8 m, vượt báo động III.")

                _ = try await channel.send(sampleNotification(.telegram, address: "@ioc_canh_bao"))
                #expect(received.all.last?.json?["chat_id"] as? String == "@ioc_canh_bao")
            }
        }
    }

    @Test("ok:false carries Telegram's description, never the token", arguments: [
        (400, #"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#, false, "Bad Request: chat not found"),
        (403, #"{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}"#, false, "Forbidden: bot was blocked by the user"),
        (401, #"{"ok":false,"error_code":401,"description":"Unauthorized"}"#, false, "check IOC_TELEGRAM_BOT_TOKEN"),
        (429, #"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}}"#, true, "retry after 7 s"),
        (502, "<html>Bad Gateway</html>", true, "HTTP 502"),
        (200, #"{"ok":false,"description":"Bad Request: message text is empty"}"#, false, "message text is empty"),
    ])
    func refusals(status: Int, body: String, retryable: Bool, says: String) async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: status, body: body) }) { base, _ in
            try await withNotifyHTTPClient { client in
                let channel = TelegramChannel(client: client, configuration: TelegramConfiguration(baseURL: URL(string: base)!, botToken: Self.token, timeout: .seconds(5)))
                let error = await #expect(throws: DeliveryError.self) {
                    try await channel.send(sampleNotification(.telegram, address: "42"))
                }
                #expect(error?.retryable == retryable)
                #expect(error?.message.contains(says) == true, "\(error?.message ?? "")")
                #expect(error?.message.contains(Self.token) == false)
                #expect(error?.message.contains("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw") == false)
                #expect(error?.message.hasPrefix("Telegram \(base)/bot***/sendMessage") == true, "\(error?.message ?? "")")
            }
        }
    }

    @Test("a timeout or refused connection is retryable and does not show the token")
    func unreachable() async throws {
        let port = try unusedLocalPort()
        try await withNotifyHTTPClient { client in
            let channel = TelegramChannel(client: client, configuration: TelegramConfiguration(baseURL: URL(string: "http://127.0.0.1:\(port)")!, botToken: Self.token, timeout: .seconds(1)))
            let error = await #expect(throws: DeliveryError.self) {
                try await channel.send(sampleNotification(.telegram, address: "42"))
            }
            #expect(error?.retryable == true)
            #expect(error?.message.hasPrefix("cannot connect to Telegram http://127.0.0.1:\(port)/bot***/sendMessage") == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(Self.token) == false)
        }
    }
}
