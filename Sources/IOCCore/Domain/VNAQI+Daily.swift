/// The hourly means of one day for the daily VN_AQI. Each array holds up to 24 entries: index 0 is
/// the hour ending 01:00, index 23 the hour ending 00:00 of the next day (§2.2.2a); nil is missing,
/// a shorter array means the later hours are missing, entries after the 24th are ignored.
public struct DailyInput: Sendable, Equatable {
    public var pm2_5: [Double?]
    public var pm10: [Double?]
    public var o3: [Double?]
    public var no2: [Double?]
    public var so2: [Double?]
    public var co: [Double?]
    /// The 7 O3 hourly means before the day (hours ending 18:00 ... 00:00), oldest first, for the
    /// 8-hour means of the day's first hours. Fewer than 7 entries means the oldest are missing.
    public var o3Previous7: [Double?]

    public init(
        pm2_5: [Double?] = [], pm10: [Double?] = [], o3: [Double?] = [],
        no2: [Double?] = [], so2: [Double?] = [], co: [Double?] = [], o3Previous7: [Double?] = []
    ) {
        self.pm2_5 = pm2_5
        self.pm10 = pm10
        self.o3 = o3
        self.no2 = no2
        self.so2 = so2
        self.co = co
        self.o3Previous7 = o3Previous7
    }
}

extension VNAQI {
    /// Hourly values a PM 24-hour mean needs: 18 of 24 (≥ 75 %). Project choice — 1459/QĐ-TCMT sets
    /// no minimum; 75 % is the common convention for daily means.
    public static let minimumHoursPerDay = 18
    /// Hourly values one O3 8-hour mean needs: 6 of 8 (75 %). Project choice, not in 1459/QĐ-TCMT.
    public static let minimumHoursPerEightHourMean = 6

    /// Daily AQI (AQI ngày, §2.2.2), all by Formula 1:
    /// - PM2.5, PM10: the 24-hour mean, skipped with fewer than `minimumHoursPerDay` hours;
    /// - SO2, NO2, CO: the day's highest 1-hour mean (any available hours);
    /// - O3: the larger of the highest 1-hour mean on O3 (1h) and the highest 8-hour mean on O3 (8h);
    ///   the 8-hour index is skipped when that mean exceeds 400 µg/m³, where the 8 h table ends.
    /// nil when neither PM has a sub-index.
    public static func daily(_ day: DailyInput) -> AQIResult? {
        var subIndices: [AQIPollutant: Double] = [:]
        subIndices[.pm2_5] = dayMean(day.pm2_5).flatMap { subIndex($0, column: .pm2_5) }
        subIndices[.pm10] = dayMean(day.pm10).flatMap { subIndex($0, column: .pm10) }
        guard !subIndices.isEmpty else { return nil }
        subIndices[.no2] = dayMax(day.no2).flatMap { subIndex($0, column: .no2) }
        subIndices[.so2] = dayMax(day.so2).flatMap { subIndex($0, column: .so2) }
        subIndices[.co] = dayMax(day.co).flatMap { subIndex($0, column: .co) }
        let o3OneHour = dayMax(day.o3).flatMap { subIndex($0, column: .o3OneHour) }
        // subIndex is nil above 400 µg/m³ on the 8 h column: that is the "skip above 400" rule.
        let o3EightHour = eightHourMeans(day.o3, previous7: day.o3Previous7).compactMap { $0 }.max()
            .flatMap { subIndex($0, column: .o3EightHour) }
        subIndices[.o3] = [o3OneHour, o3EightHour].compactMap { $0 }.max()
        return AQIResult(subIndices: subIndices)
    }

    /// The 24 8-hour means of the day: entry h averages the hourly means of hours h−7 ... h (the
    /// first 7 reach into `previous7`); nil with fewer than `minimumHoursPerEightHourMean` values.
    static func eightHourMeans(_ day: [Double?], previous7: [Double?]) -> [Double?] {
        let previous = previous7.suffix(7).map { $0.flatMap(valid) }
        let hours = Array(repeating: nil, count: 7 - previous.count) + previous + window(day, count: 24)
        return (0..<24).map { end in
            let values = hours[end...(end + 7)].compactMap { $0 }
            guard values.count >= minimumHoursPerEightHourMean else { return nil }
            return values.reduce(0, +) / Double(values.count)
        }
    }

    private static func dayMean(_ hours: [Double?]) -> Double? {
        let values = window(hours, count: 24).compactMap { $0 }
        guard values.count >= minimumHoursPerDay else { return nil }
        return values.reduce(0, +) / Double(values.count)
    }

    private static func dayMax(_ hours: [Double?]) -> Double? {
        window(hours, count: 24).compactMap { $0 }.max()
    }
}
