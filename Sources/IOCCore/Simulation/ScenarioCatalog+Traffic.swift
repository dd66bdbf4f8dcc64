import Foundation

extension ScenarioCatalog {
    /// The evening rush on QL1A through Tuy Hòa, and a crash that blocks a lane at Hùng Vương
    /// (km 1337): within 15 minutes speed falls from about 47 to 7 km/h and occupancy climbs to
    /// 62 %, for an hour, then clears in 20 minutes. At Dốc Đá Trắng (Đà Rằng, km 1340) traffic
    /// only slows. Speeds are relative to each station's `free_flow_kmh` (60 km/h without one).
    static func rushHourJam(_ stations: [String: SimulatedStation]) throws(ScenarioError) -> Scenario {
        let name = "rush-hour-jam"
        let jamSite = try station("PY-TRF-QL1A-HUNGVUONG", for: name, measuring: ["speed"], in: stations)
        let neighbour = stations["PY-TRF-QL1A-DARANG"].flatMap { $0.sensor("speed") != nil && !$0.gateway.isEmpty ? $0 : nil }
        let duration = 3.0 * 3600
        // 0 → 1 from 50 to 65 min, held to 125 min, back to 0 by 145 min.
        func jam(_ t: Double) -> Double {
            Curve.step(t, from: 50 * 60, to: 65 * 60) * (1 - Curve.step(t, from: 125 * 60, to: 145 * 60))
        }
        var noise = ScenarioNoise(seed: 0x1A)
        var packs: [Scenario.Pack] = []
        for site in [jamSite] + (neighbour.map { [$0] } ?? []) {
            let freeFlow = site.numbers["free_flow_kmh"].flatMap { $0 > 0 ? $0 : nil } ?? 60
            let capacity = site.numbers["capacity_veh_h"].flatMap { $0 > 0 ? $0 : nil } ?? 1800
            let interval = site.reportMinutes(default: 5) * 60
            let isJam = site.code == jamSite.code
            for offset in stride(from: 0.0, through: duration, by: interval) {
                let j = jam(offset)
                // The jam: 0.78 of free flow down to 7 km/h; the neighbour: 0.8 down to 0.63 (slow only).
                let speed = isJam ? 0.78 * freeFlow - (0.78 * freeFlow - 7) * j : freeFlow * (0.80 - 0.17 * j)
                let occupancy = isJam ? 16 + 46 * j : 14 + 10 * j
                let perHour = isJam ? capacity * (0.85 - 0.65 * j) : capacity * (0.80 - 0.1 * j)
                var values: [Scenario.Pack.Value] = []
                for sensor in site.sensors {
                    switch sensor.metric {
                    case "speed": values.append(.init(metric: "speed", value: Curve.round(speed + noise.next(0.5), 1)))
                    case "occupancy": values.append(.init(metric: "occupancy", value: Curve.round(occupancy + noise.next(1), 1)))
                    case "vehicle_count":
                        values.append(.init(metric: "vehicle_count", value: max(0, (perHour * interval / 3600 + noise.next(5)).rounded())))
                    default: continue
                    }
                }
                packs.append(.init(station: site.code, offset: offset, values: values))
            }
        }
        let summary = """
            The evening rush on QL1A through Tuy Hòa, 3 h: at 50 min a crash blocks a lane at Hùng Vương \
            (PY-TRF-QL1A-HUNGVUONG); within 15 minutes speed falls from 47 to 7 km/h and occupancy climbs to 62 %; \
            it clears from 125 to 145 min. Đà Rằng (PY-TRF-QL1A-DARANG) only slows to about 38 km/h. \
            Readings every 5 minutes.
            """
        return Scenario(
            name: name, summary: summary, mode: .replay, duration: duration, stations: [jamSite] + (neighbour.map { [$0] } ?? []),
            expectedAlerts: [.init(rule: ShippedRule.congestion, station: jamSite.code, level: "Ùn tắc", severity: .warning)],
            headline: Dictionary(uniqueKeysWithValues: ([jamSite] + (neighbour.map { [$0] } ?? [])).map { ($0.code, "speed") }),
            packs: packs)
    }
}
