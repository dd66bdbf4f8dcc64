/// A person or a system that can be paged: the channels that reach it and the language of its
/// messages.
///
/// The JSON form uses snake_case names; each channel is a flat object whose `type` says which
/// kind it is. `ContactTests` pins the exact shape.
public struct Contact: Sendable, Hashable, Codable {
    /// The database id; nil until the contact is stored.
    public var id: Int64?
    /// Unique; rotas and escalation policies refer to the contact by it.
    public var name: String
    public var language: NotificationText.Language
    public var channels: [ContactChannel]

    enum CodingKeys: String, CodingKey {
        case id, name, language, channels
    }

    public init(id: Int64? = nil, name: String, language: NotificationText.Language = .vi, channels: [ContactChannel]) {
        self.id = id
        self.name = name
        self.language = language
        self.channels = channels
    }
}

/// One way to reach a contact.
public enum ContactChannel: Sendable, Hashable {
    /// An HTTP POST to `url`, signed with HMAC-SHA256 keyed by `secret`.
    case webhook(url: String, secret: String)
    case email(address: String)
    /// E.164 (`+84901234567`) or Vietnamese national (`0901234567`).
    case sms(phone: String)
    /// A numeric chat id (negative for groups) or a public `@username`.
    case telegram(chatID: String)

    /// The `type` of the JSON form, and what an escalation step may restrict a target to.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        case webhook, email, sms, telegram
    }

    public var kind: Kind {
        switch self {
        case .webhook: .webhook
        case .email: .email
        case .sms: .sms
        case .telegram: .telegram
        }
    }

    /// Where the message goes: the URL, e-mail address, phone number or chat id.
    public var address: String {
        switch self {
        case .webhook(let url, _): url
        case .email(let address): address
        case .sms(let phone): phone
        case .telegram(let chatID): chatID
        }
    }
}
