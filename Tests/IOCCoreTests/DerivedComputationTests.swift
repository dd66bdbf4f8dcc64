import IOCCore
import Testing

@Suite("Derived metrics: which stations get which, and the computations as plain values")
struct DerivedComputationTests {
    static let levels = AlarmLevels(one: 1.7, two: 2.7, three: 3.7)

    @Test(arguments: [
        (["pm2_5", "o3", "temperature"], DerivedAttributes(), ["vn_aqi", "vn_aqi_pm2_5", "vn_aqi_o3", "vn_aqi_day"]),
        (["pm10", "pm2_5", "so2", "no2", "co", "o3"], DerivedAttributes(),
         ["vn_aqi", "vn_aqi_pm2_5", "vn_aqi_pm10", "vn_aqi_o3", "vn_aqi_no2", "vn_aqi_so2", "vn_aqi_co", "vn_aqi_day"]),
        // Without PM2.5 or PM10 the decision computes no VN_AQI.
        (["o3", "no2"], DerivedAttributes(), []),
        (["rain", "temperature"], DerivedAttributes(), ["rain_1h", "rain_3h", "rain_6h", "rain_12h", "rain_24h", "rain_48h", "rain_risk"]),
        (["water_level"], DerivedAttributes(alarmLevels: levels), ["alarm_level", "alarm_margin", "rise_rate"]),
        (["water_level"], DerivedAttributes(alarmLevels: AlarmLevels(one: nil, two: 8.5, three: 9.5)), ["alarm_level", "alarm_margin", "rise_rate"]),
        (["water_level"], DerivedAttributes(), ["rise_rate"]),
        (["water_level", "inflow"], DerivedAttributes(deadLevel: 101, normalLevel: 105), ["rise_rate", "useful_capacity"]),
        // Levels in the wrong order give no useful capacity.
        (["water_level"], DerivedAttributes(deadLevel: 105, normalLevel: 101), ["rise_rate"]),
        (["speed", "occupancy", "vehicle_count"], DerivedAttributes(), ["congestion"]),
        (["vehicle_count"], DerivedAttributes(), []),
    ] as [([String], DerivedAttributes, [String])])
    func applicable(measured: [String], attributes: DerivedAttributes, expected: [String]) {
        #expect(DerivedMetric.applicable(measured: Set(measured), attributes: attributes).map(\.rawValue) == expected)
    }

    @Test func everyMetricHasAUnitAndRainWindowsMapBack() {
        for metric in DerivedMetric.allCases { #expect(!metric.unit.isEmpty) }
        #expect(Rainfall.windowsHours.compactMap { DerivedMetric.rain(hours: $0) }.count == 6)
        #expect(DerivedMetric.rain(hours: 2) == nil)
        #expect(AQIPollutant.allCases.map { DerivedMetric.subIndex(of: $0).rawValue } == AQIPollutant.allCases.map { "vn_aqi_" + $0.rawValue })
    }

    @Test(arguments: [
        ("2026-11-27T16:59:59Z", "2026-11-26T17:00:00Z", "2026-11-27T16:00:00Z"),
        ("2026-11-27T17:00:00Z", "2026-11-27T17:00:00Z", "2026-11-27T17:00:00Z"),
        ("2026-11-27T00:30:00Z", "2026-11-26T17:00:00Z", "2026-11-27T00:00:00Z"),
        ("1969-12-31T23:30:00Z", "1969-12-31T17:00:00Z", "1969-12-31T23:00:00Z"),
    ])
    func vietnameseDaysAndHours(time: String, day: String, hour: String) throws {
        let t = try #require(Timestamp(rfc3339: time))
        #expect(DerivedComputation.localDayStart(t) == Timestamp(rfc3339: day)?.microseconds)
        #expect(DerivedComputation.hourStart(t) == Timestamp(rfc3339: hour)?.microseconds)
    }

    @Test func affectedHoursReachElevenHoursOnButNotPastNowOrBeforeTheOldest() throws {
        let h = DerivedComputation.hour
        let start = try #require(Timestamp(rfc3339: "2026-11-27T01:00:00Z")).microseconds
        let long = Timestamp(microseconds: start - 100 * h)
        let late = DerivedComputation.affectedHours(touched: [start], now: Timestamp(microseconds: start + 30 * h), oldest: long)
        #expect(late == (0...11).map { start + Int64($0) * h })
        let recent = DerivedComputation.affectedHours(touched: [start, start + h], now: Timestamp(microseconds: start + 2 * h + 9), oldest: long)
        #expect(recent == [start, start + h, start + 2 * h])
        let capped = DerivedComputation.affectedHours(touched: [start - 3 * h], now: Timestamp(microseconds: start + 30 * h), oldest: Timestamp(microseconds: start + 5 * h + 1))
        #expect(capped == [start + 5 * h, start + 6 * h, start + 7 * h, start + 8 * h])
    }

    @Test(arguments: [
        // (minutes after the hour's end that it is now, of the newest reading's time, of the last arrival; over?)
        (-1.0, nil as Double?, -2.0, false), (0, nil, -1, false), (0, 0, 0, true), (1, -1, -1, false), (13, nil, -1, false),
        (15, nil, 0, true), (30, -5, -5, true), (5, 2, 2, true),
        // A backlog being replayed: the hour ended long ago, its readings keep arriving, none past its end yet.
        (600, -10, 599, false), (600, -10, 585, true), (600, 1, 599, true),
    ])
    func anHourIsOverWhenReportedPastOrQuietForTheGrace(nowAfterEnd: Double, newestAfterEnd: Double?, arrivalAfterEnd: Double, over: Bool) throws {
        let start = try #require(Timestamp(rfc3339: "2026-11-27T01:00:00Z")).microseconds
        let end = Timestamp(microseconds: start + DerivedComputation.hour)
        #expect(DerivedComputation.isOver(start: start, length: DerivedComputation.hour, newestInput: newestAfterEnd.map { end.adding(seconds: $0 * 60) },
                                          lastArrival: end.adding(seconds: arrivalAfterEnd * 60), now: end.adding(seconds: nowAfterEnd * 60),
                                          graceSeconds: 900) == over)
    }

    /// A whole local day of PM2.5 at 35 µg/m³ and O3 at 185 µg/m³ (and the 7 hours before it):
    /// hourly AQI max(70, 81.25) = 81; daily PM2.5 70, O3 1 h 81.25, O3 8 h (170–210 ↔ 150–200)
    /// 150 + 50/40 × 15 = 168.75, so the daily AQI is 169 (Xấu).
    @Test func hourlyAndDailyAQIOfAWholeDay() throws {
        let h = DerivedComputation.hour
        let day = try #require(Timestamp(rfc3339: "2026-11-26T17:00:00Z")).microseconds
        var pm: [Int64: Double] = [:], o3: [Int64: Double] = [:]
        for k in -11..<24 { pm[day + Int64(k) * h] = 35 }
        for k in -7..<24 { o3[day + Int64(k) * h] = 185 }
        let values = DerivedComputation.airQuality(hourlyMeans: [.pm2_5: pm, .o3: o3], hours: [day + 23 * h], days: [day])
        let last = Timestamp(microseconds: day + 23 * h)
        #expect(values.contains(DerivedValue(.vnAQI, last, 81)))
        #expect(values.contains(DerivedValue(.vnAQIPM2_5, last, 70)))
        #expect(values.contains(DerivedValue(.vnAQIO3, last, 81.3)))
        #expect(values.contains(DerivedValue(.vnAQIDay, Timestamp(microseconds: day), 169)))
        #expect(values.count == 4)
    }

    @Test func noAQIWithoutRecentPM() throws {
        let h = DerivedComputation.hour
        let start = try #require(Timestamp(rfc3339: "2026-11-27T01:00:00Z")).microseconds
        // PM2.5 only 3 and 4 hours before: fewer than 2 of c1…c3.
        let values = DerivedComputation.airQuality(hourlyMeans: [.pm2_5: [start - 3 * h: 30, start - 4 * h: 30], .o3: [start: 300]], hours: [start])
        #expect(values.isEmpty)
    }

    @Test func rainWindowsAndRiskLevel() throws {
        let now = try #require(Timestamp(rfc3339: "2026-11-27T10:00:00Z"))
        // 10 mm every 10 minutes for the last 2 hours (12 readings, 120 mm), 5 mm 20 hours before.
        var increments: [(time: Timestamp, mm: Double)] = (0..<12).map { (now.adding(seconds: -600 * Double($0)), 10) }
        increments.append((now.adding(seconds: -20 * 3600), 5))
        let values = DerivedComputation.rain(increments: increments, at: now)
        let byMetric = Dictionary(uniqueKeysWithValues: values.map { ($0.metric, $0.value) })
        #expect(byMetric[.rain1h] == 60)
        #expect(byMetric[.rain3h] == 120)
        #expect(byMetric[.rain12h] == 120)
        #expect(byMetric[.rain24h] == 125)
        #expect(byMetric[.rain48h] == 125)
        // 120 mm in 12 h is above the 100 mm of level 1: level 2 (24 h alone, 125 mm, would be level 1).
        #expect(byMetric[.rainRisk] == 2)
        #expect(values.allSatisfy { $0.time == now })
    }

    @Test func waterLevelDerivationsAtTheNewestSample() throws {
        let now = try #require(Timestamp(rfc3339: "2026-11-27T10:00:00Z"))
        // 3.5 m rising 0.1 m per 10 minutes: level II, 0.2 m below III, 0.6 m/h.
        let samples = (0...6).map { (time: now.adding(seconds: -600 * Double(6 - $0)), value: 2.9 + 0.1 * Double($0)) }
        let all: Set<DerivedMetric> = [.alarmLevel, .alarmMargin, .riseRate, .usefulCapacity]
        let values = DerivedComputation.waterLevel(samples: samples.reversed(), attributes: DerivedAttributes(alarmLevels: Self.levels), outputs: all)
        #expect(values == [DerivedValue(.alarmLevel, now, 2), DerivedValue(.alarmMargin, now, 0.2), DerivedValue(.riseRate, now, 0.6)])
        // Above level III there is no next level, so no margin.
        let flood = DerivedComputation.waterLevel(samples: [(now, 4.0)], attributes: DerivedAttributes(alarmLevels: Self.levels), outputs: all)
        #expect(flood == [DerivedValue(.alarmLevel, now, 3)])
        let reservoir = DerivedComputation.waterLevel(samples: [(now, 103.5)], attributes: DerivedAttributes(deadLevel: 101, normalLevel: 105),
                                                      outputs: [.riseRate, .usefulCapacity])
        #expect(reservoir == [DerivedValue(.usefulCapacity, now, 62.5)])
        #expect(DerivedComputation.waterLevel(samples: [], attributes: DerivedAttributes(), outputs: all).isEmpty)
    }

    @Test(arguments: [
        (55.0, nil as Double?, 60.0 as Double?, 0.0), (40, nil, 60, 1), (25, nil, 60, 2), (15, nil, 60, 3),
        // Occupancy raises the state, never lowers it; a crawl is a jam whatever the free flow.
        (55, 35, 60, 2), (55, 60, 60, 3), (15, 5, 60, 3), (9, nil, 12, 3),
    ])
    func congestion(speed: Double, occupancy: Double?, freeFlow: Double?, expected: Double) throws {
        let now = try #require(Timestamp(rfc3339: "2026-11-27T10:00:00Z"))
        let values = DerivedComputation.traffic(speed: (now, speed), occupancy: occupancy, attributes: DerivedAttributes(freeFlowKmh: freeFlow))
        #expect(values == [DerivedValue(.congestion, now, expected)])
    }

    @Test func congestionThresholdsFromASetting() throws {
        #expect(try CongestionThresholds(parsing: "") == .default)
        let custom = try CongestionThresholds(parsing: " slow=0.8, jam_speed=15 ,free_flow=80")
        #expect(custom.slowRatio == 0.8 && custom.jammedSpeedKmh == 15 && custom.defaultFreeFlowKmh == 80 && custom.congestedRatio == 0.5)
        // 50 of 80 km/h is 0.625: slow under the custom thresholds, free flow (0.83 of 60) under the defaults.
        #expect(Congestion.state(speedKmh: 50, freeFlowKmh: nil, occupancyPercent: nil, thresholds: custom) == 1)
        #expect(Congestion.state(speedKmh: 50, freeFlowKmh: nil, occupancyPercent: nil) == 0)
    }

    @Test(arguments: [
        ("slow", "'slow' is not key=value"),
        ("speed=3", "unknown key 'speed'; the keys are slow, congested, jammed, jam_speed, congested_occupancy, jammed_occupancy, free_flow"),
        ("slow=fast", "slow: 'fast' is not a number ≥ 0"),
        ("jammed=-1", "jammed: '-1' is not a number ≥ 0"),
        ("congested=0.8", "ratios must decrease within (0, 1]: slow 0.7 > congested 0.8 > jammed 0.3 > 0"),
        ("jammed=0", "ratios must decrease within (0, 1]: slow 0.7 > congested 0.5 > jammed 0.0 > 0"),
        ("congested_occupancy=60", "occupancies must be congested 60.0 ≤ jammed 50.0 ≤ 100"),
        ("free_flow=0", "free_flow must be above 0 km/h"),
    ])
    func badCongestionThresholds(text: String, message: String) {
        #expect(throws: CongestionThresholdsError(message)) { try CongestionThresholds(parsing: text) }
    }
}
