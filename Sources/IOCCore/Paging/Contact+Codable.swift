// The JSON form of a contact. `language` may be left out (vi); a channel is
// `{"type":"sms","phone":"+84901234567"}` and so on, its fields beside `type`.

extension Contact {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        language = try container.decodeIfPresent(NotificationText.Language.self, forKey: .language) ?? .vi
        channels = try container.decode([ContactChannel].self, forKey: .channels)
    }
}

extension ContactChannel: Codable {
    enum CodingKeys: String, CodingKey {
        case type, url, secret, address, phone
        case chatID = "chat_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let type = try container.decode(String.self, forKey: .type)
        switch Kind(rawValue: type) {
        case .webhook:
            self = .webhook(url: try container.decode(String.self, forKey: .url),
                            secret: try container.decode(String.self, forKey: .secret))
        case .email: self = .email(address: try container.decode(String.self, forKey: .address))
        case .sms: self = .sms(phone: try container.decode(String.self, forKey: .phone))
        case .telegram: self = .telegram(chatID: try container.decode(String.self, forKey: .chatID))
        case nil:
            throw DecodingError.dataCorruptedError(
                forKey: .type, in: container,
                debugDescription: "unknown channel type '\(type)'; expected webhook, email, sms or telegram")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .type)
        switch self {
        case .webhook(let url, let secret):
            try container.encode(url, forKey: .url)
            try container.encode(secret, forKey: .secret)
        case .email(let address): try container.encode(address, forKey: .address)
        case .sms(let phone): try container.encode(phone, forKey: .phone)
        case .telegram(let chatID): try container.encode(chatID, forKey: .chatID)
        }
    }
}
