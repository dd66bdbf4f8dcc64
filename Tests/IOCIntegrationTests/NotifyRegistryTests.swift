import Foundation
import IOCNotify
import Testing

@Suite("ChannelRegistry from environment variables")
struct NotifyRegistryTests {
    @Test("with nothing set, webhooks work and every other kind says what to set")
    func unconfigured() async throws {
        try await withNotifyHTTPClient { client in
            let registry = try ChannelRegistry.fromEnvironment([:], client: client)
            #expect(registry.isConfigured(.webhook))
            #expect(!registry.isConfigured(.email) && !registry.isConfigured(.sms) && !registry.isConfigured(.telegram))
            let expected: [ChannelKind: String] = [
                .email: "e-mail is not configured: set IOC_SMTP_URL and IOC_SMTP_FROM",
                .sms: "SMS is not configured: set IOC_SMS_GATEWAY_URL",
                .telegram: "Telegram is not configured: set IOC_TELEGRAM_BOT_TOKEN",
            ]
            for (kind, message) in expected {
                let error = await #expect(throws: DeliveryError.self) {
                    try await registry.send(sampleNotification(kind, address: "x@y.vn"))
                }
                #expect(error == DeliveryError(retryable: false, message))
                #expect(registry.channel(for: kind).kind == kind)
            }
        }
    }

    @Test("everything set: each kind has its channel, with the timeout and TLS flag read")
    func configured() async throws {
        try await withNotifyHTTPClient { client in
            let registry = try ChannelRegistry.fromEnvironment([
                "IOC_SMTP_URL": "smtps://mail.ioc.example.gov.vn:465",
                "IOC_SMTP_FROM": "canhbao@ioc.example.gov.vn",
                "IOC_SMTP_USERNAME": "canhbao",
                "IOC_SMTP_PASSWORD": "mật-khẩu",
                "IOC_SMTP_REQUIRE_TLS": "true",
                "IOC_SMS_GATEWAY_URL": "https://sms.example.vn/api/send",
                "IOC_SMS_GATEWAY_TOKEN": "t",
                "IOC_TELEGRAM_BOT_TOKEN": "123456789:AAbb-CC_dd",
                "IOC_TELEGRAM_BASE_URL": "http://127.0.0.1:8081/",
                "IOC_NOTIFY_TIMEOUT_SECONDS": "2.5",
            ], client: client)
            for kind in ChannelKind.allCases {
                #expect(registry.isConfigured(kind))
                #expect(registry.channel(for: kind).kind == kind)
            }
            let email = try #require(registry.channel(for: .email) as? EmailChannel)
            #expect(email.configuration.timeout == .milliseconds(2500))
            #expect(email.configuration.requireTLS)
            #expect(email.configuration.username == "canhbao")
            #expect(email.configuration.description == "SMTP smtps://mail.ioc.example.gov.vn:465 from canhbao@ioc.example.gov.vn as canhbao, TLS required, timeout 2.5 s")
        }
    }

    @Test("partial or malformed settings are refused at start-up, naming the variable", arguments: [
        (["IOC_SMTP_URL": "smtp://mail:25"], "IOC_SMTP_FROM"),
        (["IOC_SMTP_FROM": "ioc@ioc.test"], "IOC_SMTP_URL"),
        (["IOC_SMTP_PASSWORD": "pw-42-secret"], "IOC_SMTP_URL and IOC_SMTP_FROM"),
        (["IOC_SMTP_URL": "http://mail:25", "IOC_SMTP_FROM": "ioc@ioc.test"], "smtp://"),
        (["IOC_SMTP_URL": "smtp://mail:25", "IOC_SMTP_FROM": "not an address"], "is not an e-mail address"),
        (["IOC_SMTP_URL": "smtp://mail:25", "IOC_SMTP_FROM": "ioc@ioc.test", "IOC_SMTP_REQUIRE_TLS": "maybe"], "IOC_SMTP_REQUIRE_TLS"),
        (["IOC_SMTP_URL": "smtp://mail:25", "IOC_SMTP_FROM": "ioc@ioc.test", "IOC_SMTP_USERNAME": "u"], "without a password"),
        (["IOC_SMTP_URL": "smtp://mail:25", "IOC_SMTP_FROM": "ioc@ioc.test", "IOC_SMTP_PASSWORD": "pw-42-secret"], "without a user name"),
        (["IOC_SMS_GATEWAY_URL": "sms.example.vn/send"], "IOC_SMS_GATEWAY_URL"),
        (["IOC_SMS_GATEWAY_TOKEN": "t"], "IOC_SMS_GATEWAY_URL"),
        (["IOC_TELEGRAM_BASE_URL": "https://api.telegram.org"], "IOC_TELEGRAM_BOT_TOKEN"),
        (["IOC_TELEGRAM_BOT_TOKEN": "123/../x"], "IOC_TELEGRAM_BOT_TOKEN"),
        (["IOC_TELEGRAM_BOT_TOKEN": "1:a", "IOC_TELEGRAM_BASE_URL": "api.telegram.org"], "IOC_TELEGRAM_BASE_URL"),
        (["IOC_NOTIFY_TIMEOUT_SECONDS": "0"], "IOC_NOTIFY_TIMEOUT_SECONDS"),
        (["IOC_NOTIFY_TIMEOUT_SECONDS": "ten"], "IOC_NOTIFY_TIMEOUT_SECONDS"),
    ])
    func refused(env: [String: String], mentions: String) async throws {
        try await withNotifyHTTPClient { client in
            let error = #expect(throws: NotifyConfigurationError.self) {
                try ChannelRegistry.fromEnvironment(env, client: client)
            }
            #expect(error?.message.contains(mentions) == true, "\(error?.message ?? "no error")")
            if let password = env["IOC_SMTP_PASSWORD"] {
                #expect(error?.message.contains(password) == false)
            }
        }
    }

    @Test("the registry sends through the channel the notification names")
    func routes() async throws {
        try await withNotifyTestServer(answer: { _ in CannedAnswer(status: 200) }) { base, received in
            try await withNotifyHTTPClient { client in
                let registry = try ChannelRegistry.fromEnvironment(["IOC_NOTIFY_TIMEOUT_SECONDS": "3"], client: client)
                let receipt = try await registry.send(sampleNotification(.webhook, address: "\(base)/routed"))
                #expect(receipt.detail == "HTTP 200")
                #expect(received.all.map(\.path) == ["/routed"])
            }
        }
    }
}
