import Foundation

/// Daily shapes of a Vietnamese province in local time (UTC+7, no daylight saving), each a pure
/// function of the hour of day, 0 ≤ hour < 24. The simulator's background values follow them.
public enum Diurnal {
    /// The hour of day (with fraction) in Vietnam of `time`.
    public static func localHour(_ time: Timestamp) -> Double {
        let day = 86_400_000_000 as Int64
        let local = (time.microseconds + DerivedComputation.vietnamOffset) % day
        return Double(local < 0 ? local + day : local) / 3_600_000_000
    }

    /// Road demand, 0…1: about 0.1 at night, a plateau near 0.5 by day, peaks of 1 around 07:00–08:30
    /// (to school and work) and 16:30–18:30 (home), the evening one a little longer.
    public static func trafficDemand(hour: Double) -> Double {
        let day = 0.5 * (tanh((hour - 6.0) / 0.8) - tanh((hour - 21.5) / 1.2))
        let value = 0.08 + 0.40 * day + 0.55 * bell(hour, at: 7.75, width: 0.6) + 0.55 * bell(hour, at: 17.5, width: 0.75)
        return min(1, max(0, value))
    }

    /// Ozone, 0…1: photochemistry builds it through the day to a peak around 14:30, little at night.
    public static func ozone(hour: Double) -> Double {
        0.1 + 0.9 * bell(hour, at: 14.5, width: 2.6)
    }

    /// Particulates, 0…1: highest at night and in the early morning (a shallow mixing layer, cooking
    /// and the morning traffic), lowest in the afternoon when the mixing layer is deep.
    public static func particulates(hour: Double) -> Double {
        let value = 0.15 + 0.85 * max(bell(hour, at: 6.0, width: 2.2), 0.8 * bell(hour, at: 21.5, width: 2.4))
        return min(1, value)
    }

    /// −1…1 following the air temperature: warmest at 14:30, coolest before dawn.
    public static func warmth(hour: Double) -> Double {
        cos((hour - 14.5) / 24 * 2 * .pi)
    }

    /// A bump of height 1 at `at`, `width` hours wide (standard deviation), on the 24-hour circle.
    static func bell(_ hour: Double, at peak: Double, width: Double) -> Double {
        var distance = abs(hour - peak).truncatingRemainder(dividingBy: 24)
        if distance > 12 { distance = 24 - distance }
        return exp(-distance * distance / (2 * width * width))
    }
}
