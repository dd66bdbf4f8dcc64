import Crypto
import Foundation
import IOCNotify
import Testing

@Suite("Webhook channel against a real HTTP server")
struct NotifyWebhookTests {
    @Test("delivers the payload with an HMAC-SHA256 signature a receiver can verify")
    func deliversSigned() async throws {
        let secret = "khóa-bí-mật"
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: 200) }) { base, received in
            try await withNotifyHTTPClient { client in
                let channel = WebhookChannel(client: client, timeout: .seconds(5))
                let sent = sampleNotification(.webhook, address: "\(base)/hooks/ioc", secret: secret)
                let before = Int(Date().timeIntervalSince1970)
                let receipt = try await channel.send(sent)
                let after = Int(Date().timeIntervalSince1970)
                #expect(receipt.detail == "HTTP 200")

                let requests = received.all
                try #require(requests.count == 1)
                let request = requests[0]
                #expect(request.method == "POST")
                #expect(request.path == "/hooks/ioc")
                #expect(request.body == sent.payload)
                #expect(request.headers["content-type"] == "application/json")
                #expect(request.headers["user-agent"] == "ioc")
                #expect(request.headers["idempotency-key"] == "ioc-42")
                let timestamp = try #require(request.headers["x-ioc-timestamp"].flatMap { Int($0) })
                #expect((before...after).contains(timestamp))

                // The receiver's side, written without IOCNotify: HMAC over "<timestamp>." + body.
                var signed = Data("\(timestamp).".utf8)
                signed.append(request.body)
                let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Data(secret.utf8)))
                let expected = "sha256=" + mac.map { String(format: "%02x", Int($0)) }.joined()
                #expect(request.headers["x-ioc-signature"] == expected)
                #expect(WebhookChannel.signature(secret: secret, timestamp: timestamp, body: request.body) == expected)
                #expect(WebhookChannel.signature(secret: "another", timestamp: timestamp, body: request.body) != expected)
                #expect(WebhookChannel.signature(secret: secret, timestamp: timestamp + 1, body: request.body) != expected)
            }
        }
    }

    @Test("no secret, no signature header")
    func unsigned() async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: 204, body: "") }) { base, received in
            try await withNotifyHTTPClient { client in
                let receipt = try await WebhookChannel(client: client, timeout: .seconds(5)).send(sampleNotification(.webhook, address: "\(base)/hook"))
                #expect(receipt.detail == "HTTP 204")
                #expect(received.all.first?.headers["x-ioc-signature"] == nil)
                #expect(received.all.first?.headers["x-ioc-timestamp"] != nil)
            }
        }
    }

    @Test("a 2xx with a long answer is a delivery; only the start of an answer is kept")
    func longAnswer() async throws {
        let long = String(repeating: "x", count: 300_000)
        try await withNotifyTestServer(answer: { request in CannedAnswer(status: request.path == "/ok" ? 200 : 500, body: long) }) { base, _ in
            try await withNotifyHTTPClient { client in
                let channel = WebhookChannel(client: client, timeout: .seconds(5))
                let receipt = try await channel.send(sampleNotification(.webhook, address: "\(base)/ok"))
                #expect(receipt.detail == "HTTP 200")
                let error = await #expect(throws: DeliveryError.self) {
                    try await channel.send(sampleNotification(.webhook, address: "\(base)/fail"))
                }
                #expect(error?.retryable == true)
                #expect((error?.message.count ?? 0) < 400)
            }
        }
    }

    @Test("status codes: 408, 429 and 5xx are retryable, other 4xx are not", arguments: [
        (503, true), (500, true), (429, true), (408, true), (400, false), (404, false), (410, false),
    ])
    func statusMapping(status: Int, retryable: Bool) async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: status, body: #"{"error":"nope"}"#) }) { base, _ in
            try await withNotifyHTTPClient { client in
                let channel = WebhookChannel(client: client, timeout: .seconds(5))
                let error = await #expect(throws: DeliveryError.self) {
                    try await channel.send(sampleNotification(.webhook, address: "\(base)/hook?token=s3cr3t", secret: "k"))
                }
                #expect(error?.retryable == retryable)
                #expect(error?.message.hasPrefix("webhook \(base)/hook answered HTTP \(status)") == true, "\(error?.message ?? "")")
                #expect(error?.message.contains(#"{"error":"nope"}"#) == true)
                #expect(error?.message.contains("s3cr3t") == false)
            }
        }
    }

    @Test("a server slower than the timeout is a retryable timeout, after about the timeout")
    func timeout() async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: 200, delay: .seconds(4)) }) { base, received in
            try await withNotifyHTTPClient { client in
                let channel = WebhookChannel(client: client, timeout: .seconds(1))
                let clock = ContinuousClock()
                let started = clock.now
                let error = await #expect(throws: DeliveryError.self) {
                    try await channel.send(sampleNotification(.webhook, address: "\(base)/slow"))
                }
                let elapsed = clock.now - started
                #expect(error?.retryable == true)
                #expect(error?.message == "webhook \(base)/slow timed out after 1 s")
                #expect(elapsed >= .milliseconds(900) && elapsed < .seconds(15), "took \(elapsed)")
                #expect(received.all.count == 1)
            }
        }
    }

    @Test("connection refused is retryable and says it could not connect")
    func connectionRefused() async throws {
        let port = try unusedLocalPort()
        try await withNotifyHTTPClient { client in
            let channel = WebhookChannel(client: client, timeout: .seconds(1))
            let error = await #expect(throws: DeliveryError.self) {
                try await channel.send(sampleNotification(.webhook, address: "http://127.0.0.1:\(port)/hook"))
            }
            #expect(error?.retryable == true)
            #expect(error?.message.hasPrefix("cannot connect to webhook http://127.0.0.1:\(port)/hook") == true, "\(error?.message ?? "")")
        }
    }

    @Test("an address that is not an http(s) URL is not retryable", arguments: ["ftp://example.vn/x", "not a url", "mailto:a@b.vn", ""])
    func malformedAddress(address: String) async throws {
        try await withNotifyHTTPClient { client in
            let error = await #expect(throws: DeliveryError.self) {
                try await WebhookChannel(client: client, timeout: .seconds(1)).send(sampleNotification(.webhook, address: address))
            }
            #expect(error?.retryable == false)
            #expect(error?.message.contains("is not an http(s) URL") == true)
        }
    }
}
