import Hummingbird
import IOCCore
import IOCStorage

/// What a token limited to an administrative unit may see: that unit's subtree, nothing else.
/// Handlers narrow their filters with it before they query. Something outside the scope answers
/// exactly as something that does not exist (404 with the same message), so a scoped token cannot
/// even learn which units, stations, sensors or alerts exist elsewhere.
struct UnitScope: Sendable {
    /// The unit whose subtree the token sees; nil for the whole province.
    let unit: String?

    init(_ context: APIRequestContext) {
        unit = context.grant?.unit
    }

    init(unit: String?) {
        self.unit = unit
    }

    /// Whether something under `unitPath` (its unit first, then the ancestors) is in scope.
    func contains(unitPath: [String]) -> Bool {
        guard let unit else { return true }
        return unitPath.contains(unit)
    }

    /// Whether `unit`, found in `unitPath` (a unit first, then its ancestors), is the scope or
    /// below it: an ancestor of the scope is outside it, as in `narrow`.
    func contains(unit code: String, inPath unitPath: [String]) -> Bool {
        guard let at = unitPath.firstIndex(of: code) else { return false }
        guard let unit else { return true }
        return unitPath.firstIndex(of: unit).map { at <= $0 } ?? false
    }

    /// The unit subtree a request is answered from: the asked `unit` (which must be in scope), or
    /// the scope itself when none is asked. A unit outside the scope is a 404, as a missing one.
    func narrow(unit requested: String?, store: DashboardStore) async throws -> String? {
        guard let requested, !requested.isEmpty else { return unit }
        guard let path = try await store.unitPath(code: requested), contains(unitPath: path) else {
            throw DashboardAPI.unknownUnit(requested)
        }
        return requested
    }

    /// Checks that station `code` exists and is in scope; a 404 otherwise.
    func check(station code: String, store: DashboardStore) async throws {
        guard let path = try await store.stationUnitPath(code: code), contains(unitPath: path) else {
            throw DashboardAPI.unknownStation(code)
        }
    }
}
