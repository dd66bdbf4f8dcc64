/// What a token may do. Roles are ordered by what they grant: each grants everything the one
/// before it grants, and more.
public enum Role: String, Sendable, CaseIterable, Codable, Comparable {
    /// Kiosk screens: only what the wall displays read (units, stations, GeoJSON, sensors, latest,
    /// history, summary, the alert list, layouts, the live feed).
    case display
    /// Reads everything but contacts' personal data and the configuration of access.
    case viewer
    /// A viewer who also acknowledges, resolves, assigns and comments alerts and creates or ends silences.
    case `operator`
    /// Everything, configuration included: rules, contacts, rotas, escalation policies, tokens, audit.
    case admin

    public var permissions: Set<Permission> {
        switch self {
        case .display: [.display]
        case .viewer: [.display, .read]
        case .operator: [.display, .read, .operate]
        case .admin: Set(Permission.allCases)
        }
    }

    public func may(_ permission: Permission) -> Bool { permissions.contains(permission) }

    public static func < (lhs: Role, rhs: Role) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// `display, viewer, operator, admin`, for messages.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// A permission a route requires.
public enum Permission: String, Sendable, CaseIterable {
    /// What a wall display reads.
    case display
    /// Any other read.
    case read
    /// Operators' actions on alerts and silences.
    case operate
    /// Configuration: rules, paging, tokens, audit.
    case administer
}

/// Who a request acts for: the token's name, role and scope.
public struct AccessGrant: Sendable, Hashable {
    public var tokenID: Int64
    public var name: String
    public var role: Role
    /// The administrative unit whose subtree the token sees; nil for all.
    public var unit: String?

    public init(tokenID: Int64, name: String, role: Role, unit: String? = nil) {
        self.tokenID = tokenID
        self.name = name
        self.role = role
        self.unit = unit
    }
}
