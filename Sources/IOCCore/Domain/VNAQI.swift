/// The six pollutants of VN_AQI; raw values are the registry's metric names.
public enum AQIPollutant: String, CaseIterable, Sendable, Codable {
    case pm2_5, pm10, o3, no2, so2, co
}

/// An hourly or daily VN_AQI: the largest per-pollutant sub-index (AQIx), rounded.
public struct AQIResult: Sendable, Equatable {
    /// `exact` rounded half away from zero. 1459 says only "rounded to an integer"; half away from
    /// zero is the usual reading and gives the official daily sample's 109.5 → 110.
    public let aqi: Int
    /// The unrounded largest sub-index.
    public let exact: Double
    /// The pollutant with the largest sub-index; a tie goes to the first in `AQIPollutant.allCases`.
    public let dominant: AQIPollutant
    /// Every sub-index that could be computed, unrounded.
    public let subIndices: [AQIPollutant: Double]

    public var band: AQIBand { AQIBand.of(aqi) }

    /// The result of these sub-indices (non-finite ones are dropped), nil when there is none. It does
    /// not check the rule that a PM sub-index must be present; `VNAQI.hourly` and `VNAQI.daily` do.
    public init?(subIndices: [AQIPollutant: Double]) {
        let subIndices = subIndices.filter { $0.value.isFinite }
        var best: (pollutant: AQIPollutant, value: Double)?
        for pollutant in AQIPollutant.allCases {
            guard let value = subIndices[pollutant] else { continue }
            if let current = best, current.value >= value { continue }
            best = (pollutant, value)
        }
        guard let best else { return nil }
        self.exact = best.value
        self.aqi = Int(best.value.rounded(.toNearestOrAwayFromZero))
        self.dominant = best.pollutant
        self.subIndices = subIndices
    }
}

/// The Vietnamese Air Quality Index, Decision 1459/QĐ-TCMT (12/11/2019), for one continuous
/// automatic station. All concentrations are µg/m³, CO included (10 mg/m³ = 10 000 µg/m³).
/// Inputs are assumed to have passed QA/QC; a negative, NaN or infinite hourly mean counts as missing.
public enum VNAQI {
    /// A concentration column of Bảng 2.
    public enum Column: Sendable {
        case o3OneHour, o3EightHour, co, so2, no2, pm10, pm2_5

        /// BP_1 ... BP_8 of Bảng 2. The O3 (8h) column stops at 400 µg/m³ ↔ 300 (rows 7 and 8 are blank).
        var breakpoints: [Double] {
            switch self {
            case .o3OneHour: [0, 160, 200, 300, 400, 800, 1_000, 1_200]
            case .o3EightHour: [0, 100, 120, 170, 210, 400]
            case .co: [0, 10_000, 30_000, 45_000, 60_000, 90_000, 120_000, 150_000]
            case .so2: [0, 125, 350, 550, 800, 1_600, 2_100, 2_630]
            case .no2: [0, 100, 200, 700, 1_200, 2_350, 3_100, 3_850]
            case .pm10: [0, 50, 150, 250, 350, 420, 500, 600]
            case .pm2_5: [0, 25, 50, 80, 150, 250, 350, 500]
            }
        }
    }

    /// I_1 ... I_8 of Bảng 2 (0, 50, ..., not the US EPA's 51, 101, ...).
    static let indexValues: [Double] = [0, 50, 100, 150, 200, 300, 400, 500]

    /// Formula 1/2: the sub-index of a concentration (µg/m³) in a column of Bảng 2, by linear
    /// interpolation between the breakpoints around it. nil when the value is negative or NaN, and
    /// for `o3EightHour` above 400 µg/m³, where the 8 h table stops.
    ///
    /// Above the last row (500) the decision says nothing; we cap at 500 rather than extrapolate
    /// (project choice): the scale ends at 500 and Nguy hại is already the last band.
    public static func subIndex(_ concentration: Double, column: Column) -> Double? {
        guard !concentration.isNaN, concentration >= 0 else { return nil }
        let breakpoints = column.breakpoints
        // Each segment is [BP_i, BP_i+1): a value on a breakpoint gets exactly I_i.
        for upper in 1..<breakpoints.count where concentration < breakpoints[upper] {
            let lower = upper - 1
            let slope = (indexValues[upper] - indexValues[lower]) / (breakpoints[upper] - breakpoints[lower])
            return slope * (concentration - breakpoints[lower]) + indexValues[lower]
        }
        let last = breakpoints.count - 1
        if concentration == breakpoints[last] { return indexValues[last] }
        return last == indexValues.count - 1 ? indexValues[last] : nil
    }

    /// Hourly AQI (AQI giờ, §2.2.1): PM2.5 and PM10 from the NowCast of their hourly means
    /// c1 (current hour) ... c12, the gases from the current 1-hour mean (O3 on the O3 (1h) column).
    /// A missing or invalid gas is left out. nil when neither PM has a NowCast: 1459 requires PM10 or PM2.5.
    public static func hourly(
        pm2_5: [Double?], pm10: [Double?], o3: Double?, no2: Double?, so2: Double?, co: Double?
    ) -> AQIResult? {
        var subIndices: [AQIPollutant: Double] = [:]
        subIndices[.pm2_5] = nowCast(pm2_5).flatMap { subIndex($0, column: .pm2_5) }
        subIndices[.pm10] = nowCast(pm10).flatMap { subIndex($0, column: .pm10) }
        guard !subIndices.isEmpty else { return nil }
        subIndices[.o3] = o3.flatMap(valid).flatMap { subIndex($0, column: .o3OneHour) }
        subIndices[.no2] = no2.flatMap(valid).flatMap { subIndex($0, column: .no2) }
        subIndices[.so2] = so2.flatMap(valid).flatMap { subIndex($0, column: .so2) }
        subIndices[.co] = co.flatMap(valid).flatMap { subIndex($0, column: .co) }
        return AQIResult(subIndices: subIndices)
    }

    /// The value if it can be a concentration (finite, not negative), else nil: treated as missing.
    static func valid(_ value: Double) -> Double? {
        value.isFinite && value >= 0 ? value : nil
    }

    /// `values` cut or padded with nil to `count` entries, invalid values turned into nil.
    static func window(_ values: [Double?], count: Int) -> [Double?] {
        (0..<count).map { $0 < values.count ? values[$0].flatMap(valid) : nil }
    }
}
