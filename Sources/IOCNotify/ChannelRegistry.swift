/// The channel for every kind, built once at start-up. A kind that is not configured still has a
/// channel: an `UnconfiguredChannel` whose every send fails, not retryably, saying what to set.
public struct ChannelRegistry: Sendable {
    private let channels: [ChannelKind: any NotificationChannel]

    /// The given channels by their kind (a later one replaces an earlier one of the same kind);
    /// every kind not among them answers with `UnconfiguredChannel`.
    public init(_ channels: [any NotificationChannel]) {
        var byKind: [ChannelKind: any NotificationChannel] = [:]
        for kind in ChannelKind.allCases {
            byKind[kind] = UnconfiguredChannel(kind: kind)
        }
        for channel in channels {
            byKind[channel.kind] = channel
        }
        self.channels = byKind
    }

    public func channel(for kind: ChannelKind) -> any NotificationChannel {
        channels[kind] ?? UnconfiguredChannel(kind: kind)
    }

    public func isConfigured(_ kind: ChannelKind) -> Bool {
        !(channel(for: kind) is UnconfiguredChannel)
    }

    /// Sends through the channel the notification names.
    public func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        try await channel(for: notification.channel).send(notification)
    }
}

/// Stands in for a channel kind that has no configuration: every send fails, not retryably, with
/// what to set ("e-mail is not configured: set IOC_SMTP_URL and IOC_SMTP_FROM").
public struct UnconfiguredChannel: NotificationChannel {
    public let kind: ChannelKind
    public let reason: String

    public init(kind: ChannelKind, reason: String? = nil) {
        self.kind = kind
        self.reason = reason ?? Self.defaultReason(kind)
    }

    public func send(_ notification: OutgoingNotification) async throws(DeliveryError) -> DeliveryReceipt {
        throw DeliveryError(retryable: false, reason)
    }

    static func defaultReason(_ kind: ChannelKind) -> String {
        switch kind {
        case .webhook: "webhooks are not configured: build the registry with an HTTP client"
        case .email: "e-mail is not configured: set IOC_SMTP_URL and IOC_SMTP_FROM"
        case .sms: "SMS is not configured: set IOC_SMS_GATEWAY_URL"
        case .telegram: "Telegram is not configured: set IOC_TELEGRAM_BOT_TOKEN"
        }
    }
}
