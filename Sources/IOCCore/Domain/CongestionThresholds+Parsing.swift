extension CongestionThresholds {
    /// The keys of `init(parsing:)`, each with the field it sets.
    public static let keys = ["slow", "congested", "jammed", "jam_speed", "congested_occupancy", "jammed_occupancy", "free_flow"]

    /// Thresholds from `key=value` pairs separated by commas, over the defaults:
    /// `slow=0.7,congested=0.5,jammed=0.3,jam_speed=10,congested_occupancy=30,jammed_occupancy=50,free_flow=60`
    /// (ratios of speed to free-flow speed, km/h, percent). Throws a message that names the
    /// problem: an unknown key, a value that is not a number, ratios not decreasing within (0, 1].
    public init(parsing text: String) throws(CongestionThresholdsError) {
        self = .default
        for pair in text.split(separator: ",").map({ $0.trimmingWhitespace() }) where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingWhitespace() }
            guard parts.count == 2 else { throw CongestionThresholdsError("'\(pair)' is not key=value") }
            guard let value = Double(parts[1]), value.isFinite, value >= 0 else {
                throw CongestionThresholdsError("\(parts[0]): '\(parts[1])' is not a number ≥ 0")
            }
            switch parts[0] {
            case "slow": slowRatio = value
            case "congested": congestedRatio = value
            case "jammed": jammedRatio = value
            case "jam_speed": jammedSpeedKmh = value
            case "congested_occupancy": congestedOccupancy = value
            case "jammed_occupancy": jammedOccupancy = value
            case "free_flow": defaultFreeFlowKmh = value
            default:
                throw CongestionThresholdsError("unknown key '\(parts[0])'; the keys are \(Self.keys.joined(separator: ", "))")
            }
        }
        guard slowRatio <= 1, slowRatio > congestedRatio, congestedRatio > jammedRatio, jammedRatio > 0 else {
            throw CongestionThresholdsError("ratios must decrease within (0, 1]: slow \(slowRatio) > congested \(congestedRatio) > jammed \(jammedRatio) > 0")
        }
        guard congestedOccupancy <= jammedOccupancy, jammedOccupancy <= 100 else {
            throw CongestionThresholdsError("occupancies must be congested \(congestedOccupancy) ≤ jammed \(jammedOccupancy) ≤ 100")
        }
        guard defaultFreeFlowKmh > 0 else { throw CongestionThresholdsError("free_flow must be above 0 km/h") }
    }
}

/// Why a congestion threshold setting was refused.
public struct CongestionThresholdsError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
