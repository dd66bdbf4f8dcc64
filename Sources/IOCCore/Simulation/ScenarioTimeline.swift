/// How a scenario of `duration` seconds is played `timeScale` times faster than real time, so that
/// ingest accepts every reading (nothing in the future, nothing older than the retention) and the
/// rule engine measures what the scenario means.
///
/// - `replay`: the readings keep the scenario's own pace — an hour of scenario spans an hour of
///   timestamps — and the last one is stamped now. Playing starts `duration` back and catches up
///   with the clock at the end: at scenario offset s the wall clock is `start + s/K` and the
///   reading is stamped `start + D/K − D + s`, so it is `(D − s)(1 − 1/K)` seconds old when it is
///   published. Everything that IOC measures by reading time (rule windows and rates, hourly
///   VN_AQI, rain sums, the rate of rise) sees the scenario as it would happen; what it measures
///   by the wall clock (no-data silence, the timer that ends `for_seconds`) sees readings that
///   arrive late.
/// - `live`: every reading is stamped when it is published, `start + s/K`: the scenario's events
///   come K times sooner. Wall-clock checks (silence) see the scenario compressed, so their
///   durations must be divided by K to match; reading-time windows see it compressed too.
///
/// At K = 1 both are real time.
public struct ScenarioTimeline: Sendable, Hashable {
    public enum Mode: String, Sendable, Hashable, CaseIterable, Codable {
        case replay, live
    }

    public let mode: Mode
    /// Scenario seconds.
    public let duration: Double
    /// K ≥ 1: scenario seconds per wall-clock second.
    public let timeScale: Double
    /// The wall-clock time at which offset 0 is played.
    public let start: Timestamp

    public init(mode: Mode, duration: Double, timeScale: Double, start: Timestamp) {
        self.mode = mode
        self.duration = max(0, duration)
        self.timeScale = timeScale.isFinite ? max(1, timeScale) : 1
        self.start = start
    }

    /// Wall-clock seconds the whole scenario takes.
    public var wallDuration: Double { duration / timeScale }

    /// The wall-clock time at which the reading of `offset` is published.
    public func wallTime(of offset: Double) -> Timestamp {
        start.adding(seconds: offset / timeScale)
    }

    /// The scenario offset reached at wall-clock time `now`, within 0…duration.
    public func offset(at now: Timestamp) -> Double {
        min(duration, max(0, (now.seconds - start.seconds) * timeScale))
    }

    /// The timestamp the reading of `offset` carries.
    public func timestamp(of offset: Double) -> Timestamp {
        switch mode {
        case .replay: start.adding(seconds: duration / timeScale - duration + offset)
        case .live: start.adding(seconds: offset / timeScale)
        }
    }

    /// How old the reading of `offset` is when it is published (0 for `live`).
    public func lag(at offset: Double) -> Double {
        wallTime(of: offset).seconds - timestamp(of: offset).seconds
    }
}
