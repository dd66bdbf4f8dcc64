/// Where the congestion states begin. These are PROJECT-DEFINED defaults: no national standard
/// grades urban congestion for real-time operations (the HCMC Department of Transport's proposal,
/// not known to be adopted, calls a road congested below 10 km/h for 30 minutes). Label them as
/// such in the UI.
public struct CongestionThresholds: Sendable, Equatable {
    /// Speed / free-flow speed below which traffic is slow.
    public var slowRatio: Double
    /// Speed / free-flow speed below which traffic is congested.
    public var congestedRatio: Double
    /// Speed / free-flow speed below which traffic is jammed.
    public var jammedRatio: Double
    /// Any speed below this (km/h) is jammed, whatever the free-flow speed (the HCMC proposal's figure).
    public var jammedSpeedKmh: Double
    /// Detector occupancy (percent of time a vehicle is over it) at or above which the state is at
    /// least congested.
    public var congestedOccupancy: Double
    /// Occupancy (percent) at or above which the state is jammed.
    public var jammedOccupancy: Double
    /// Free-flow speed (km/h) for a station whose attributes give no `free_flow_kmh`.
    public var defaultFreeFlowKmh: Double

    public init(
        slowRatio: Double = 0.7, congestedRatio: Double = 0.5, jammedRatio: Double = 0.3, jammedSpeedKmh: Double = 10,
        congestedOccupancy: Double = 30, jammedOccupancy: Double = 50, defaultFreeFlowKmh: Double = 60
    ) {
        self.slowRatio = slowRatio
        self.congestedRatio = congestedRatio
        self.jammedRatio = jammedRatio
        self.jammedSpeedKmh = jammedSpeedKmh
        self.congestedOccupancy = congestedOccupancy
        self.jammedOccupancy = jammedOccupancy
        self.defaultFreeFlowKmh = defaultFreeFlowKmh
    }

    public static let `default` = CongestionThresholds()
}

/// The congestion state of a road section from a traffic station's speed and occupancy.
public enum Congestion {
    /// 0 free flow, 1 slow, 2 congested, 3 jammed, from the speed as a share of the free-flow
    /// speed: at or above `slowRatio` free, at or above `congestedRatio` slow, at or above
    /// `jammedRatio` congested, else jammed. A speed below `jammedSpeedKmh` is jammed. Occupancy,
    /// when known, can raise the state (never lower it). A free-flow speed that is missing or not
    /// a positive number uses `defaultFreeFlowKmh`. A speed that is not a finite number ≥ 0 says nothing, and
    /// only occupancy can then set the state.
    public static func state(
        speedKmh: Double, freeFlowKmh: Double?, occupancyPercent: Double?, thresholds: CongestionThresholds = .default
    ) -> Int {
        var state = 0
        if speedKmh.isFinite, speedKmh >= 0 {
            let freeFlow = freeFlowKmh.flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? thresholds.defaultFreeFlowKmh
            // A ratio, not speed against ratio × free flow, so 42 of 60 km/h is exactly 0.7.
            let ratio = speedKmh / freeFlow
            state = speedKmh < thresholds.jammedSpeedKmh || ratio < thresholds.jammedRatio ? 3
                : ratio < thresholds.congestedRatio ? 2
                : ratio < thresholds.slowRatio ? 1
                : 0
        }
        if let occupancy = occupancyPercent, occupancy.isFinite {
            if occupancy >= thresholds.jammedOccupancy {
                state = 3
            } else if occupancy >= thresholds.congestedOccupancy {
                state = max(state, 2)
            }
        }
        return state
    }

    /// The state's name in Vietnamese and English; nil outside 0...3.
    public static func name(_ state: Int) -> (vi: String, en: String)? {
        switch state {
        case 0: ("Thông thoáng", "Free flow")
        case 1: ("Chậm", "Slow")
        case 2: ("Ùn ứ", "Congested")
        case 3: ("Ùn tắc", "Jammed")
        default: nil
        }
    }
}
