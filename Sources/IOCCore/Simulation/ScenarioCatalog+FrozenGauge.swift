extension ScenarioCatalog {
    /// A mountain rain gauge whose modem hangs: Hai Riêng (Sông Hinh) reports its drizzle every
    /// `interval_min` (10) minutes, sends nothing from 30 to 80 minutes, then comes back with the
    /// rain it logged meanwhile. Played on the `live` timeline: silence is measured by the wall
    /// clock, so at `--time-scale K` the no-data rule's 20 minutes must be K times shorter too.
    static func frozenRainGauge(_ stations: [String: SimulatedStation]) throws(ScenarioError) -> Scenario {
        let name = "frozen-rain-gauge"
        let gauge = try station("PY-RAIN-HAIRIENG", for: name, measuring: ["rain"], in: stations)
        let duration = 100.0 * 60, interval = gauge.reportMinutes(default: 10) * 60
        let frozen = (from: 30.0 * 60, to: 80.0 * 60)
        var noise = ScenarioNoise(seed: 0xF20)
        var packs: [Scenario.Pack] = []
        var logged = 0.0
        for offset in stride(from: 0.0, through: duration, by: interval) {
            // Drizzle of 1.2–3.6 mm/h: 0.2–0.6 mm per 10 minutes.
            logged += Curve.round((0.4 + noise.next(0.2)) * interval / 600, 1)
            if offset > frozen.from && offset < frozen.to { continue }
            packs.append(.init(station: gauge.code, offset: offset, values: [.init(metric: "rain", value: Curve.round(logged, 1))]))
            logged = 0
        }
        let summary = """
            A rain gauge stops reporting and recovers, 100 min: Hai Riêng (PY-RAIN-HAIRIENG) reports drizzle every \
            \(Int(interval / 60)) minutes, is silent from 30 to 80 minutes, then sends the rain it logged meanwhile. \
            Live timeline: readings are stamped when sent, so at --time-scale K the silence lasts 50/K minutes and \
            the no-data rule (20 minutes) fires only if its after_seconds is divided by K as well.
            """
        return Scenario(
            name: name, summary: summary, mode: .live, duration: duration, stations: [gauge],
            expectedAlerts: [.init(rule: ShippedRule.stationSilent, station: gauge.code, severity: .warning)],
            headline: [gauge.code: "rain"], packs: packs)
    }
}
