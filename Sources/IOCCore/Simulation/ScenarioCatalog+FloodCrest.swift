import Foundation

/// A flood wave at one gauge: `base` until `riseStart`, up to `crest` at `crestAt` and down to
/// `after` at `fallEnd`, each along half a cosine, then `after`. Times in scenario seconds.
struct Hydrograph: Sendable, Hashable {
    var base, crest, after: Double
    var riseStart, crestAt, fallEnd: Double

    func level(at t: Double) -> Double {
        if t <= crestAt { return base + (crest - base) * Curve.step(t, from: riseStart, to: crestAt) }
        return crest - (crest - after) * Curve.step(t, from: crestAt, to: fallEnd)
    }
}

extension ScenarioCatalog {
    /// The Sông Ba in flood (as in November 2025, smaller): the crest reaches Củng Sơn (Sơn Hòa,
    /// upstream) first, then Phú Lâm (Tuy Hòa, near the mouth) two hours later, lower and slower.
    /// The levels come from each station's `alarm_levels`, so the alarm levels reached do too.
    static func floodCrest(_ stations: [String: SimulatedStation]) throws(ScenarioError) -> Scenario {
        let name = "flood-crest"
        let need = " and alarm_levels I, II and III"
        let upstream = try station("PY-SBA-CUNGSON", for: name, measuring: ["water_level"], in: stations, need)
        let downstream = try station("PY-SBA-PHULAM", for: name, measuring: ["water_level"], in: stations, need)
        let up = upstream.alarmLevels, down = downstream.alarmLevels
        guard let upI = up.one, let upIII = up.three, let downI = down.one, let downII = down.two, let downIII = down.three,
              upI < upIII, downI < downII, downII < downIII else {
            throw ScenarioError("scenario \(name) needs alarm_levels I < III at PY-SBA-CUNGSON and I < II < III at PY-SBA-PHULAM")
        }
        // Củng Sơn: 8 m in 6 h (2 m/h at the steepest), half a metre over BĐ III at 7 h, then down
        // below BĐ I; the shipped rules fire level III and the fast rise (≥ 0.5 m in an hour).
        let crestUp = Hydrograph(base: upI - 2.5, crest: upIII + 0.5, after: upI - 1.5,
                                 riseStart: 3600, crestAt: 7 * 3600, fallEnd: 12 * 3600)
        // Phú Lâm: 2.4 m in 4 h (0.9 m/h at the steepest) to 0.4 m over BĐ II at 9 h, never BĐ III.
        let crestDown = Hydrograph(base: downI - 1.0, crest: min(downII + 0.4, (downII + downIII) / 2), after: downI - 0.6,
                                   riseStart: 5 * 3600, crestAt: 9 * 3600, fallEnd: 12 * 3600)
        let duration = 12.0 * 3600, step = 300.0
        var noise = ScenarioNoise(seed: 0xF100D)
        var packs: [Scenario.Pack] = []
        for offset in stride(from: 0.0, through: duration, by: step) {
            for (station, wave) in [(upstream.code, crestUp), (downstream.code, crestDown)] {
                let level = Curve.round(wave.level(at: offset) + noise.next(0.004), 3)
                packs.append(.init(station: station, offset: offset, values: [.init(metric: "water_level", value: level)]))
            }
        }
        func m(_ value: Double) -> String { String(format: "%.2f m", value) }
        let summary = """
            A flood crest passes down the Sông Ba in 12 h. Củng Sơn (upstream) rises from \(m(crestUp.base)) to \
            \(m(crestUp.crest)) at 7 h (BĐ III \(m(upIII))), up to 2 m an hour, and recedes to \(m(crestUp.after)); \
            Phú Lâm (Tuy Hòa) follows, from \(m(crestDown.base)) to \(m(crestDown.crest)) at 9 h (BĐ II \(m(downII))) \
            and back to \(m(crestDown.after)). Readings every 5 minutes.
            """
        return Scenario(
            name: name, summary: summary, mode: .replay, duration: duration, stations: [upstream, downstream],
            expectedAlerts: [
                .init(rule: ShippedRule.floodLevels, station: upstream.code, level: "III", severity: .critical),
                .init(rule: ShippedRule.fastRise, station: upstream.code, severity: .warning),
                .init(rule: ShippedRule.floodLevels, station: downstream.code, level: "II", severity: .warning),
                .init(rule: ShippedRule.fastRise, station: downstream.code, severity: .warning),
            ],
            headline: [upstream.code: "water_level", downstream.code: "water_level"],
            packs: packs)
    }
}
