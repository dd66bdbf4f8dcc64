/// Where a water level stands against a station's flood alarm levels I < II < III (báo động I,
/// II, III): the highest level reached and how far the next one is. For a station with all three
/// levels; `FloodAlarm`, which this uses, also handles stations with only some.
public struct AlarmLevelStanding: Sendable, Equatable {
    public static let levelNames = ["I", "II", "III"]

    public var value: Double
    /// The thresholds of levels I, II and III, in that order.
    public var thresholds: [Double]
    /// 0 when below level I, else 1, 2 or 3.
    public var reached: Int

    /// Nil unless there are exactly three thresholds in increasing order.
    public init?(value: Double, thresholds: [Double]) {
        guard thresholds.count == 3, thresholds[0] < thresholds[1], thresholds[1] < thresholds[2] else { return nil }
        self.value = value
        self.thresholds = thresholds
        reached = FloodAlarm.level(value, AlarmLevels(one: thresholds[0], two: thresholds[1], three: thresholds[2]))
    }

    /// "I", "II", "III", or nil below level I.
    public var reachedLevel: String? { reached == 0 ? nil : Self.levelNames[reached - 1] }

    /// The next level above the value, nil at level III.
    public var nextLevel: String? { reached == 3 ? nil : Self.levelNames[reached] }

    /// Metres (the metric's unit) still to rise to the next level; nil at level III.
    public var marginToNext: Double? { FloodAlarm.marginToNext(value, levels) }

    /// Metres above the highest level reached; nil below level I.
    public var aboveReached: Double? { FloodAlarm.excess(value, levels) }

    var levels: AlarmLevels { AlarmLevels(one: thresholds[0], two: thresholds[1], three: thresholds[2]) }

    /// Whether `self` is more alarming than `other`: a higher level reached, or at the same level
    /// closer to the next one (at level III, further above it).
    public func isWorse(than other: AlarmLevelStanding) -> Bool {
        if reached != other.reached { return reached > other.reached }
        if let margin = marginToNext, let otherMargin = other.marginToNext { return margin < otherMargin }
        return (aboveReached ?? 0) > (other.aboveReached ?? 0)
    }
}
