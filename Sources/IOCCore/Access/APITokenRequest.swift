/// What a new API token is to be: a name people recognise, a role, an optional unit scope and
/// expiry. Validated before anything is stored.
public struct APITokenRequest: Sendable, Codable, Equatable {
    public var name: String
    public var role: Role
    /// Administrative unit code; the token then sees only that unit's subtree.
    public var unit: String?
    /// Days from now until the token stops working; nil for never.
    public var expiresDays: Int?

    enum CodingKeys: String, CodingKey {
        case name, role, unit
        case expiresDays = "expires_days"
    }

    public init(name: String, role: Role, unit: String? = nil, expiresDays: Int? = nil) {
        self.name = name
        self.role = role
        self.unit = unit
        self.expiresDays = expiresDays
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        let roleText = try container.decode(String.self, forKey: .role)
        guard let role = Role(rawValue: roleText) else {
            throw TokenValidationError(field: "role", message: "role '\(roleText)' is not one of \(Role.names)")
        }
        self.role = role
        unit = try container.decodeIfPresent(String.self, forKey: .unit)
        expiresDays = try container.decodeIfPresent(Int.self, forKey: .expiresDays)
    }

    public static let maxExpiresDays = 3650

    public func validate() throws(TokenValidationError) {
        guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy(Self.isNameByte) else {
            throw TokenValidationError(field: "name", message: "a token name is 1 to 64 letters, digits, '.', '-' or '_' (such as wall-room-1 or nguyen.van.an), not '\(name)'")
        }
        if let unit, unit.isEmpty {
            throw TokenValidationError(field: "unit", message: "unit is an administrative unit code, or absent for the whole province")
        }
        // Refused until every endpoint filters by it: a token believed to be limited to a
        // district must not see the province.
        if unit != nil, role == .admin {
            throw TokenValidationError(field: "unit", message: "admin tokens are province-wide (rules, paging, tokens and gateways are not divided by unit); give a unit to viewer, display or operator tokens only")
        }
        if let expiresDays, !(1...Self.maxExpiresDays).contains(expiresDays) {
            throw TokenValidationError(field: "expires_days", message: "expires_days is from 1 to \(Self.maxExpiresDays), or absent for a token that does not expire; not \(expiresDays)")
        }
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }
}

/// A token request that cannot be honoured, with the field at fault.
public struct TokenValidationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { message }
}
