// The JSON form of a rule. Optional fields may be left out when decoding (enabled: true,
// for_seconds: 0, labels: {}, hysteresis: 0); `scope` and `condition` are flat objects whose
// `kind` says which case they are.

extension AlertRule {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decodeIfPresent(Int64.self, forKey: .id)
        name = try container.decode(String.self, forKey: .name)
        enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        severity = try container.decode(Severity.self, forKey: .severity)
        forSeconds = try container.decodeIfPresent(Double.self, forKey: .forSeconds) ?? 0
        labels = try container.decodeIfPresent([String: String].self, forKey: .labels) ?? [:]
        scope = try container.decode(Scope.self, forKey: .scope)
        condition = try container.decode(Condition.self, forKey: .condition)
    }
}

extension AlertRule.Scope: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, id, code, metric, name, domain
        case unitCode = "unit_code"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "sensor":
            self = .sensor(id: try container.decode(Int32.self, forKey: .id))
        case "station":
            self = .station(
                code: try container.decode(String.self, forKey: .code),
                metric: try container.decodeIfPresent(String.self, forKey: .metric))
        case "metric":
            self = .metric(
                name: try container.decode(String.self, forKey: .name),
                domain: try container.decodeIfPresent(String.self, forKey: .domain),
                unitCode: try container.decodeIfPresent(String.self, forKey: .unitCode))
        case "gateway":
            self = .gateway(code: try container.decode(String.self, forKey: .code))
        case "all":
            self = .all(
                domain: try container.decodeIfPresent(String.self, forKey: .domain),
                unitCode: try container.decodeIfPresent(String.self, forKey: .unitCode))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown scope kind '\(kind)'; expected sensor, station, metric, gateway or all")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .sensor(let id):
            try container.encode("sensor", forKey: .kind)
            try container.encode(id, forKey: .id)
        case .station(let code, let metric):
            try container.encode("station", forKey: .kind)
            try container.encode(code, forKey: .code)
            try container.encodeIfPresent(metric, forKey: .metric)
        case .metric(let name, let domain, let unitCode):
            try container.encode("metric", forKey: .kind)
            try container.encode(name, forKey: .name)
            try container.encodeIfPresent(domain, forKey: .domain)
            try container.encodeIfPresent(unitCode, forKey: .unitCode)
        case .gateway(let code):
            try container.encode("gateway", forKey: .kind)
            try container.encode(code, forKey: .code)
        case .all(let domain, let unitCode):
            try container.encode("all", forKey: .kind)
            try container.encodeIfPresent(domain, forKey: .domain)
            try container.encodeIfPresent(unitCode, forKey: .unitCode)
        }
    }
}

extension AlertRule.Condition: Codable {
    enum CodingKeys: String, CodingKey {
        case kind
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let kind = try container.decode(String.self, forKey: .kind)
        switch kind {
        case "levels": self = .levels(try AlertRule.Levels(from: decoder))
        case "rate_of_change": self = .rateOfChange(try AlertRule.RateOfChange(from: decoder))
        case "window": self = .window(try AlertRule.WindowAggregate(from: decoder))
        case "no_data": self = .noData(try AlertRule.NoData(from: decoder))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "unknown condition kind '\(kind)'; expected levels, rate_of_change, window or no_data")
        }
    }

    /// The fields of the case sit beside `kind` in the same object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .levels(let levels): try levels.encode(to: encoder)
        case .rateOfChange(let rate): try rate.encode(to: encoder)
        case .window(let window): try window.encode(to: encoder)
        case .noData(let noData): try noData.encode(to: encoder)
        }
    }
}

extension AlertRule.Levels {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        direction = try container.decode(Direction.self, forKey: .direction)
        levels = try container.decode([AlertRule.Level].self, forKey: .levels)
        hysteresis = try container.decodeIfPresent(Double.self, forKey: .hysteresis) ?? 0
    }
}

extension AlertRule.Threshold: Codable {
    enum CodingKeys: String, CodingKey {
        case value, attribute
    }

    /// `{"value": 2.7}` or `{"attribute": "alarm_levels.II"}`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let value = try container.decodeIfPresent(Double.self, forKey: .value)
        let attribute = try container.decodeIfPresent(String.self, forKey: .attribute)
        switch (value, attribute) {
        case (let value?, nil): self = .value(value)
        case (nil, let attribute?): self = .attribute(attribute)
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: #"a threshold needs exactly one of "value" (a number) or "attribute" (a station attribute key like alarm_levels.II)"#))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .value(let value): try container.encode(value, forKey: .value)
        case .attribute(let key): try container.encode(key, forKey: .attribute)
        }
    }
}
