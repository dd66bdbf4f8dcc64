// The JSON form of an escalation policy. Optional fields may be left out when decoding
// (enabled: true, match: everything, repeat: 0, repeat_after_minutes: the last step's
// after_minutes); a target is `{"contact": name}` or `{"rota": name}`, with optional `channels`.

extension EscalationPolicy {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        match = try container.decodeIfPresent(Match.self, forKey: .match) ?? Match()
        steps = try container.decode([Step].self, forKey: .steps)
        repeatCount = try container.decodeIfPresent(Int.self, forKey: .repeatCount) ?? 0
        repeatAfterMinutes = try container.decodeIfPresent(Int.self, forKey: .repeatAfterMinutes)
    }
}

extension EscalationPolicy.Match {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        units = try container.decodeIfPresent([String].self, forKey: .units) ?? []
        domains = try container.decodeIfPresent([String].self, forKey: .domains) ?? []
        minSeverity = try container.decodeIfPresent(AlertRule.Severity.self, forKey: .minSeverity) ?? .info
    }
}

extension EscalationPolicy.Target: Codable {
    enum CodingKeys: String, CodingKey {
        case contact, rota, channels
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let contact = try container.decodeIfPresent(String.self, forKey: .contact)
        let rota = try container.decodeIfPresent(String.self, forKey: .rota)
        switch (contact, rota) {
        case (let contact?, nil): recipient = .contact(contact)
        case (nil, let rota?): recipient = .rota(rota)
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: #"a target needs exactly one of "contact" (a contact's name) or "rota" (a rota's name, for whoever is on call)"#))
        }
        channels = try container.decodeIfPresent([ContactChannel.Kind].self, forKey: .channels)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch recipient {
        case .contact(let name): try container.encode(name, forKey: .contact)
        case .rota(let name): try container.encode(name, forKey: .rota)
        }
        try container.encodeIfPresent(channels, forKey: .channels)
    }
}
