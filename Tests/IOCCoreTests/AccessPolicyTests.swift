import IOCCore
import Testing

@Suite("Roles, permissions and the route policy")
struct AccessPolicyTests {
    let policy = RoutePolicy(metricsOpen: false)

    func grant(_ role: Role) -> AccessGrant { AccessGrant(tokenID: 1, name: "t-\(role.rawValue)", role: role) }

    @Test("each role grants what the one below it grants, and more")
    func rolesNest() {
        #expect(Role.allCases == [.display, .viewer, .operator, .admin])
        for (lower, higher) in zip(Role.allCases, Role.allCases.dropFirst()) {
            #expect(lower < higher)
            #expect(lower.permissions.isStrictSubset(of: higher.permissions), "\(lower) ⊂ \(higher)")
        }
        #expect(Role.display.permissions == [.display])
        #expect(Role.admin.permissions == Set(Permission.allCases))
        #expect(RoutePolicy.lowestRole(for: .operate) == .operator)
    }

    @Test("decisions, table-driven", arguments: [
        // route, role (nil: no token), allowed
        ("GET /healthz", nil, true), ("GET /readyz", nil, true), ("GET /openapi.yaml", nil, true), ("GET /wall/{name}", nil, true),
        ("GET /metrics", nil, false), ("GET /metrics", Role.display, false), ("GET /metrics", Role.viewer, true),
        ("GET /api/v1/latest", nil, false), ("GET /api/v1/latest", .display, true),
        ("GET /api/v1/live", .display, true), ("GET /api/v1/alerts", .display, true),
        ("GET /api/v1/export", .display, false), ("GET /api/v1/export", .viewer, true),
        ("GET /api/v1/rules", .display, false), ("GET /api/v1/rules", .viewer, true),
        ("POST /api/v1/alerts/{id}/acknowledge", .viewer, false), ("POST /api/v1/alerts/{id}/acknowledge", .operator, true),
        ("POST /api/v1/silences", .operator, true), ("DELETE /api/v1/silences/{id}", .viewer, false),
        ("POST /api/v1/rules", .operator, false), ("POST /api/v1/rules", .admin, true),
        ("GET /api/v1/contacts", .operator, false), ("GET /api/v1/contacts", .admin, true),
        ("GET /api/v1/tokens", .operator, false), ("DELETE /api/v1/tokens/{name}", .admin, true),
        ("GET /api/v1/gateways", .operator, false), ("GET /api/v1/gateways", .admin, true),
        ("POST /api/v1/gateways/{code}/rotate", .operator, false), ("POST /api/v1/gateways/{code}/disable", .admin, true),
    ] as [(String, Role?, Bool)])
    func decisions(route: String, role: Role?, allowed: Bool) {
        let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
        let decision = policy.decide(method: parts[0], path: parts[1], grant: role.map(grant))
        if allowed {
            #expect(decision == .allow)
        } else if role == nil {
            #expect(decision == .unauthenticated)
        } else if case .forbidden(let reason) = decision {
            #expect(reason.contains(parts[1]))
        } else {
            Issue.record("\(route) for \(role!) should be forbidden, was \(decision)")
        }
    }

    @Test("/metrics is open when configured so")
    func metricsOpen() {
        #expect(RoutePolicy(metricsOpen: true).decide(method: "GET", path: "/metrics", grant: nil) == .allow)
    }

    @Test("a route without an entry is refused to everyone, admins too")
    func unknownRoute() {
        #expect(policy.decide(method: "GET", path: "/api/v1/new-thing", grant: nil) == .unauthenticated)
        guard case .forbidden(let reason) = policy.decide(method: "GET", path: "/api/v1/new-thing", grant: grant(.admin)) else {
            Issue.record("an admin got through a route with no policy")
            return
        }
        #expect(reason.contains("no access rule"))
    }

    @Test("token requests are validated with the field at fault")
    func tokenRequests() {
        #expect(throws: Never.self) { try APITokenRequest(name: "wall-room_1.a", role: .display, expiresDays: 30).validate() }
        for role in [Role.display, .viewer, .operator] {
            #expect(throws: Never.self) { try APITokenRequest(name: "district", role: role, unit: "PY-TUYHOA").validate() }
        }
        for (request, field) in [
            (APITokenRequest(name: "", role: .admin), "name"),
            (APITokenRequest(name: "has space", role: .admin), "name"),
            (APITokenRequest(name: String(repeating: "a", count: 65), role: .admin), "name"),
            (APITokenRequest(name: "ok", role: .admin, unit: ""), "unit"),
            // Admin tokens are province-wide.
            (APITokenRequest(name: "ok", role: .admin, unit: "PY"), "unit"),
            (APITokenRequest(name: "ok", role: .admin, expiresDays: 0), "expires_days"),
            (APITokenRequest(name: "ok", role: .admin, expiresDays: 5000), "expires_days"),
        ] {
            #expect(throws: TokenValidationError.self) { try request.validate() }
            do { try request.validate() } catch { #expect(error.field == field) }
        }
    }

    @Test("a token limited to a unit keeps its role's routes that narrow to the unit, and loses the province-wide ones", arguments: [
        (Role.display, "GET", "/api/v1/stations", true),
        (.display, "GET", "/api/v1/live", true),
        (.display, "GET", "/api/v1/export", false),
        (.viewer, "GET", "/api/v1/export", true),
        (.viewer, "GET", "/api/v1/alerts/{id}", true),
        (.viewer, "GET", "/api/v1/silences", true),
        (.viewer, "GET", "/api/v1/rules", false),
        (.viewer, "GET", "/api/v1/rotas/{id}/on-call", false),
        (.viewer, "GET", "/api/v1/escalation-policies", false),
        (.viewer, "GET", "/metrics", false),
        (.operator, "POST", "/api/v1/alerts/{id}/acknowledge", true),
        (.operator, "POST", "/api/v1/silences", true),
        (.operator, "DELETE", "/api/v1/silences/{id}", true),
        (.operator, "GET", "/api/v1/rules", false),
        (.admin, "GET", "/api/v1/tokens", false),
        (.admin, "GET", "/api/v1/stations", true),
    ] as [(Role, String, String, Bool)])
    func scoped(_ role: Role, method: String, path: String, allowed: Bool) {
        let policy = RoutePolicy(metricsOpen: false)
        let grant = AccessGrant(tokenID: 1, name: "district", role: role, unit: "PY-TUYHOA")
        let decision = policy.decide(method: method, path: path, grant: grant)
        #expect((decision == .allow) == allowed, "\(decision)")
        if case .forbidden(let reason) = decision, policy.decide(method: method, path: path, grant: AccessGrant(tokenID: 1, name: "x", role: role)) == .allow {
            #expect(reason.contains("limited to unit PY-TUYHOA"), "the refusal names the scope: \(reason)")
        }
        // Every scoped route is a route with a rule.
        for route in RoutePolicy.scopedRoutes { #expect(RoutePolicy.table[route] != nil, "\(route)") }
    }
}
