/// The derivations as plain functions from the readings they need to the values they produce.
/// The derived service fetches the inputs and stores the outputs; everything in between is here.
public enum DerivedComputation {
    public static let hour: Int64 = 3_600_000_000
    public static let day: Int64 = 24 * hour
    /// Vietnam's civil time is UTC+7 all year: the daily AQI's day runs 00:00–24:00 local time.
    public static let vietnamOffset: Int64 = 7 * hour

    /// The start of the hour (UTC) containing `time`, in microseconds.
    public static func hourStart(_ time: Timestamp) -> Int64 {
        time.microseconds.floorDividedBy(hour).quotient * hour
    }

    /// The start of the Vietnamese calendar day (00:00 UTC+7) containing `time`, in microseconds.
    public static func localDayStart(_ time: Timestamp) -> Int64 {
        (time.microseconds + vietnamOffset).floorDividedBy(day).quotient * day - vietnamOffset
    }

    /// Hourly VN_AQI and sub-indices for each hour of `hours` (hour starts), and the daily VN_AQI
    /// of each local day of `days` (day starts). `hourlyMeans[p][h]` is the mean of pollutant `p`
    /// over the hour starting at `h`. An hour stamped 10:00 here is the hour the decision labels
    /// 11:00 (its hours are named by their end).
    public static func airQuality(hourlyMeans: [AQIPollutant: [Int64: Double]], hours: [Int64], days: [Int64] = []) -> [DerivedValue] {
        var values: [DerivedValue] = []
        func mean(_ p: AQIPollutant, _ h: Int64) -> Double? { hourlyMeans[p]?[h] }
        func last12(_ p: AQIPollutant, _ h: Int64) -> [Double?] { (0..<12).map { mean(p, h - Int64($0) * hour) } }
        for h in hours {
            guard let result = VNAQI.hourly(pm2_5: last12(.pm2_5, h), pm10: last12(.pm10, h),
                                            o3: mean(.o3, h), no2: mean(.no2, h), so2: mean(.so2, h), co: mean(.co, h)) else { continue }
            let time = Timestamp(microseconds: h)
            values.append(DerivedValue(.vnAQI, time, Double(result.aqi)))
            for pollutant in AQIPollutant.allCases {
                if let sub = result.subIndices[pollutant] {
                    values.append(DerivedValue(DerivedMetric.subIndex(of: pollutant), time, rounded(sub, places: 1)))
                }
            }
        }
        for d in days {
            func dayHours(_ p: AQIPollutant) -> [Double?] { (0..<24).map { mean(p, d + Int64($0) * hour) } }
            let input = DailyInput(pm2_5: dayHours(.pm2_5), pm10: dayHours(.pm10), o3: dayHours(.o3),
                                   no2: dayHours(.no2), so2: dayHours(.so2), co: dayHours(.co),
                                   o3Previous7: (1...7).reversed().map { mean(.o3, d - Int64($0) * hour) })
            if let result = VNAQI.daily(input) {
                values.append(DerivedValue(.vnAQIDay, Timestamp(microseconds: d), Double(result.aqi)))
            }
        }
        return values
    }

    /// The hours whose AQI changes when readings land in the `touched` hours: each touched hour and
    /// the 11 after it (NowCast looks 12 hours back), none after the hour of `now` or before `oldest`.
    public static func affectedHours(touched: Set<Int64>, now: Timestamp, oldest: Timestamp) -> [Int64] {
        let current = hourStart(now), first = hourStart(oldest)
        var hours = Set<Int64>()
        for h in touched {
            for k in 0..<12 {
                let affected = h + Int64(k) * hour
                if affected > current { break }
                if affected >= first { hours.insert(affected) }
            }
        }
        return hours.sorted()
    }

    /// Whether the period [start, start + length) is over for a station: it has ended and the
    /// station has reported past its end, or nothing has arrived from it for `graceSeconds`
    /// (`lastArrival`, wall clock: a station that stopped mid-hour). Counting the grace from the
    /// last arrival, not from the period's end, keeps a backlog being replayed (a gateway catching
    /// up after an outage) from closing its hours early with half their data. An hour's AQI is
    /// computed once it is over, as the decision's hourly AQI is; a late reading recomputes it.
    public static func isOver(start: Int64, length: Int64, newestInput: Timestamp?, lastArrival: Timestamp, now: Timestamp,
                              graceSeconds: Double) -> Bool {
        let end = start + length
        guard end <= now.microseconds else { return false }
        if let newest = newestInput, newest.microseconds >= end { return true }
        return lastArrival.microseconds + Int64(graceSeconds * 1_000_000) <= now.microseconds
    }

    /// Rain in every window ending at `now`, and the heavy-rain risk level they imply.
    public static func rain(increments: [(time: Timestamp, mm: Double)], at now: Timestamp) -> [DerivedValue] {
        let totals = Rainfall.accumulations(increments, at: now)
        var values: [DerivedValue] = []
        for hours in Rainfall.windowsHours {
            if let metric = DerivedMetric.rain(hours: hours), let total = totals[hours] {
                values.append(DerivedValue(metric, now, rounded(total, places: 2)))
            }
        }
        let level = HeavyRainRisk.level(rain12h: totals[12] ?? 0, rain24h: totals[24] ?? 0)
        values.append(DerivedValue(.rainRisk, now, Double(level)))
        return values
    }

    /// Alarm level and margin, rate of rise and useful capacity at the newest of `samples` (the
    /// last hour of a water level, any order).
    public static func waterLevel(samples: [(time: Timestamp, value: Double)], attributes: DerivedAttributes, outputs: Set<DerivedMetric>) -> [DerivedValue] {
        guard let newest = samples.max(by: { $0.time < $1.time }) else { return [] }
        var values: [DerivedValue] = []
        let levels = attributes.alarmLevels
        if outputs.contains(.alarmLevel) {
            values.append(DerivedValue(.alarmLevel, newest.time, Double(FloodAlarm.level(newest.value, levels))))
        }
        if outputs.contains(.alarmMargin), let margin = FloodAlarm.marginToNext(newest.value, levels) {
            values.append(DerivedValue(.alarmMargin, newest.time, rounded(margin, places: 3)))
        }
        if outputs.contains(.riseRate), let rate = FloodAlarm.riseRate(samples) {
            values.append(DerivedValue(.riseRate, newest.time, rounded(rate, places: 3)))
        }
        if outputs.contains(.usefulCapacity), let dead = attributes.deadLevel, let normal = attributes.normalLevel,
           let percent = Reservoir.usefulPercent(waterLevel: newest.value, dead: dead, normal: normal) {
            values.append(DerivedValue(.usefulCapacity, newest.time, rounded(percent, places: 1)))
        }
        return values
    }

    /// The congestion state at the time of a speed reading, with the occupancy measured with it.
    public static func traffic(speed: (time: Timestamp, value: Double), occupancy: Double?, attributes: DerivedAttributes,
                               thresholds: CongestionThresholds = .default) -> [DerivedValue] {
        let state = Congestion.state(speedKmh: speed.value, freeFlowKmh: attributes.freeFlowKmh, occupancyPercent: occupancy, thresholds: thresholds)
        return [DerivedValue(.congestion, speed.time, Double(state))]
    }

    static func rounded(_ value: Double, places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (value * scale).rounded() / scale
    }
}
