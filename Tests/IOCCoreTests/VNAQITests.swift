import IOCCore
import Testing

/// VN_AQI (Decision 1459/QĐ-TCMT). Every expected number was worked out by hand or with a separate
/// script from the Bảng 2 breakpoints and Formulas 1/2, never with the code under test. Examples
/// A–C are the worked examples of the project's VN_AQI reference notes (§9); the official samples
/// are those of §2.3 of the decision.
@Suite("VNAQI")
struct VNAQITests {
    private static func isClose(_ value: Double?, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
        guard let value else { return false }
        return abs(value - expected) <= tolerance
    }

    private static func hours(_ value: Double, _ count: Int) -> [Double?] {
        Array(repeating: value, count: count)
    }

    // MARK: Bảng 1

    @Test(arguments: [
        (-1, 1), (0, 1), (50, 1), (51, 2), (100, 2), (101, 3), (150, 3), (151, 4),
        (200, 4), (201, 5), (300, 5), (301, 6), (500, 6), (501, 6), (10_000, 6),
    ])
    func bandAtBoundary(aqi: Int, level: Int) {
        #expect(AQIBand.of(aqi).level == level)
    }

    @Test(arguments: [
        (1, "good", "Tốt", "Good", "#00E400", 0...50),
        (2, "moderate", "Trung bình", "Moderate", "#FFFF00", 51...100),
        (3, "poor", "Kém", "Poor", "#FF7E00", 101...150),
        (4, "bad", "Xấu", "Bad", "#FF0000", 151...200),
        (5, "very_bad", "Rất xấu", "Very bad", "#8F3F97", 201...300),
        (6, "hazardous", "Nguy hại", "Hazardous", "#7E0023", 301...500),
    ])
    func bandTable(level: Int, code: String, nameVI: String, nameEN: String, colour: String, range: ClosedRange<Int>) throws {
        let band = try #require(AQIBand.level(level))
        #expect(band.code == code)
        #expect(band.nameVI == nameVI)
        #expect(band.nameEN == nameEN)
        #expect(band.colour == colour)
        #expect(band.range == range)
        #expect(AQIBand.all[level - 1] == band)
    }

    @Test func bandLevelsOutsideTheTable() {
        #expect(AQIBand.all.count == 6)
        #expect(AQIBand.level(0) == nil)
        #expect(AQIBand.level(7) == nil)
    }

    // MARK: Bảng 2, Formulas 1 and 2

    /// Every breakpoint of every column gives its I_i exactly; above the last row the index is capped at 500.
    @Test(arguments: [
        (VNAQI.Column.o3OneHour, [0.0, 160, 200, 300, 400, 800, 1_000, 1_200, 1_500]),
        (.o3EightHour, [0, 100, 120, 170, 210, 400]),
        (.co, [0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000, 200_000]),
        (.so2, [0, 125, 350, 550, 800, 1_600, 2_100, 2_630, 3_000]),
        (.no2, [0, 100, 200, 700, 1_200, 2_350, 3_100, 3_850, 5_000]),
        (.pm10, [0, 50, 150, 250, 350, 420, 500, 600, 700]),
        (.pm2_5, [0, 25, 50, 80, 150, 250, 350, 500, 600]),
    ])
    func subIndexAtBreakpoints(column: VNAQI.Column, concentrations: [Double]) {
        let expected: [Double] = [0, 50, 100, 150, 200, 300, 400, 500, 500]
        for (concentration, index) in zip(concentrations, expected) {
            #expect(VNAQI.subIndex(concentration, column: column) == index, "\(column) \(concentration)")
        }
    }

    @Test(arguments: [
        (VNAQI.Column.pm2_5, 62.4, 120.66666666666667), (.pm2_5, 20.3, 40.6), (.pm2_5, 55.7, 109.5),
        (.pm2_5, 200, 250), (.pm2_5, 425, 450),
        (.pm10, 140, 95), (.pm10, 385, 250), (.pm10, 550, 450),
        (.o3OneHour, 520, 230), (.o3OneHour, 185, 81.25), (.o3OneHour, 136.1, 42.53125), (.o3OneHour, 114.6, 35.8125),
        (.o3EightHour, 89.3, 44.65), (.o3EightHour, 180, 162.5), (.o3EightHour, 305, 250),
        (.co, 12_000, 55), (.co, 135_000, 450), (.so2, 90, 36), (.so2, 675, 175),
        (.no2, 230, 103), (.no2, 118.7, 59.35), (.no2, 130.8, 65.4), (.no2, 2_725, 350),
    ])
    func subIndexInsideSegments(column: VNAQI.Column, concentration: Double, expected: Double) {
        #expect(Self.isClose(VNAQI.subIndex(concentration, column: column), expected))
    }

    @Test(arguments: [VNAQI.Column.o3OneHour, .o3EightHour, .co, .so2, .no2, .pm10, .pm2_5])
    func invalidConcentrationsHaveNoSubIndex(column: VNAQI.Column) {
        #expect(VNAQI.subIndex(-1, column: column) == nil)
        #expect(VNAQI.subIndex(-0.001, column: column) == nil)
        #expect(VNAQI.subIndex(.nan, column: column) == nil)
        #expect(VNAQI.subIndex(-.infinity, column: column) == nil)
    }

    /// The 8 h O3 table stops at 400 µg/m³ ↔ 300.
    @Test func o3EightHourTableEnds() {
        #expect(VNAQI.subIndex(400, column: .o3EightHour) == 300)
        #expect(VNAQI.subIndex(400.01, column: .o3EightHour) == nil)
        #expect(VNAQI.subIndex(430, column: .o3EightHour) == nil)
        #expect(VNAQI.subIndex(.infinity, column: .o3EightHour) == nil)
        #expect(VNAQI.subIndex(.infinity, column: .pm2_5) == 500)
    }

    // MARK: NowCast

    static let nowCastCases: [(hours: [Double?], expected: Double?)] = [
        // Official sample 2.3a (c1 = 20:00 ... c12 = 09:00): w* = 16.5/26.9, 20.27 (printed 20.3).
        ([20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9], 20.2657650072368),
        // Example A: w* = 28/95 ≤ 1/2, w = 1/2, normalised form (the literal Σ(1/2)^i·c_i gives 80.53).
        ([95, 80, 62, 48, 40, 35, 33, 30, 28, 30, 32, 35], 80.54969474969475),
        // Example B: w = 95/120, c2 missing (weight 0).
        ([120, nil, 110, 105, 100, 98, 96, 95, 97, 100, 102, 104], 107.04890706238515),
        // All 12 equal: w = 1, the value itself.
        ([37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37, 37], 37),
        // c1 missing, c2 and c3 present: allowed; w = 1/2, (0.5·40 + 0.25·20) / 0.75.
        ([nil, 40, 20], 33.333333333333336),
        // c1 and c3 present, c2 missing: allowed; w = 1/2, (1·40 + 0.25·20) / 1.25.
        ([40, nil, 20], 36),
        // Fewer than 12 entries: the rest are missing. w = 30/60 = 1/2, (60 + 0.5·30) / 1.5.
        ([60, 30], 50),
        // Entries after the 12th are ignored.
        ([10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 1_000], 10),
        // A negative or NaN hour counts as missing.
        ([10, -5, 10], 10), ([10, .nan, 10], 10),
        // Every available value 0.
        ([0, 0, 0], 0),
        // Fewer than 2 of c1...c3.
        ([50], nil), ([50, nil, nil, 40, 40, 40, 40, 40, 40, 40, 40, 40], nil),
        ([nil, nil, 50, 40, 40], nil), ([], nil), ([nil, -1, 5], nil),
    ]

    @Test(arguments: nowCastCases)
    func nowCast(hours: [Double?], expected: Double?) {
        let value = VNAQI.nowCast(hours)
        if let expected {
            #expect(Self.isClose(value, expected), "\(String(describing: value))")
        } else {
            #expect(value == nil)
        }
    }

    // MARK: Hourly AQI

    /// §9 example A: NowCast 80.55 is just above the 80 µg/m³ breakpoint, AQI 150.39 → 150 stays Kém.
    @Test func hourlyExampleA() throws {
        let result = try #require(VNAQI.hourly(
            pm2_5: [95, 80, 62, 48, 40, 35, 33, 30, 28, 30, 32, 35], pm10: [], o3: nil, no2: nil, so2: nil, co: nil
        ))
        #expect(result.aqi == 150)
        #expect(Self.isClose(result.exact, 150.39263910692483))
        #expect(result.band.nameVI == "Kém")
        #expect(result.dominant == .pm2_5)
        #expect(result.subIndices.keys.sorted { $0.rawValue < $1.rawValue } == [.pm2_5])
    }

    /// §9 example B: PM10 78.52 (one gap), O3 81.25, NO2 103 → 103 Kém, NO2 dominant.
    @Test func hourlyExampleB() throws {
        let result = try #require(VNAQI.hourly(
            pm2_5: [], pm10: [120, nil, 110, 105, 100, 98, 96, 95, 97, 100, 102, 104],
            o3: 185, no2: 230, so2: nil, co: nil
        ))
        #expect(result.aqi == 103)
        #expect(result.band.level == 3)
        #expect(result.dominant == .no2)
        #expect(Self.isClose(result.subIndices[.pm10], 78.52445353119258))
        #expect(Self.isClose(result.subIndices[.o3], 81.25))
        #expect(Self.isClose(result.subIndices[.no2], 103))
        #expect(result.subIndices[.pm2_5] == nil && result.subIndices[.so2] == nil && result.subIndices[.co] == nil)
    }

    /// Official sample 2.3b: O3 42.53, NO2 59.35, PM2.5 (NowCast 20.3) 40.6. The decision prints
    /// AQI^h = 60 because it rounds each AQIx first; the max of the unrounded values is 59.35 → 59.
    @Test func hourlyOfficialSample() throws {
        let result = try #require(VNAQI.hourly(
            pm2_5: Self.hours(20.3, 12), pm10: [], o3: 136.1, no2: 118.7, so2: nil, co: nil
        ))
        #expect(Self.isClose(result.subIndices[.o3], 42.53125))
        #expect(Self.isClose(result.subIndices[.no2], 59.35))
        #expect(Self.isClose(result.subIndices[.pm2_5], 40.6))
        #expect(result.aqi == 59)
        #expect(result.dominant == .no2)
        #expect(result.band.code == "moderate")
    }

    @Test func hourlyNeedsAPMNowCast() {
        #expect(VNAQI.hourly(pm2_5: [], pm10: [], o3: 300, no2: 300, so2: 300, co: 30_000) == nil)
        #expect(VNAQI.hourly(pm2_5: [40], pm10: [nil, nil, 40], o3: 300, no2: nil, so2: nil, co: nil) == nil)
    }

    /// A missing or invalid gas is left out; the others still count.
    @Test func hourlyWithInvalidGases() throws {
        let result = try #require(VNAQI.hourly(
            pm2_5: Self.hours(25, 12), pm10: Self.hours(150, 12), o3: -3, no2: .nan, so2: 125, co: nil
        ))
        #expect(result.subIndices == [.pm2_5: 50, .pm10: 100, .so2: 50])
        #expect(result.aqi == 100)
        #expect(result.dominant == .pm10)
    }

    // MARK: Rounding and the dominant pollutant

    /// Half away from zero: 50.5 → 51 (Trung bình), 150.5 → 151 (Xấu).
    @Test func hourlyRoundsHalfAwayFromZero() throws {
        // PM10 NowCast 51: 50 + 0.5 · (51 − 50) = 50.5.
        let moderate = try #require(VNAQI.hourly(pm2_5: [], pm10: Self.hours(51, 12), o3: nil, no2: nil, so2: nil, co: nil))
        #expect(moderate.exact == 50.5)
        #expect(moderate.aqi == 51)
        #expect(moderate.band.nameVI == "Trung bình")
        // O3 301 µg/m³: 150 + 0.5 · (301 − 300) = 150.5.
        let bad = try #require(VNAQI.hourly(pm2_5: Self.hours(10, 12), pm10: [], o3: 301, no2: nil, so2: nil, co: nil))
        #expect(bad.exact == 150.5)
        #expect(bad.aqi == 151)
        #expect(bad.band.nameVI == "Xấu")
        #expect(bad.dominant == .o3)
    }

    @Test(arguments: [
        ([AQIPollutant.pm2_5: 109.5], 110, AQIPollutant.pm2_5),
        ([.pm10: 150.5, .no2: 20], 151, .pm10),
        ([.pm10: 150.49, .no2: 20], 150, .pm10),
        ([.pm2_5: 0.5], 1, .pm2_5),
        ([.pm2_5: 0.49], 0, .pm2_5),
        // Ties go to the first of AQIPollutant.allCases.
        ([.no2: 80, .pm10: 80], 80, .pm10),
        ([.co: 80, .o3: 80, .pm2_5: 80], 80, .pm2_5),
        ([.co: 80, .so2: 80], 80, .so2),
        ([.pm2_5: 40, .co: .nan], 40, .pm2_5),
    ])
    func resultOfSubIndices(subIndices: [AQIPollutant: Double], aqi: Int, dominant: AQIPollutant) throws {
        let result = try #require(AQIResult(subIndices: subIndices))
        #expect(result.aqi == aqi)
        #expect(result.dominant == dominant)
    }

    @Test func resultOfNoSubIndex() {
        #expect(AQIResult(subIndices: [:]) == nil)
        #expect(AQIResult(subIndices: [.pm10: .infinity]) == nil)
    }

    // MARK: Daily AQI

    /// §9 example C. O3: 8 h max 430 (hours 1–8), above the 8 h table, so only the 1 h max 520
    /// counts (230). CO max 12 000 → 55, SO2 max 90 → 36.
    @Test func dailyExampleC() throws {
        var o3: [Double?] = Self.hours(430, 8) + Self.hours(100, 16)
        o3[20] = 520
        var co: [Double?] = Self.hours(5_000, 24)
        co[13] = 12_000
        var so2: [Double?] = Self.hours(10, 24)
        so2[2] = 90
        let result = try #require(VNAQI.daily(DailyInput(
            pm2_5: Self.hours(62.4, 24), pm10: Self.hours(140, 24), o3: o3, so2: so2, co: co
        )))
        #expect(result.aqi == 230)
        #expect(result.band.nameVI == "Rất xấu")
        #expect(result.dominant == .o3)
        #expect(Self.isClose(result.subIndices[.o3], 230))
        #expect(Self.isClose(result.subIndices[.pm2_5], 120.66666666666667))
        #expect(Self.isClose(result.subIndices[.pm10], 95))
        #expect(Self.isClose(result.subIndices[.co], 55))
        #expect(Self.isClose(result.subIndices[.so2], 36))
        #expect(result.subIndices[.no2] == nil)
    }

    /// Official sample 2.3c: O3 8 h max 89.3 → 44.65 beats O3 1 h max 114.6 → 35.81; NO2 130.8 → 65.4;
    /// PM2.5 24 h mean 55.7 → 109.5 → 110.
    @Test func dailyOfficialSample() throws {
        var o3: [Double?] = Self.hours(89.3, 8) + Self.hours(20, 16)
        o3[20] = 114.6
        var no2: [Double?] = Self.hours(100, 24)
        no2[9] = 130.8
        let result = try #require(VNAQI.daily(DailyInput(pm2_5: Self.hours(55.7, 24), o3: o3, no2: no2)))
        #expect(Self.isClose(result.subIndices[.o3], 44.65))
        #expect(Self.isClose(result.subIndices[.no2], 65.4))
        #expect(Self.isClose(result.exact, 109.5))
        #expect(result.aqi == 110)
        #expect(result.dominant == .pm2_5)
    }

    /// The decision's 8-hour example: the hours ending 18:00 ... 00:00 before the day, then the day.
    /// Highest 8 h mean (ending 17:00) = 595.1 / 8 = 74.3875 (printed 74.4) → 37.19; 1 h max 97.7 → 30.53.
    @Test func dailyOfficialEightHourExample() throws {
        let previous: [Double?] = [15.7, 14.2, 17.7, 18.9, 19.3, 15.7, 19.7]
        let o3: [Double?] = [
            22.6, 27.1, 29.0, 31.9, 25.3, 34.7, 35.2, 41.6, 45.7, 49.2, 55.8, 69.6,
            78.3, 91.5, 97.7, 81.2, 71.8, 43.5, 34.3, 21.5, 20.5, 19.4, 20.4, 21.3,
        ]
        let result = try #require(VNAQI.daily(DailyInput(pm2_5: Self.hours(10, 24), o3: o3, o3Previous7: previous)))
        #expect(Self.isClose(result.subIndices[.o3], 37.19375))
        #expect(result.aqi == 37)
        #expect(result.dominant == .o3)
    }

    static let ozoneCases: [(o3: [Double?], previous: [Double?], expected: Double)] = [
        // 8 h max 430 is beyond the 8 h table: only the 1 h index, 200 + 0.25 · 30.
        (Self.hours(430, 24), [], 207.5),
        // 8 h max exactly 400: the 8 h index 300 beats the 1 h index 200.
        (Self.hours(400, 24), [], 300),
        // 150 all day: 8 h 130 beats 1 h 46.875.
        (Self.hours(150, 24), [], 130),
        // 200 µg/m³: 3 hours before the day + the first 3 = 6 of 8 → 8 h 187.5 beats 1 h 100.
        ([200, 200, 200], [200, 200, 200], 187.5),
        // Only 5 of 8 in any window: no 8 h mean, 1 h 100.
        ([200, 200, 200], [200, 200], 100),
        // 6 of 8 within the day.
        ([200, 200, 200, 200, 200, nil, 200], [], 187.5),
        ([200, 200, 200, 200, nil, nil, 200], [], 100),
        // Only the last 7 entries before the day count (they are the nearest hours).
        ([200, 200, 200], [200, nil, nil, nil, nil, 200, 200, 200], 187.5),
    ]

    @Test(arguments: ozoneCases)
    func dailyOzone(o3: [Double?], previous: [Double?], expected: Double) throws {
        let result = try #require(VNAQI.daily(DailyInput(pm2_5: Self.hours(10, 24), o3: o3, o3Previous7: previous)))
        #expect(Self.isClose(result.subIndices[.o3], expected), "\(String(describing: result.subIndices[.o3]))")
    }

    /// A PM 24 h mean needs 18 of 24 hours; without a PM sub-index there is no daily AQI.
    @Test func dailyNeedsEnoughPMHours() throws {
        let seventeen: [Double?] = Self.hours(50, 17) + Array(repeating: nil, count: 7)
        let eighteen: [Double?] = Array(repeating: nil, count: 6) + Self.hours(50, 18)
        #expect(VNAQI.daily(DailyInput(pm2_5: seventeen, o3: Self.hours(300, 24), no2: Self.hours(300, 24))) == nil)
        #expect(VNAQI.daily(DailyInput(pm2_5: Self.hours(50, 17))) == nil)
        #expect(VNAQI.daily(DailyInput(no2: Self.hours(300, 24))) == nil)

        let withEighteen = try #require(VNAQI.daily(DailyInput(pm2_5: eighteen)))
        #expect(withEighteen.subIndices == [.pm2_5: 100])

        // PM2.5 skipped, PM10 (18 hours of 150 → 100) carries the day.
        let pm10Only = try #require(VNAQI.daily(DailyInput(pm2_5: seventeen, pm10: Array(repeating: nil, count: 6) + Self.hours(150, 18))))
        #expect(pm10Only.subIndices == [.pm10: 100])
        #expect(pm10Only.dominant == .pm10)
    }

    /// The 24 h mean is over the available hours; invalid hours count as missing; entries after the 24th are ignored.
    @Test func dailyMeanOverAvailableHours() throws {
        var pm: [Double?] = Self.hours(20, 12) + Self.hours(30, 12) + [1_000]
        pm[0] = nil
        pm[1] = -4
        pm[2] = .nan
        // (9 · 20 + 12 · 30) / 21 = 540 / 21 = 25.714285714285715 → 50 + 2 · 0.714285714285715.
        let result = try #require(VNAQI.daily(DailyInput(pm2_5: pm)))
        #expect(Self.isClose(result.subIndices[.pm2_5], 51.42857142857143))
    }

    /// SO2, NO2, CO: the day's highest hourly mean, from whatever hours exist.
    @Test func dailyGasesUseTheMaximumOfAnyHours() throws {
        let result = try #require(VNAQI.daily(DailyInput(
            pm2_5: Self.hours(10, 24), no2: [nil, 150, nil], so2: [350], co: []
        )))
        #expect(result.subIndices == [.pm2_5: 20, .no2: 75, .so2: 100])
        #expect(result.aqi == 100)
        #expect(result.dominant == .so2)
    }

    @Test func completenessThresholds() {
        #expect(VNAQI.minimumHoursPerDay == 18)
        #expect(VNAQI.minimumHoursPerEightHourMean == 6)
    }
}
