import AsyncHTTPClient
import Foundation
import Logging

extension ChannelRegistry {
    /// Every variable `fromEnvironment` reads. Empty values count as unset.
    public static let environmentVariables = [
        "IOC_SMTP_URL", "IOC_SMTP_FROM", "IOC_SMTP_USERNAME", "IOC_SMTP_PASSWORD", "IOC_SMTP_REQUIRE_TLS",
        "IOC_SMS_GATEWAY_URL", "IOC_SMS_GATEWAY_TOKEN",
        "IOC_TELEGRAM_BASE_URL", "IOC_TELEGRAM_BOT_TOKEN",
        "IOC_NOTIFY_TIMEOUT_SECONDS",
    ]

    /// The channels that the environment configures:
    /// - webhooks always (the address and secret come with each notification);
    /// - e-mail with `IOC_SMTP_URL` (smtp://host:587 or smtps://host:465) and `IOC_SMTP_FROM`, and
    ///   optionally `IOC_SMTP_USERNAME`, `IOC_SMTP_PASSWORD`, `IOC_SMTP_REQUIRE_TLS` (true/false);
    /// - SMS with `IOC_SMS_GATEWAY_URL` and optionally `IOC_SMS_GATEWAY_TOKEN`;
    /// - Telegram with `IOC_TELEGRAM_BOT_TOKEN` and optionally `IOC_TELEGRAM_BASE_URL`
    ///   (default https://api.telegram.org);
    /// - every call bounded by `IOC_NOTIFY_TIMEOUT_SECONDS` (default 10).
    ///
    /// A channel with only part of its settings, or a malformed one, is an error rather than a
    /// channel that fails later. The client should not follow redirects.
    public static func fromEnvironment(_ env: [String: String], client: HTTPClient, logger: Logger = Logger(label: "ioc.notify")) throws(NotifyConfigurationError) -> ChannelRegistry {
        func value(_ name: String) -> String? {
            guard let text = env[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !text.isEmpty else { return nil }
            return text
        }

        var timeout = Duration.seconds(10)
        if let text = value("IOC_NOTIFY_TIMEOUT_SECONDS") {
            guard let seconds = Double(text), seconds.isFinite, seconds >= 0.001, seconds <= 3600 else {
                throw NotifyConfigurationError("IOC_NOTIFY_TIMEOUT_SECONDS must be a number of seconds between 0.001 and 3600, got \"\(text)\"")
            }
            timeout = .milliseconds(Int((seconds * 1000).rounded()))
        }

        var channels: [any NotificationChannel] = [WebhookChannel(client: client, timeout: timeout, logger: logger)]

        let smtpURL = value("IOC_SMTP_URL"), smtpFrom = value("IOC_SMTP_FROM")
        let smtpOthers = ["IOC_SMTP_USERNAME", "IOC_SMTP_PASSWORD", "IOC_SMTP_REQUIRE_TLS"].filter { value($0) != nil }
        if let smtpURL, let smtpFrom {
            var requireTLS = false
            if let text = value("IOC_SMTP_REQUIRE_TLS") {
                guard let flag = boolean(text) else {
                    throw NotifyConfigurationError("IOC_SMTP_REQUIRE_TLS must be true or false, got \"\(text)\"")
                }
                requireTLS = flag
            }
            let configuration: SMTPConfiguration
            do throws(NotifyConfigurationError) {
                configuration = try SMTPConfiguration(url: smtpURL, from: smtpFrom, username: value("IOC_SMTP_USERNAME"), password: value("IOC_SMTP_PASSWORD"), requireTLS: requireTLS, timeout: timeout)
            } catch {
                throw NotifyConfigurationError("e-mail (IOC_SMTP_*): \(error.message)")
            }
            channels.append(EmailChannel(configuration: configuration, logger: logger))
        } else if smtpURL != nil || smtpFrom != nil || !smtpOthers.isEmpty {
            let missing = [("IOC_SMTP_URL", smtpURL), ("IOC_SMTP_FROM", smtpFrom)].filter { $0.1 == nil }.map(\.0)
            throw NotifyConfigurationError("e-mail is partly configured: set \(missing.joined(separator: " and ")) too, or unset the other IOC_SMTP_* variables")
        }

        if let text = value("IOC_SMS_GATEWAY_URL") {
            guard let url = HTTPDelivery.httpURL(text) else {
                throw NotifyConfigurationError("IOC_SMS_GATEWAY_URL must be an http(s) URL such as https://sms.example.vn/api/send, got \"\(URL(string: text)?.redacted ?? String(text.prefix(100)))\"")
            }
            channels.append(SMSChannel(client: client, configuration: SMSGatewayConfiguration(url: url, token: value("IOC_SMS_GATEWAY_TOKEN"), timeout: timeout), logger: logger))
        } else if value("IOC_SMS_GATEWAY_TOKEN") != nil {
            throw NotifyConfigurationError("IOC_SMS_GATEWAY_TOKEN is set but IOC_SMS_GATEWAY_URL is not: set the gateway's URL too")
        }

        if let token = value("IOC_TELEGRAM_BOT_TOKEN") {
            guard token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ":_-".contains($0)) }) else {
                throw NotifyConfigurationError("IOC_TELEGRAM_BOT_TOKEN must look like 123456789:AAbbCC-dd_ee (letters, digits, ':', '_', '-'), and it does not")
            }
            var baseURL = TelegramConfiguration.defaultBaseURL
            if let text = value("IOC_TELEGRAM_BASE_URL") {
                guard let url = HTTPDelivery.httpURL(text) else {
                    throw NotifyConfigurationError("IOC_TELEGRAM_BASE_URL must be an http(s) URL such as https://api.telegram.org, got \"\(String(text.prefix(100)).replacingOccurrences(of: token, with: "***"))\"")
                }
                baseURL = url
            }
            channels.append(TelegramChannel(client: client, configuration: TelegramConfiguration(baseURL: baseURL, botToken: token, timeout: timeout), logger: logger))
        } else if value("IOC_TELEGRAM_BASE_URL") != nil {
            throw NotifyConfigurationError("IOC_TELEGRAM_BASE_URL is set but IOC_TELEGRAM_BOT_TOKEN is not: set the bot's token too")
        }

        return ChannelRegistry(channels)
    }

    private static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "true", "yes", "on": true
        case "0", "false", "no", "off": false
        default: nil
        }
    }
}
