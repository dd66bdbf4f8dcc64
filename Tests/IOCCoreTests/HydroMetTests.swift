import IOCCore
import Testing

/// Equal within a nanometre or a nanomillimetre, or both nil.
private func close(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): true
    case (let a?, let b?): abs(a - b) < 1e-9
    default: false
    }
}

/// Sông Ba @ Phú Lâm: BĐ1/2/3 = 1.70/2.70/3.70 m.
private let phuLam = AlarmLevels(one: 1.7, two: 2.7, three: 3.7)
/// Hà Thanh @ Diêu Trì: no level I.
private let dieuTri = AlarmLevels(one: nil, two: 4.5, three: 5.5)
/// An Lão @ An Hòa: level I only.
private let anHoa = AlarmLevels(one: 22, two: nil, three: nil)
private let noLevels = AlarmLevels(one: nil, two: nil, three: nil)

@Suite("FloodAlarm: alarm levels, margins and rate of rise")
struct FloodAlarmTests {
    @Test("each threshold is reached exactly at it, not 1 mm below", arguments: [
        (phuLam, -0.5, 0), (phuLam, 1.699, 0), (phuLam, 1.7, 1), (phuLam, 2.699, 1), (phuLam, 2.7, 2),
        (phuLam, 3.699, 2), (phuLam, 3.7, 3), (phuLam, 5.27, 3),
        (dieuTri, 1.0, 0), (dieuTri, 4.499, 0), (dieuTri, 4.5, 2), (dieuTri, 5.499, 2), (dieuTri, 5.5, 3),
        (anHoa, 21.999, 0), (anHoa, 22.0, 1), (anHoa, 30.0, 1),
        (noLevels, -1.0, 0), (noLevels, 100.0, 0),
        (phuLam, Double.nan, 0),
    ])
    func level(levels: AlarmLevels, waterLevel: Double, expected: Int) {
        #expect(FloodAlarm.level(waterLevel, levels) == expected)
    }

    @Test("metres to the next level and above the level reached", arguments: [
        (phuLam, 1.2, 0.5, nil), (phuLam, 1.7, 1.0, 0.0), (phuLam, 2.9, 0.8, 0.2), (phuLam, 3.7, nil, 0.0),
        (phuLam, 5.27, nil, 1.57),
        (dieuTri, 4.0, 0.5, nil), (dieuTri, 4.76, 0.74, 0.26), (dieuTri, 6.3, nil, 0.8),
        (anHoa, 21.61, 0.39, nil), (anHoa, 22.49, nil, 0.49),
        (noLevels, 3.0, nil, nil),
    ] as [(AlarmLevels, Double, Double?, Double?)])
    func margins(levels: AlarmLevels, waterLevel: Double, margin: Double?, excess: Double?) {
        #expect(close(FloodAlarm.marginToNext(waterLevel, levels), margin))
        #expect(close(FloodAlarm.excess(waterLevel, levels), excess))
    }

    @Test("levels from a station's dotted attributes; none given is nil")
    func fromAttributes() {
        #expect(AlarmLevels(attributes: ["alarm_levels.I": 1.7, "alarm_levels.II": 2.7, "alarm_levels.III": 3.7]) == phuLam)
        #expect(AlarmLevels(attributes: ["alarm_levels.II": 4.5, "alarm_levels.III": 5.5, "lanes": 4]) == dieuTri)
        #expect(AlarmLevels(attributes: [:]) == nil)
        #expect(AlarmLevels(attributes: ["normal_water_level": 105, "alarm_levels.IV": 9]) == nil)
        #expect(AlarmLevels(attributes: ["alarm_levels.I": .infinity]) == nil)
    }

    @Test("AlarmLevelStanding agrees with FloodAlarm")
    func standingAgrees() throws {
        for value in [1.0, 1.7, 2.2, 2.7, 3.69, 3.7, 4.4] {
            let standing = try #require(AlarmLevelStanding(value: value, thresholds: [1.7, 2.7, 3.7]))
            #expect(standing.reached == FloodAlarm.level(value, phuLam))
            #expect(standing.marginToNext == FloodAlarm.marginToNext(value, phuLam))
            #expect(standing.aboveReached == FloodAlarm.excess(value, phuLam))
        }
    }

    static let now = Timestamp(rfc3339: "2025-11-19T08:00:00+07:00")!

    /// Samples `minutesAgo` before `now`.
    static func series(_ points: [(minutesAgo: Double, value: Double)]) -> [(time: Timestamp, value: Double)] {
        points.map { (now.adding(seconds: -$0.minutesAgo * 60), $0.value) }
    }

    @Test("rise rate in m/h", arguments: [
        // 0.05 m every 10 minutes for an hour.
        ([(60, 2.0), (50, 2.05), (40, 2.1), (30, 2.15), (20, 2.2), (10, 2.25), (0, 2.3)], 3600, 0.3),
        // The same, unsorted.
        ([(0, 2.3), (30, 2.15), (60, 2.0), (10, 2.25), (50, 2.05), (20, 2.2), (40, 2.1)], 3600, 0.3),
        // Flat an hour earlier: only the last hour (including its first instant) counts.
        ([(120, 1.0), (100, 1.0), (80, 1.0), (60, 1.0), (30, 1.15), (0, 1.3)], 3600, 0.3),
        // Falling.
        ([(60, 3.0), (30, 2.9), (0, 2.8)], 3600, -0.2),
        // Least squares through noise: slope 0.1 m per 20 min.
        ([(60, 0.1), (40, 0.3), (20, 0.2), (0, 0.4)], 3600, 0.24),
        // Two samples exactly a quarter of the window apart.
        ([(15, 2.0), (0, 2.1)], 3600, 0.4),
        // A 2 h window.
        ([(120, 5.0), (0, 6.0)], 7200, 0.5),
    ] as [([(Double, Double)], Double, Double)])
    func riseRate(points: [(Double, Double)], windowSeconds: Double, expected: Double) throws {
        let rate = try #require(FloodAlarm.riseRate(Self.series(points.map { ($0.0, $0.1) }), windowSeconds: windowSeconds))
        #expect(abs(rate - expected) < 1e-9)
    }

    @Test("no rise rate from too few samples or too short a span", arguments: [
        [], [(0, 2.0)], [(0, 2.0), (0, 2.1)],
        // 10 minutes apart: less than a quarter of an hour.
        [(10, 2.0), (0, 2.1)],
        // The older sample is just outside the hour.
        [(60.01, 2.0), (0, 2.1)],
        [(30, .nan), (0, 2.1)],
    ] as [[(Double, Double)]])
    func noRiseRate(points: [(Double, Double)]) {
        #expect(FloodAlarm.riseRate(Self.series(points.map { ($0.0, $0.1) })) == nil)
    }
}

@Suite("Rainfall accumulations")
struct RainfallTests {
    /// 08:05 local: windows do not line up with clock hours or with the 10-minute reports.
    static let now = Timestamp(rfc3339: "2025-11-19T08:05:00+07:00")!

    static func at(_ minutesAgo: Double) -> Timestamp { now.adding(seconds: -minutesAgo * 60) }

    /// Each amount a distinct power of two, so a total shows which readings it holds.
    static let readings: [(time: Timestamp, mm: Double)] = [
        (at(0), 0.5), // at now: every window
        (at(5), 1), // 08:00
        (at(59), 4), // 07:06: the 1 h window
        (at(60), 2), // 07:05, exactly 1 h ago: 3 h, not 1 h
        (at(180), 8), // exactly 3 h ago: 6 h
        (at(300), 16),
        (at(720), 32), // exactly 12 h ago: 24 h
        (at(1439), 64),
        (at(2000), 256),
        (at(2880), 128), // exactly 48 h ago: none
        (at(-10), 512), // after now: none
    ]

    @Test("each window is (now − window, now]", arguments: [
        Array(0..<11), Array((0..<11).reversed()), [7, 2, 9, 0, 10, 4, 1, 8, 3, 6, 5],
    ])
    func windows(order: [Int]) {
        let totals = Rainfall.accumulations(order.map { Self.readings[$0] }, at: Self.now)
        #expect(totals == [1: 5.5, 3: 7.5, 6: 31.5, 12: 31.5, 24: 127.5, 48: 383.5])
    }

    @Test("10-minute reports across hour boundaries")
    func tenMinuteReports() {
        // 06:10, 06:20, … 08:00, 0.25 mm each.
        let reports = (0..<12).map { (time: Self.at(5 + Double($0) * 10), mm: 0.25) }
        let totals = Rainfall.accumulations(reports, at: Self.now)
        #expect(totals == [1: 1.5, 3: 3.0, 6: 3.0, 12: 3.0, 24: 3.0, 48: 3.0])
    }

    @Test("a re-sent report counts once, the later one in the array winning", arguments: [
        ([(5.0, 1.0), (5.0, 1.5)], 1.5),
        ([(5.0, 1.5), (5.0, 1.0)], 1.0),
        ([(5.0, 1.0), (15.0, 2.0), (5.0, 1.0), (5.0, 1.0)], 3.0),
    ])
    func duplicates(readings: [(Double, Double)], expected: Double) {
        let totals = Rainfall.accumulations(readings.map { (Self.at($0.0), $0.1) }, at: Self.now)
        #expect(totals[1] == expected)
        #expect(totals[48] == expected)
    }

    @Test("a late report, arriving after newer ones, still counts")
    func lateReport() {
        let arrived: [(time: Timestamp, mm: Double)] = [(Self.at(25), 1), (Self.at(15), 2), (Self.at(5), 4), (Self.at(35), 8), (Self.at(70), 16)]
        let totals = Rainfall.accumulations(arrived, at: Self.now)
        #expect(totals[1] == 15)
        #expect(totals[3] == 31)
    }

    @Test("no reports, negative or non-finite amounts: zero in every window")
    func nothing() {
        let zero: [Int: Double] = [1: 0, 3: 0, 6: 0, 12: 0, 24: 0, 48: 0]
        #expect(Rainfall.accumulations([], at: Self.now) == zero)
        #expect(Rainfall.accumulations([(Self.at(5), -0.2), (Self.at(15), .nan), (Self.at(25), .infinity)], at: Self.now) == zero)
        #expect(Rainfall.windowsHours == [1, 3, 6, 12, 24, 48])
    }
}

@Suite("Rainfall: heavy-rain risk levels (Decision 18/2021, Art. 44)")
struct RainfallHeavyRainRiskTests {
    @Test("24 h bands: 100–200 → 1, >200–400 → 2, >400 → 3", arguments: [
        (99.9, 0), (100, 1), (100.1, 1), (200, 1), (200.1, 2), (400, 2), (400.1, 3), (812, 3),
    ])
    func by24h(rain24h: Double, expected: Int) {
        #expect(HeavyRainRisk.level(rain12h: 0, rain24h: rain24h) == expected)
    }

    /// The 24 h total equals the 12 h one, so that the 24 h bands alone would give a lower level.
    @Test("12 h bands: 50–100 → 1, >100–200 → 2, >200 → 3", arguments: [
        (49.9, 0), (50, 1), (100, 1), (100.1, 2), (200, 2), (200.1, 3),
    ])
    func by12h(rain12h: Double, expected: Int) {
        #expect(HeavyRainRisk.level(rain12h: rain12h, rain24h: rain12h) == expected)
    }

    @Test("the higher of the two", arguments: [
        (0.0, 0.0, 0), (60, 250, 2), (120, 150, 2), (210, 390, 3), (49.9, 99.9, 0),
    ])
    func higher(rain12h: Double, rain24h: Double, expected: Int) {
        #expect(HeavyRainRisk.level(rain12h: rain12h, rain24h: rain24h) == expected)
    }

    @Test("Article 4 colours", arguments: [
        (0, nil), (1, "#A6D8F5"), (2, "#FFF3A3"), (3, "#FF9933"), (4, "#E53935"), (5, "#8E24AA"), (6, nil),
    ] as [(Int, String?)])
    func colour(level: Int, expected: String?) {
        #expect(HeavyRainRisk.colour(level) == expected)
    }
}

@Suite("Reservoir useful storage")
struct ReservoirTests {
    @Test("percent of the level range from dead to normal, not clamped", arguments: [
        // Sông Ba Hạ-like: MNC 101, MNDBT 105.
        (101.0, 101.0, 105.0, 0.0), (105, 101, 105, 100), (103, 101, 105, 50), (106, 101, 105, 125), (100, 101, 105, -25),
        // Trị An: MNC 50, MNDBT 62.
        (56, 50, 62, 50), (60.8, 50, 62, 90),
    ])
    func percent(waterLevel: Double, dead: Double, normal: Double, expected: Double) throws {
        let percent = try #require(Reservoir.usefulPercent(waterLevel: waterLevel, dead: dead, normal: normal))
        #expect(abs(percent - expected) < 1e-9)
    }

    @Test("no percentage when normal is not above dead", arguments: [
        (103.0, 105.0, 105.0), (103, 105, 101), (.nan, 101, 105),
    ])
    func undefined(waterLevel: Double, dead: Double, normal: Double) {
        #expect(Reservoir.usefulPercent(waterLevel: waterLevel, dead: dead, normal: normal) == nil)
    }
}

@Suite("Congestion states")
struct CongestionTests {
    @Test("speed over free-flow speed: each ratio edge belongs to the better state", arguments: [
        // Free flow 60 km/h (the default): edges at 42, 30 and 18 km/h.
        (60.0, nil, 0), (42, nil, 0), (41.9, nil, 1), (30, nil, 1), (29.9, nil, 2), (18, nil, 2), (17.9, nil, 3),
        // Free flow 80 km/h: edges at 56, 40 and 24 km/h.
        (56, 80, 0), (55.9, 80, 1), (40, 80, 1), (39.9, 80, 2), (24, 80, 2), (23.9, 80, 3),
        // Faster than free flow.
        (95, 80, 0),
    ] as [(Double, Double?, Int)])
    func ratios(speed: Double, freeFlow: Double?, expected: Int) {
        #expect(Congestion.state(speedKmh: speed, freeFlowKmh: freeFlow, occupancyPercent: nil) == expected)
    }

    @Test("below 10 km/h is jammed whatever the free-flow speed", arguments: [
        (9.9, 20.0, 3), (10, 20, 1), (9.9, 12, 3), (10, 12, 0), (0, 12, 3),
    ])
    func slowSpeed(speed: Double, freeFlow: Double, expected: Int) {
        #expect(Congestion.state(speedKmh: speed, freeFlowKmh: freeFlow, occupancyPercent: nil) == expected)
    }

    @Test("occupancy raises the state, never lowers it", arguments: [
        (60.0, 29.9, 0), (60, 30, 2), (60, 49.9, 2), (60, 50, 3), (35, 30, 2), (25, 35, 2),
        (25, 10, 2), (9, 5, 3), (60, 100, 3), (60, .nan, 0),
    ])
    func occupancy(speed: Double, occupancy: Double, expected: Int) {
        #expect(Congestion.state(speedKmh: speed, freeFlowKmh: nil, occupancyPercent: occupancy) == expected)
    }

    @Test("a missing or meaningless free-flow speed uses the default", arguments: [
        (nil, 1), (60, 1), (0, 1), (-5, 1), (.nan, 1), (100, 2),
    ] as [(Double?, Int)])
    func defaultFreeFlow(freeFlow: Double?, expected: Int) {
        #expect(Congestion.state(speedKmh: 30, freeFlowKmh: freeFlow, occupancyPercent: nil) == expected)
    }

    @Test("custom thresholds")
    func customThresholds() {
        var thresholds = CongestionThresholds.default
        thresholds.defaultFreeFlowKmh = 40
        #expect(Congestion.state(speedKmh: 30, freeFlowKmh: nil, occupancyPercent: nil, thresholds: thresholds) == 0)
        thresholds.jammedSpeedKmh = 35
        #expect(Congestion.state(speedKmh: 30, freeFlowKmh: nil, occupancyPercent: nil, thresholds: thresholds) == 3)
        #expect(CongestionThresholds.default == CongestionThresholds(
            slowRatio: 0.7, congestedRatio: 0.5, jammedRatio: 0.3, jammedSpeedKmh: 10,
            congestedOccupancy: 30, jammedOccupancy: 50, defaultFreeFlowKmh: 60))
    }

    @Test("a speed that is not a number leaves only occupancy", arguments: [
        (Double.nan, nil, 0), (-1, nil, 0), (.nan, 55, 3), (.infinity, 35, 2),
    ] as [(Double, Double?, Int)])
    func badSpeed(speed: Double, occupancy: Double?, expected: Int) {
        #expect(Congestion.state(speedKmh: speed, freeFlowKmh: nil, occupancyPercent: occupancy) == expected)
    }

    @Test("names in Vietnamese and English", arguments: [
        (0, "Thông thoáng", "Free flow"), (1, "Chậm", "Slow"), (2, "Ùn ứ", "Congested"), (3, "Ùn tắc", "Jammed"),
    ])
    func names(state: Int, vi: String, en: String) throws {
        let name = try #require(Congestion.name(state))
        #expect(name.vi == vi)
        #expect(name.en == en)
    }

    @Test func noNameOutsideStates() {
        #expect(Congestion.name(-1) == nil)
        #expect(Congestion.name(4) == nil)
    }
}
