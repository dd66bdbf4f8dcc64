import Foundation

/// A named situation that `ioc simulate --scenario NAME` plays on a few stations of the registry:
/// every pack of readings it publishes (fixed: the same every run), how its time is compressed
/// (`ScenarioTimeline`), and the alerts that the shipped rules (`deploy/sample/rules.json`) must
/// raise because of it and clear again before it ends. This declaration is what
/// `ioc simulate --list-scenarios` prints and what the scenario tests check, in the core and end
/// to end.
public struct Scenario: Sendable {
    /// An alert the scenario raises: the rule by name, the station, and the highest level and
    /// severity it reaches before it clears. `level` is nil for rules without levels.
    public struct ExpectedAlert: Sendable, Hashable, Codable, CustomStringConvertible {
        public var rule: String
        public var station: String
        public var level: String?
        public var severity: AlertRule.Severity

        public init(rule: String, station: String, level: String? = nil, severity: AlertRule.Severity) {
            self.rule = rule
            self.station = station
            self.level = level
            self.severity = severity
        }

        public var description: String {
            "\(rule) · \(station) · \(level.map { "\($0) · " } ?? "")\(severity.rawValue)"
        }
    }

    /// One station's readings at one moment of the scenario.
    public struct Pack: Sendable, Hashable {
        public struct Value: Sendable, Hashable {
            public var metric: String
            public var value: Double
        }

        public var station: String
        /// Scenario seconds from its start.
        public var offset: Double
        public var values: [Value]

        public func value(of metric: String) -> Double? {
            values.first { $0.metric == metric }?.value
        }
    }

    public let name: String
    /// One paragraph: what happens, where, with the numbers that matter.
    public let summary: String
    public let mode: ScenarioTimeline.Mode
    /// Scenario seconds.
    public let duration: Double
    /// The stations it drives; the background leaves them alone while it runs.
    public let stations: [SimulatedStation]
    public let expectedAlerts: [ExpectedAlert]
    /// The metric each station's progress line shows.
    public let headline: [String: String]
    /// Every pack, by offset.
    public let packs: [Pack]

    init(name: String, summary: String, mode: ScenarioTimeline.Mode, duration: Double, stations: [SimulatedStation],
         expectedAlerts: [ExpectedAlert], headline: [String: String], packs: [Pack]) {
        self.name = name
        self.summary = summary
        self.mode = mode
        self.duration = duration
        self.stations = stations
        self.expectedAlerts = expectedAlerts
        self.headline = headline
        self.packs = packs.sorted { ($0.offset, $0.station) < ($1.offset, $1.station) }
    }

    public var gateways: [String] { Array(Set(stations.map(\.gateway))).sorted() }

    /// The timeline of a run that starts at `start`, `timeScale` times faster than real time.
    public func timeline(timeScale: Double, start: Timestamp) -> ScenarioTimeline {
        ScenarioTimeline(mode: mode, duration: duration, timeScale: timeScale, start: start)
    }
}

/// Why a scenario cannot be played.
public struct ScenarioError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The names of the shipped rules (`deploy/sample/rules.json`) that scenarios expect to fire.
public enum ShippedRule {
    public static let floodLevels = "Báo động lũ I/II/III (mực nước tại trạm thủy văn)"
    public static let fastRise = "Nước sông lên nhanh (≥ 0,5 m trong 1 giờ)"
    public static let airQuality = "Chất lượng không khí VN_AQI: Kém / Xấu / Rất xấu / Nguy hại"
    public static let congestion = "Ùn tắc giao thông (trạng thái Ùn ứ / Ùn tắc kéo dài 10 phút)"
    public static let stationSilent = "Trạm quan trắc không gửi dữ liệu 20 phút (mọi cảm biến)"
}

/// Every scenario the simulator knows, built against a registry's stations.
public enum ScenarioCatalog {
    public static let names = ["flood-crest", "pollution-episode", "rush-hour-jam", "frozen-rain-gauge"]

    /// The scenario `name` on `stations` (by code). Throws, listing the valid names, for an unknown
    /// name, and says what is missing when the registry lacks a station the scenario needs.
    public static func scenario(named name: String, stations: [String: SimulatedStation]) throws(ScenarioError) -> Scenario {
        switch name {
        case "flood-crest": return try floodCrest(stations)
        case "pollution-episode": return try pollutionEpisode(stations)
        case "rush-hour-jam": return try rushHourJam(stations)
        case "frozen-rain-gauge": return try frozenRainGauge(stations)
        default:
            throw ScenarioError("unknown scenario \"\(name)\"; the scenarios are: \(names.joined(separator: ", "))")
        }
    }

    /// The station `code`, which must have a gateway and every metric of `metrics`.
    static func station(_ code: String, for scenario: String, measuring metrics: [String], in stations: [String: SimulatedStation],
                        _ extra: String = "") throws(ScenarioError) -> SimulatedStation {
        guard let station = stations[code], !station.gateway.isEmpty,
              metrics.allSatisfy({ station.sensor($0) != nil }) else {
            throw ScenarioError("scenario \(scenario) needs station \(code) with a gateway and a sensor for \(metrics.joined(separator: ", "))\(extra) in the registry")
        }
        return station
    }
}

/// Deterministic jitter for scenario values: uniform in ±amplitude, the same every run.
struct ScenarioNoise {
    var random: SplitMix64

    init(seed: UInt64) { random = SplitMix64(seed: seed) }

    mutating func next(_ amplitude: Double) -> Double {
        (Double(random.next() >> 11) / Double(1 << 53) * 2 - 1) * amplitude
    }
}

/// Shapes and rounding for scenario curves.
enum Curve {
    /// 0 before `from`, 1 after `to`, rising between them along half a cosine (no kinks at the ends).
    static func step(_ t: Double, from: Double, to: Double) -> Double {
        if t <= from { return 0 }
        if t >= to { return 1 }
        return (1 - cos(.pi * (t - from) / (to - from))) / 2
    }

    /// Rounded to `places` decimals, as a sensor reports.
    static func round(_ value: Double, _ places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
