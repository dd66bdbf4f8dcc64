import Foundation

extension ScenarioCatalog {
    /// A night-time pollution episode at the Hòa Hiệp industrial zone (Đông Hòa): a plant's
    /// emissions trapped under an inversion. PM2.5 climbs from about 22 to 118 µg/m³ in two hours,
    /// stays there two and a half hours, and clears within an hour; SO2, NO2, CO and PM10 follow it.
    /// The hourly VN_AQI (NowCast) reaches Xấu (151–200) and falls back below Kém. The five clean
    /// hours at the end are for the replay: an hour's VN_AQI is first computed (and evaluated by
    /// the rules) from the part of the hour that has arrived, so what the rules see of a replayed
    /// station trails its readings by one to two hours.
    static func pollutionEpisode(_ stations: [String: SimulatedStation]) throws(ScenarioError) -> Scenario {
        let name = "pollution-episode"
        let site = try station("PY-AIR-HOAHIEP", for: name, measuring: ["pm2_5"], in: stations)
        let duration = 12.0 * 3600, step = 300.0
        // 0 → 1 from 1.5 h to 3.5 h, held to 6 h, back to 0 by 7 h.
        func episode(_ t: Double) -> Double {
            Curve.step(t, from: 1.5 * 3600, to: 3.5 * 3600) * (1 - Curve.step(t, from: 6 * 3600, to: 7 * 3600))
        }
        var noise = ScenarioNoise(seed: 0xA1C)
        var packs: [Scenario.Pack] = []
        for offset in stride(from: 0.0, through: duration, by: step) {
            let e = episode(offset)
            let pm25 = 22 + 96 * e + noise.next(3)
            var values: [Scenario.Pack.Value] = []
            for sensor in site.sensors {
                let value: Double
                switch sensor.metric {
                case "pm2_5": value = Curve.round(pm25, 1)
                case "pm10": value = Curve.round(pm25 * 1.7 + noise.next(4), 1)
                case "so2": value = Curve.round(14 + 150 * e + noise.next(3), 1)
                case "no2": value = Curve.round(24 + 45 * e + noise.next(2), 1)
                case "co": value = Curve.round(700 + 1800 * e + noise.next(40), 0)
                case "o3": value = Curve.round(32 - 12 * e + noise.next(2), 1)
                case "temperature": value = Curve.round(24.5 - 1.5 * e + noise.next(0.2), 1)
                case "humidity": value = Curve.round(82 + 8 * e + noise.next(1), 0)
                default: continue
                }
                values.append(.init(metric: sensor.metric, value: value))
            }
            packs.append(.init(station: site.code, offset: offset, values: values))
        }
        let summary = """
            A night-time pollution episode at the Hòa Hiệp industrial zone (PY-AIR-HOAHIEP) over 12 h: \
            PM2.5 climbs from about 22 to 118 µg/m³ between 1.5 h and 3.5 h, stays until 6 h and clears by 7 h, \
            with SO2, NO2, CO and PM10; the hourly VN_AQI reaches Xấu (151–200) and falls back below Kém \
            in the clean hours that follow. Readings every 5 minutes.
            """
        return Scenario(
            name: name, summary: summary, mode: .replay, duration: duration, stations: [site],
            expectedAlerts: [.init(rule: ShippedRule.airQuality, station: site.code, level: "Xấu", severity: .warning)],
            headline: [site.code: "pm2_5"], packs: packs)
    }
}
