import Foundation
import IOCCore

/// One scenario being played: which of its packs are due by the wall clock, how they are stamped
/// and encoded, and the lines that tell the operator where it stands.
struct ScenarioRun {
    let scenario: Scenario
    let timeline: ScenarioTimeline
    private let stations: [String: SimulatedStation]
    private var nextIndex = 0
    private var latest: [String: Double] = [:]
    private(set) var readings = 0
    var reportedFinished = false

    init(scenario: Scenario, timeline: ScenarioTimeline) {
        self.scenario = scenario
        self.timeline = timeline
        self.stations = Dictionary(scenario.stations.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }

    var isFinished: Bool { nextIndex >= scenario.packs.count }

    /// The next pack, if its moment has come by `now`.
    func due(at now: Timestamp) -> Scenario.Pack? {
        guard nextIndex < scenario.packs.count else { return nil }
        let pack = scenario.packs[nextIndex]
        return timeline.wallTime(of: pack.offset) <= now ? pack : nil
    }

    /// The pack returned by `due` was published.
    mutating func advance() {
        guard nextIndex < scenario.packs.count else { return }
        let pack = scenario.packs[nextIndex]
        if let metric = scenario.headline[pack.station], let value = pack.value(of: metric) { latest[pack.station] = value }
        readings += pack.values.count
        nextIndex += 1
    }

    func gateway(of pack: Scenario.Pack) -> String { stations[pack.station]?.gateway ?? "" }

    /// A SenML pack stamped by the timeline, with each sensor's unit.
    func encode(_ pack: Scenario.Pack) -> (topic: String, payload: Data, readings: Int) {
        let time = Timestamp(microseconds: timeline.timestamp(of: pack.offset).microseconds / 1000 * 1000)
        let station = stations[pack.station]
        let records = pack.values.map { (metric: $0.metric, time: time, value: $0.value, unit: station?.sensor($0.metric)?.unit) }
        return ("ioc/v1/\(gateway(of: pack))/senml", SenMLEncoder.encode(station: pack.station, records: records), pack.values.count)
    }

    var announcement: String {
        let k = timeline.timeScale
        let how = switch timeline.mode {
        case .replay where k > 1:
            "replay: stamped from \(Self.span(timeline.lag(at: 0))) ago, catching up with now at the end"
        case .replay:
            "replay in real time"
        case .live:
            k > 1 ? "live: stamped when sent, so silences are \(Self.number(k)) times shorter (divide no-data rules by \(Self.number(k)))" : "live, real time"
        }
        let alerts = scenario.expectedAlerts.map(\.description).joined(separator: "; ")
        return "scenario \(scenario.name): \(Self.span(scenario.duration)) in \(Self.span(timeline.wallDuration)) (×\(Self.number(k))), \(how); expects: \(alerts)"
    }

    func progressLine(at now: Timestamp) -> String {
        let offset = nextIndex < scenario.packs.count ? timeline.offset(at: now) : scenario.duration
        let percent = scenario.duration > 0 ? Int(offset / scenario.duration * 100) : 100
        let values = latest.keys.sorted().compactMap { code in
            latest[code].map { "\(code) \(scenario.headline[code] ?? "") \(Self.number($0))" }
        }.joined(separator: ", ")
        var line = "scenario \(scenario.name): \(percent)% (\(Self.span(offset)) of \(Self.span(scenario.duration)))"
        if timeline.mode == .replay && timeline.timeScale > 1 { line += ", stamped \(Self.span(timeline.lag(at: offset))) ago" }
        if !values.isEmpty { line += "; \(values)" }
        return line
    }

    var finishedLine: String {
        "scenario \(scenario.name): finished, \(scenario.packs.count) packs; the expected alerts should now have fired and cleared"
    }

    var summaryLine: String {
        "simulate: scenario \(scenario.name): \(nextIndex) of \(scenario.packs.count) packs (\(readings) readings) published"
    }

    /// "12 h", "2 min 24 s", "45 s".
    static func span(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        let h = total / 3600, m = total % 3600 / 60, s = total % 60
        var parts: [String] = []
        if h > 0 { parts.append("\(h) h") }
        if m > 0 { parts.append("\(m) min") }
        if s > 0 || parts.isEmpty { parts.append("\(s) s") }
        return parts.joined(separator: " ")
    }

    /// Up to three decimals, no trailing zeros.
    static func number(_ value: Double) -> String {
        var text = String(format: "%.3f", value)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}
