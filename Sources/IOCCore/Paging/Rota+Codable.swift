// The JSON form of a rota. `time_zone` may be left out (Asia/Ho_Chi_Minh), and `overrides` ([]);
// override times are RFC 3339 strings, written back in UTC.

extension Rota {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        members = try container.decode([String].self, forKey: .members)
        rotationHours = try container.decode(Int.self, forKey: .rotationHours)
        handoffTime = try container.decode(String.self, forKey: .handoffTime)
        timeZone = try container.decodeIfPresent(String.self, forKey: .timeZone) ?? Rota.vietnam
        startDate = try container.decode(String.self, forKey: .startDate)
        overrides = try container.decodeIfPresent([Override].self, forKey: .overrides) ?? []
    }
}

extension Rota.Override {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        member = try container.decode(String.self, forKey: .member)
        from = try container.decodeTimestamp(forKey: .from)
        to = try container.decodeTimestamp(forKey: .to)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(member, forKey: .member)
        try container.encode(from.rfc3339, forKey: .from)
        try container.encode(to.rfc3339, forKey: .to)
    }
}
