/// A hydrological station's flood alarm levels I, II and III (báo động I/II/III, BĐ1–BĐ3), in
/// metres at the station's gauge datum, as set by Decision 05/2020/QĐ-TTg or by the provincial
/// People's Committee for stations the decision does not list. Any level may be missing: many
/// stations have only some of them. Levels are meaningful only at their own station.
public struct AlarmLevels: Sendable, Equatable {
    public var one: Double?
    public var two: Double?
    public var three: Double?

    public init(one: Double?, two: Double?, three: Double?) {
        self.one = one
        self.two = two
        self.three = three
    }

    /// From a station's numeric attributes by dotted path, as the core carries them
    /// (`SensorContext.attributes`): `{"alarm_levels": {"I": 1.7, "II": 2.7, "III": 3.7}}` gives
    /// `alarm_levels.I`, `alarm_levels.II`, `alarm_levels.III`. Nil when none of the three is given.
    public init?(attributes: [String: Double]) {
        func level(_ name: String) -> Double? { attributes["alarm_levels." + name].flatMap { $0.isFinite ? $0 : nil } }
        self.init(one: level("I"), two: level("II"), three: level("III"))
        if given.isEmpty { return nil }
    }

    /// Levels I, II and III in that order, nil where the station has none.
    public var thresholds: [Double?] { [one, two, three] }

    /// The levels the station has (finite values only), as (level 1...3, threshold).
    var given: [(level: Int, threshold: Double)] {
        thresholds.enumerated().compactMap { index, threshold in
            guard let threshold, threshold.isFinite else { return nil }
            return (index + 1, threshold)
        }
    }
}

/// Where a water level stands against a station's flood alarm levels. Levels are expected to rise
/// I < II < III, as in Decision 05/2020; if a station's are out of order, the highest level whose
/// threshold the water has reached wins.
public enum FloodAlarm {
    /// 0 below level I (below the lowest given level when I is missing), else 1, 2 or 3: the
    /// highest level reached. A water level exactly at a threshold has reached it.
    public static func level(_ waterLevel: Double, _ levels: AlarmLevels) -> Int {
        guard waterLevel.isFinite else { return 0 }
        return levels.given.last(where: { waterLevel >= $0.threshold })?.level ?? 0
    }

    /// Metres still to rise to the next given level above the one reached (positive); nil at or
    /// above the highest given level, or with no levels.
    public static func marginToNext(_ waterLevel: Double, _ levels: AlarmLevels) -> Double? {
        guard waterLevel.isFinite else { return nil }
        let reached = level(waterLevel, levels)
        return levels.given.first(where: { $0.level > reached }).map { $0.threshold - waterLevel }
    }

    /// Metres above the highest level reached (0 exactly at it); nil below every given level.
    public static func excess(_ waterLevel: Double, _ levels: AlarmLevels) -> Double? {
        let reached = level(waterLevel, levels)
        return levels.given.first(where: { $0.level == reached }).map { waterLevel - $0.threshold }
    }

    /// The rate of rise in metres per hour (negative when falling): the least-squares slope of the
    /// samples in the `windowSeconds` up to and including the newest sample (a sample exactly
    /// `windowSeconds` before it counts). Samples may be unsorted; non-finite values are ignored.
    /// Nil with fewer than 2 samples in the window or when they span less than a quarter of it,
    /// since a slope over a few minutes of gauge noise says little about the flood.
    public static func riseRate(_ samples: [(time: Timestamp, value: Double)], windowSeconds: Double = 3600) -> Double? {
        let finite = samples.filter { $0.value.isFinite }
        guard windowSeconds > 0, let newest = finite.map(\.time).max() else { return nil }
        let start = newest.adding(seconds: -windowSeconds)
        // Seconds before the newest sample, so the sums stay small and exact-ish.
        let points = finite.filter { $0.time >= start }.map { (x: $0.time.seconds - newest.seconds, y: $0.value) }
        guard points.count >= 2, let oldest = points.map(\.x).min(), -oldest >= windowSeconds / 4 else { return nil }
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        var sxy = 0.0
        var sxx = 0.0
        for point in points {
            sxy += (point.x - meanX) * (point.y - meanY)
            sxx += (point.x - meanX) * (point.x - meanX)
        }
        return sxy / sxx * 3600
    }
}
