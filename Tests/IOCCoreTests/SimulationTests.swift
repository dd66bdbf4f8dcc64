import Foundation
import IOCCore
import Testing

/// 2026-03-02T00:00:00Z, a Monday: 07:00 in Vietnam.
private let mondayUTC = Timestamp(seconds: 1_772_409_600)

/// The sample province, read from `deploy/sample/registry.json`.
enum SampleProvince {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Any JSON value, enough to read the registry's attributes.
    enum JSON: Decodable {
        case number(Double), text(String), object([String: JSON]), other

        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Double.self) { self = .number(n) }
            else if let s = try? c.decode(String.self) { self = .text(s) }
            else if let o = try? c.decode([String: JSON].self) { self = .object(o) }
            else { self = .other }
        }
    }

    struct Registry: Decodable {
        struct Sensor: Decodable { var metric: String; var unit: String; var min: Double?; var max: Double? }
        struct Station: Decodable {
            var code: String; var domain: String; var gateway: String?
            var attributes: JSON?; var sensors: [Sensor]?
        }
        var stations: [Station]
    }

    static let stations: [SimulatedStation] = {
        guard let data = try? Data(contentsOf: repository.appendingPathComponent("deploy/sample/registry.json")),
              let registry = try? JSONDecoder().decode(Registry.self, from: data) else { return [] }
        return registry.stations.compactMap { entry in
            guard let gateway = entry.gateway, let sensors = entry.sensors, !sensors.isEmpty else { return nil }
            var numbers: [String: Double] = [:], texts: [String: String] = [:]
            func flatten(_ value: JSON, _ path: String) {
                switch value {
                case .number(let n): numbers[path] = n
                case .text(let t): texts[path] = t
                case .object(let o): for (key, inner) in o { flatten(inner, path.isEmpty ? key : "\(path).\(key)") }
                case .other: break
                }
            }
            if let attributes = entry.attributes { flatten(attributes, "") }
            return SimulatedStation(code: entry.code, gateway: gateway, domain: entry.domain,
                                    sensors: sensors.map { .init(metric: $0.metric, unit: $0.unit, min: $0.min, max: $0.max) },
                                    numbers: numbers, texts: texts)
        }
    }()

    static var byCode: [String: SimulatedStation] {
        Dictionary(stations.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

@Suite("Simulation: daily cycles in Vietnam's local time")
struct DiurnalTests {
    @Test("local hour is UTC+7 all year", arguments: [
        (0, 7), (61_200, 0), (59_400, 23.5), (-3600, 6), (17_298_000, 12),
    ] as [(Double, Double)])
    func localHour(secondsAfterMondayUTC: Double, hour: Double) {
        #expect(abs(Diurnal.localHour(mondayUTC.adding(seconds: secondsAfterMondayUTC)) - hour) < 1e-9)
    }

    /// The hour of the highest value of `f` between `from` and `to`, in quarter hours.
    private func peak(_ f: (Double) -> Double, from: Double, to: Double) -> Double {
        stride(from: from, to: to, by: 0.25).max { f($0) < f($1) } ?? from
    }

    @Test("traffic peaks in 07:00–08:30 and 16:30–18:30, low at night, a plateau by day")
    func traffic() {
        let morning = peak(Diurnal.trafficDemand, from: 0, to: 12)
        let evening = peak(Diurnal.trafficDemand, from: 12, to: 24)
        #expect((7.0...8.5).contains(morning))
        #expect((16.5...18.5).contains(evening))
        #expect(Diurnal.trafficDemand(hour: morning) > 0.95 && Diurnal.trafficDemand(hour: evening) > 0.95)
        for night in [0.0, 2, 3.5, 23.5] { #expect(Diurnal.trafficDemand(hour: night) < 0.15) }
        for midday in [10.5, 12, 14] { #expect((0.35...0.6).contains(Diurnal.trafficDemand(hour: midday))) }
    }

    @Test("ozone peaks in the afternoon; particulates are highest at night and early morning")
    func airShapes() {
        #expect((13.5...15.5).contains(peak(Diurnal.ozone, from: 0, to: 24)))
        #expect(Diurnal.ozone(hour: 3) < 0.2)
        let early = peak(Diurnal.particulates, from: 0, to: 12)
        #expect((4.0...8.0).contains(early))
        let night = [22.0, 23, 0, 1, 5, 6].map(Diurnal.particulates).reduce(0, +) / 6
        let afternoon = [13.0, 14, 15, 16].map(Diurnal.particulates).reduce(0, +) / 4
        #expect(night > 2.5 * afternoon)
    }
}

@Suite("Simulation: scenario time compression")
struct ScenarioTimelineTests {
    static let start = Timestamp(seconds: 1_800_000_000)

    @Test("replay: own pace in the timestamps, catching up with now at the end, never in the future", arguments: [
        (43_200, 300), (36_000, 240), (10_800, 60), (6_000, 1), (3600, 3600),
    ] as [(Double, Double)])
    func replay(duration: Double, k: Double) {
        let timeline = ScenarioTimeline(mode: .replay, duration: duration, timeScale: k, start: Self.start)
        #expect(abs(timeline.wallDuration - duration / k) < 1e-9)
        #expect(timeline.timestamp(of: duration) == timeline.wallTime(of: duration))
        #expect(abs(timeline.lag(at: 0) - duration * (1 - 1 / k)) < 1e-3)
        var previous: Timestamp?
        for offset in stride(from: 0, through: duration, by: duration / 97) {
            let stamp = timeline.timestamp(of: offset)
            #expect(stamp <= timeline.wallTime(of: offset), "offset \(offset) would be stamped in the future")
            if let previous { #expect(abs(stamp.seconds - previous.seconds - duration / 97) < 1e-3, "an hour of scenario is an hour of timestamps") }
            previous = stamp
        }
    }

    @Test("live: stamped when sent; at K = 1 both modes are real time")
    func live() {
        let timeline = ScenarioTimeline(mode: .live, duration: 6000, timeScale: 50, start: Self.start)
        for offset in [0.0, 600, 3000, 6000] {
            #expect(timeline.timestamp(of: offset) == timeline.wallTime(of: offset))
            #expect(timeline.lag(at: offset) == 0)
        }
        #expect(timeline.timestamp(of: 6000) == Self.start.adding(seconds: 120))
        let replay = ScenarioTimeline(mode: .replay, duration: 6000, timeScale: 1, start: Self.start)
        let realLive = ScenarioTimeline(mode: .live, duration: 6000, timeScale: 1, start: Self.start)
        for offset in [0.0, 1234, 6000] { #expect(replay.timestamp(of: offset) == realLive.timestamp(of: offset)) }
    }

    @Test("the offset reached by the wall clock is clamped to the scenario", arguments: [
        (-10, 0), (0, 0), (1, 300), (100, 30_000), (144, 43_200), (1000, 43_200),
    ] as [(Double, Double)])
    func offset(wallSeconds: Double, expected: Double) {
        let timeline = ScenarioTimeline(mode: .replay, duration: 43_200, timeScale: 300, start: Self.start)
        #expect(abs(timeline.offset(at: Self.start.adding(seconds: wallSeconds)) - expected) < 1e-6)
    }

    @Test("a time scale below 1 or not finite plays in real time")
    func badScale() {
        #expect(ScenarioTimeline(mode: .replay, duration: 60, timeScale: 0.5, start: Self.start).timeScale == 1)
        #expect(ScenarioTimeline(mode: .replay, duration: 60, timeScale: .nan, start: Self.start).timeScale == 1)
    }
}

@Suite("Simulation: the background's events and values")
struct BackgroundTests {
    @Test("no outages when switched off")
    func off() {
        #expect(OutageSchedule(events: .none, start: mondayUTC, seed: 1).next == nil)
    }

    @Test("outages: none in the warm-up, durations in range, mean gap as asked, the same for the same seed", arguments: [UInt64(1), 7, 42])
    func outages(seed: UInt64) {
        let events = BackgroundEvents.realistic
        var schedule = OutageSchedule(events: events, start: mondayUTC, seed: seed)
        var again = OutageSchedule(events: events, start: mondayUTC, seed: seed)
        #expect(schedule.next == again.next)
        guard let first = schedule.next else { Issue.record("no outage scheduled"); return }
        #expect(first.start >= mondayUTC.adding(seconds: events.outageWarmUp))
        var gaps = 0.0, previousEnd = mondayUTC.adding(seconds: events.outageWarmUp)
        let count = 3000
        for _ in 0..<count {
            guard let outage = schedule.next else { Issue.record("schedule ran dry"); return }
            let length = outage.end.seconds - outage.start.seconds
            #expect(events.outageDuration.contains(length))
            #expect(outage.start >= previousEnd)
            gaps += outage.start.seconds - previousEnd.seconds
            previousEnd = outage.end
            schedule.advance()
            again.advance()
            #expect(schedule.next == again.next)
        }
        #expect(abs(gaps / Double(count) / events.outageEvery - 1) < 0.1)
    }

    @Test("every sensor gets strictly increasing times within its range; a dropout leaves the sensor out")
    func sampling() throws {
        var model = ProvinceModel(seed: 3)
        let station = try #require(SampleProvince.byCode["PY-AIR-HOAHIEP"])
        var last: [String: Timestamp] = [:]
        for i in 0..<50 {
            let values = model.sample(station: station, at: mondayUTC.adding(seconds: Double(i / 10))) { $0 == "co" && i % 2 == 0 }
            #expect(values.contains { $0.metric == "co" } == (i % 2 == 1))
            for value in values {
                if let previous = last[value.metric] { #expect(value.time > previous) }
                last[value.metric] = value.time
                let sensor = try #require(station.sensor(value.metric))
                #expect(value.value >= (sensor.min ?? -.infinity) && value.value <= (sensor.max ?? .infinity))
            }
        }
    }

    /// An ordinary day at every station, every quarter hour, with the noise at its worst, stays
    /// clear of the shipped rules: traffic at most slow, water below alarm level I, reservoirs
    /// below their normal level, particulates below the Kém band, showers far from heavy rain.
    @Test("a normal day raises no alert by itself")
    func quietDay() throws {
        let stations = SampleProvince.stations
        try #require(stations.count > 20)
        for quarter in 0..<96 {
            let time = mondayUTC.adding(seconds: Double(quarter) * 900)
            for station in stations {
                func typical(_ metric: String) -> Double { ProvinceModel.typical(metric: metric, station: station, at: time) }
                if station.sensor("speed") != nil {
                    let freeFlow = station.numbers["free_flow_kmh"] ?? 60
                    let state = Congestion.state(speedKmh: typical("speed") * 0.98, freeFlowKmh: freeFlow, occupancyPercent: typical("occupancy") + 1)
                    #expect(state <= 1, "\(station.code) at \(Diurnal.localHour(time)) h: congestion \(state)")
                }
                if station.domain == "hydrology", let lowest = station.alarmLevels.thresholds.compactMap({ $0 }).min() {
                    #expect(typical("water_level") < lowest - 0.5, "\(station.code): water level near alarm level")
                }
                if station.domain == "reservoir", let dead = station.numbers["dead_water_level"], let normal = station.numbers["normal_water_level"] {
                    let percent = try #require(Reservoir.usefulPercent(waterLevel: typical("water_level") + 0.03, dead: dead, normal: normal))
                    #expect(percent < 95, "\(station.code): useful capacity \(percent) %")
                }
                if station.sensor("pm2_5") != nil {
                    let pm = typical("pm2_5") * 1.06
                    #expect(try #require(VNAQI.subIndex(pm, column: .pm2_5)) < 90, "\(station.code): PM2.5 \(pm)")
                    let pm10 = typical("pm10") * 1.06
                    #expect(try #require(VNAQI.subIndex(pm10, column: .pm10)) < 90, "\(station.code): PM10 \(pm10)")
                    #expect(try #require(VNAQI.subIndex(typical("o3") * 1.06, column: .o3OneHour)) < 60)
                }
            }
        }
    }

    @Test("showers stay far below heavy rain over any 12 and 24 hours", arguments: ["PY-RAIN-PHUHOA", "PY-MET-SONHOA", "PY-RAIN-LAHAI"])
    func showers(gauge: String) {
        var increments: [(time: Timestamp, mm: Double)] = []
        for minute in stride(from: 0, to: 14 * 24 * 60, by: 10) {
            let time = mondayUTC.adding(seconds: Double(minute) * 60)
            increments.append((time, ProvinceModel.rainIntensity(station: gauge, at: time) / 6))
        }
        var wettest = (h12: 0.0, h24: 0.0)
        for index in stride(from: 144, to: increments.count, by: 6) {
            let totals = Rainfall.accumulations(Array(increments[(index - 144)...index]), at: increments[index].time)
            wettest = (max(wettest.h12, totals[12] ?? 0), max(wettest.h24, totals[24] ?? 0))
        }
        #expect(wettest.h12 > 0, "it never rains at \(gauge) in two weeks")
        #expect(wettest.h12 < 40 && wettest.h24 < 80, "\(gauge): \(wettest)")
    }
}
