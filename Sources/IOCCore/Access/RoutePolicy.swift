/// What each route requires, keyed by method and the router's path (`GET /api/v1/rules/{id}`).
/// A route missing here is refused to every token (and the authorization-matrix test fails), so a
/// new route cannot be served without someone deciding who may call it.
public struct RoutePolicy: Sendable {
    public enum Requirement: Sendable, Equatable {
        /// No token needed: health, readiness, this API's description, the wall page and its assets
        /// (they hold no data; what they fetch is protected).
        case open
        /// `/metrics`: open or `read`, as configured.
        case metrics
        case permission(Permission)
    }

    public var metricsOpen: Bool

    public init(metricsOpen: Bool) {
        self.metricsOpen = metricsOpen
    }

    public static let table: [String: Requirement] = {
        var table: [String: Requirement] = [:]
        func add(_ requirement: Requirement, _ routes: [String]) {
            for route in routes { table[route] = requirement }
        }
        add(.open, ["GET /healthz", "GET /readyz", "GET /openapi.yaml", "GET /wall", "GET /wall/{name}", "GET /wall/assets/{file}"])
        add(.metrics, ["GET /metrics"])
        add(.permission(.display), [
            "GET /api/v1/units", "GET /api/v1/stations", "GET /api/v1/stations.geojson", "GET /api/v1/sensors",
            "GET /api/v1/latest", "GET /api/v1/history", "GET /api/v1/summary", "GET /api/v1/alerts",
            "GET /api/v1/dashboards", "GET /api/v1/dashboards/{name}", "GET /api/v1/live",
        ])
        add(.permission(.read), [
            "GET /api/v1/export", "GET /api/v1/alerts/{id}", "GET /api/v1/silences", "GET /api/v1/silences/{id}",
            "GET /api/v1/rules", "GET /api/v1/rules/{id}",
            "GET /api/v1/rotas", "GET /api/v1/rotas/{id}", "GET /api/v1/rotas/{id}/on-call",
            "GET /api/v1/escalation-policies", "GET /api/v1/escalation-policies/{id}",
        ])
        add(.permission(.operate), [
            "POST /api/v1/alerts/{id}/acknowledge", "POST /api/v1/alerts/{id}/resolve", "POST /api/v1/alerts/{id}/assign",
            "POST /api/v1/alerts/{id}/comments", "POST /api/v1/silences", "DELETE /api/v1/silences/{id}",
        ])
        add(.permission(.administer), [
            "POST /api/v1/rules", "PUT /api/v1/rules/{id}", "DELETE /api/v1/rules/{id}",
            "POST /api/v1/rules/{id}/enable", "POST /api/v1/rules/{id}/disable",
            // Contacts carry personal data (phone numbers, addresses, chat ids): admins only, reads too.
            "GET /api/v1/contacts", "GET /api/v1/contacts/{id}",
            "POST /api/v1/contacts", "PUT /api/v1/contacts/{id}", "DELETE /api/v1/contacts/{id}",
            "POST /api/v1/rotas", "PUT /api/v1/rotas/{id}", "DELETE /api/v1/rotas/{id}",
            "POST /api/v1/escalation-policies", "PUT /api/v1/escalation-policies/{id}", "DELETE /api/v1/escalation-policies/{id}",
            "GET /api/v1/tokens", "POST /api/v1/tokens", "DELETE /api/v1/tokens/{name}",
            "GET /api/v1/gateways", "POST /api/v1/gateways", "POST /api/v1/gateways/{code}/disable",
            "POST /api/v1/gateways/{code}/enable", "POST /api/v1/gateways/{code}/rotate",
            "GET /api/v1/audit",
        ])
        return table
    }()

    /// The routes a token limited to an administrative unit may call: their handlers narrow every
    /// answer to the unit's subtree (stations, sensors, readings, summaries, exports, alerts, the
    /// live feed, silences confined to the unit). Everything else (rules, paging, tokens, audit,
    /// gateways, metrics) is province-wide configuration or operations, refused to scoped tokens.
    public static let scopedRoutes: Set<String> = [
        "GET /api/v1/units", "GET /api/v1/stations", "GET /api/v1/stations.geojson", "GET /api/v1/sensors",
        "GET /api/v1/latest", "GET /api/v1/history", "GET /api/v1/summary", "GET /api/v1/alerts",
        "GET /api/v1/dashboards", "GET /api/v1/dashboards/{name}", "GET /api/v1/live",
        "GET /api/v1/export", "GET /api/v1/alerts/{id}", "GET /api/v1/silences", "GET /api/v1/silences/{id}",
        "POST /api/v1/alerts/{id}/acknowledge", "POST /api/v1/alerts/{id}/resolve", "POST /api/v1/alerts/{id}/assign",
        "POST /api/v1/alerts/{id}/comments", "POST /api/v1/silences", "DELETE /api/v1/silences/{id}",
    ]

    /// What `method path` requires; nil when the route has no entry (refuse it).
    public func requirement(method: String, path: String) -> Requirement? {
        Self.table["\(method) \(path)"]
    }

    public enum Decision: Sendable, Equatable {
        case allow
        /// 401: no token, or one that is unknown, expired or revoked.
        case unauthenticated
        /// 403: the token's role may not, or the route has no policy.
        case forbidden(String)
    }

    /// Whether a request to `method path` by `grant` (nil without a valid token) may go on.
    public func decide(method: String, path: String, grant: AccessGrant?) -> Decision {
        guard let requirement = requirement(method: method, path: path) else {
            return grant == nil ? .unauthenticated : .forbidden("\(method) \(path) has no access rule; nobody may call it")
        }
        let permission: Permission
        switch requirement {
        case .open: return .allow
        case .metrics:
            if metricsOpen { return .allow }
            permission = .read
        case .permission(let needed): permission = needed
        }
        guard let grant else { return .unauthenticated }
        guard grant.role.may(permission) else {
            return .forbidden("the \(grant.role.rawValue) token \(grant.name) may not \(method) \(path) (it needs the \(permission.rawValue) permission: role \(Self.lowestRole(for: permission).rawValue) or above)")
        }
        if let unit = grant.unit, !Self.scopedRoutes.contains("\(method) \(path)") {
            return .forbidden("\(method) \(path) is province-wide; the token \(grant.name) is limited to unit \(unit) and sees only that unit's data")
        }
        return .allow
    }

    public static func lowestRole(for permission: Permission) -> Role {
        Role.allCases.first { $0.may(permission) } ?? .admin
    }
}
