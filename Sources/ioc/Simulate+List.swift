import Foundation
import IOCCore

extension Simulate {
    /// `--list-scenarios [--json]`: each scenario and the alerts it must raise and clear.
    func list(_ scenarios: [Scenario]) throws {
        if json {
            let listing = Listing(scenarios: scenarios.map { Listing.Entry($0, timeScale: timeScale) })
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(listing), as: UTF8.self))
            return
        }
        for (index, scenario) in scenarios.enumerated() {
            if index > 0 { print("") }
            let timeline = scenario.timeline(timeScale: timeScale, start: .now)
            print("\(scenario.name) — \(scenario.mode.rawValue), \(ScenarioRun.span(scenario.duration))\(timeScale > 1 ? " (\(ScenarioRun.span(timeline.wallDuration)) at --time-scale \(ScenarioRun.number(timeScale)))" : ""); stations \(scenario.stations.map(\.code).joined(separator: ", "))")
            print(wrapped(scenario.summary, indent: "  "))
            print("  expected alerts (each fires, then clears before the end):")
            for alert in scenario.expectedAlerts { print("    - \(alert)") }
        }
    }

    /// `text` in lines of at most 100 characters, each starting with `indent`.
    private func wrapped(_ text: String, indent: String) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count > indent.count && line.count + 1 + word.count > 100 {
                lines.append(line)
                line = indent
            }
            line += (line.count > indent.count ? " " : "") + word
        }
        if line.count > indent.count { lines.append(line) }
        return lines.joined(separator: "\n")
    }

    /// The machine-readable listing, for the end-to-end test.
    struct Listing: Encodable {
        struct Alert: Encodable {
            var rule: String
            var station: String
            var level: String?
            var severity: String

            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(rule, forKey: .rule)
                try c.encode(station, forKey: .station)
                try c.encode(level, forKey: .level) // null when the rule has no levels
                try c.encode(severity, forKey: .severity)
            }

            enum CodingKeys: String, CodingKey { case rule, station, level, severity }
        }

        struct Entry: Encodable {
            var name: String
            var summary: String
            var timeline: String
            var durationSeconds: Double
            var timeScale: Double
            var wallSeconds: Double
            var stations: [String]
            var gateways: [String]
            var expectedAlerts: [Alert]

            init(_ scenario: Scenario, timeScale: Double) {
                name = scenario.name
                summary = scenario.summary
                timeline = scenario.mode.rawValue
                durationSeconds = scenario.duration
                self.timeScale = timeScale
                wallSeconds = scenario.duration / timeScale
                stations = scenario.stations.map(\.code)
                gateways = scenario.gateways
                expectedAlerts = scenario.expectedAlerts.map { Alert(rule: $0.rule, station: $0.station, level: $0.level, severity: $0.severity.rawValue) }
            }

            enum CodingKeys: String, CodingKey {
                case name, summary, timeline, stations, gateways
                case durationSeconds = "duration_seconds", timeScale = "time_scale", wallSeconds = "wall_seconds"
                case expectedAlerts = "expected_alerts"
            }
        }

        var scenarios: [Entry]
    }
}
