/// A value IOC computes from other readings and stores as the readings of a sensor of its own
/// (marked `derived` in the registry), so every API, rule, export and display can use it like a
/// measured one. The raw value is the sensor's metric name.
public enum DerivedMetric: String, CaseIterable, Sendable, Hashable {
    /// Hourly VN_AQI (Decision 1459/QĐ-TCMT), stored at the start of the hour it describes.
    case vnAQI = "vn_aqi"
    /// Hourly sub-index of each pollutant (AQIx), same time stamps as `vn_aqi`.
    case vnAQIPM2_5 = "vn_aqi_pm2_5", vnAQIPM10 = "vn_aqi_pm10", vnAQIO3 = "vn_aqi_o3"
    case vnAQINO2 = "vn_aqi_no2", vnAQISO2 = "vn_aqi_so2", vnAQICO = "vn_aqi_co"
    /// Daily VN_AQI of a Vietnamese calendar day (UTC+7), stored at 00:00 local time of that day.
    case vnAQIDay = "vn_aqi_day"
    /// Rain fallen in the window ending at the gauge's newest reading.
    case rain1h = "rain_1h", rain3h = "rain_3h", rain6h = "rain_6h", rain12h = "rain_12h", rain24h = "rain_24h", rain48h = "rain_48h"
    /// Heavy-rain disaster risk level 0…3 implied by the 12 h and 24 h totals (see `HeavyRainRisk`).
    case rainRisk = "rain_risk"
    /// Flood alarm level reached, 0…3 (báo động I, II, III), from the station's `alarm_levels`.
    case alarmLevel = "alarm_level"
    /// Metres still to rise to the next alarm level; no value once level III is reached.
    case alarmMargin = "alarm_margin"
    /// Rate of rise of the water level over the last hour, m/h (negative when falling).
    case riseRate = "rise_rate"
    /// Reservoir: percent of the useful storage between dead level and normal level.
    case usefulCapacity = "useful_capacity"
    /// Traffic congestion state 0 free flow, 1 slow, 2 congested, 3 jammed.
    case congestion = "congestion"

    /// The unit its readings are stored in.
    public var unit: String {
        switch self {
        case .vnAQI, .vnAQIPM2_5, .vnAQIPM10, .vnAQIO3, .vnAQINO2, .vnAQISO2, .vnAQICO, .vnAQIDay: "AQI"
        case .rain1h, .rain3h, .rain6h, .rain12h, .rain24h, .rain48h: "mm"
        case .rainRisk, .alarmLevel, .congestion: "level"
        case .alarmMargin: "m"
        case .riseRate: "m/h"
        case .usefulCapacity: "%"
        }
    }

    /// The per-pollutant sub-index sensor of `pollutant`.
    public static func subIndex(of pollutant: AQIPollutant) -> DerivedMetric {
        switch pollutant {
        case .pm2_5: .vnAQIPM2_5
        case .pm10: .vnAQIPM10
        case .o3: .vnAQIO3
        case .no2: .vnAQINO2
        case .so2: .vnAQISO2
        case .co: .vnAQICO
        }
    }

    /// The rain window metric of `hours` (1, 3, 6, 12, 24 or 48).
    public static func rain(hours: Int) -> DerivedMetric? {
        switch hours {
        case 1: .rain1h
        case 3: .rain3h
        case 6: .rain6h
        case 12: .rain12h
        case 24: .rain24h
        case 48: .rain48h
        default: nil
        }
    }

    /// Measured metrics the derivations read.
    public static let waterLevel = "water_level", rain = "rain", speed = "speed", occupancy = "occupancy"

    /// Which derived sensors a station gets, from the metrics it measures and its attributes:
    /// VN_AQI where PM2.5 or PM10 is measured (the decision requires one of them), rain windows
    /// where rain is, alarm level and margin where a water level and at least one alarm level are
    /// known, rise rate for every water level, useful capacity where dead and normal levels are
    /// given, congestion where speed is measured.
    public static func applicable(measured: Set<String>, attributes: DerivedAttributes) -> [DerivedMetric] {
        var result: [DerivedMetric] = []
        if measured.contains(AQIPollutant.pm2_5.rawValue) || measured.contains(AQIPollutant.pm10.rawValue) {
            result.append(.vnAQI)
            result.append(contentsOf: AQIPollutant.allCases.filter { measured.contains($0.rawValue) }.map(subIndex(of:)))
            result.append(.vnAQIDay)
        }
        if measured.contains(rain) {
            result.append(contentsOf: [.rain1h, .rain3h, .rain6h, .rain12h, .rain24h, .rain48h, .rainRisk])
        }
        if measured.contains(waterLevel) {
            if attributes.alarmLevels.one != nil || attributes.alarmLevels.two != nil || attributes.alarmLevels.three != nil {
                result.append(contentsOf: [.alarmLevel, .alarmMargin])
            }
            result.append(.riseRate)
            if let dead = attributes.deadLevel, let normal = attributes.normalLevel, normal > dead {
                result.append(.usefulCapacity)
            }
        }
        if measured.contains(speed) { result.append(.congestion) }
        return result
    }
}

/// The station attributes the derivations use, read from the registry's `attributes` object.
public struct DerivedAttributes: Sendable, Equatable {
    /// `alarm_levels` {"I", "II", "III"}, metres at the gauge datum.
    public var alarmLevels: AlarmLevels
    /// `dead_water_level` (MNC) and `normal_water_level` (MNDBT), metres.
    public var deadLevel: Double?
    public var normalLevel: Double?
    /// `free_flow_kmh`: the road's free-flow speed; the congestion default applies without it.
    public var freeFlowKmh: Double?

    public init(alarmLevels: AlarmLevels = AlarmLevels(one: nil, two: nil, three: nil), deadLevel: Double? = nil,
                normalLevel: Double? = nil, freeFlowKmh: Double? = nil) {
        self.alarmLevels = alarmLevels
        self.deadLevel = deadLevel
        self.normalLevel = normalLevel
        self.freeFlowKmh = freeFlowKmh
    }
}

/// One station as the derivations see it: its measured inputs and derived outputs by metric.
public struct DerivedStation: Sendable, Equatable {
    public var id: Int32
    public var code: String
    /// Measured metric → sensor id.
    public var inputs: [String: Int32]
    /// Derived metric → sensor id.
    public var outputs: [DerivedMetric: Int32]
    public var attributes: DerivedAttributes

    public init(id: Int32, code: String, inputs: [String: Int32], outputs: [DerivedMetric: Int32], attributes: DerivedAttributes) {
        self.id = id
        self.code = code
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }

    /// Whether a reading of the measured `metric` changes any derived value of this station.
    public func isInput(_ metric: String) -> Bool {
        if let pollutant = AQIPollutant(rawValue: metric) {
            return outputs[.vnAQI] != nil || outputs[DerivedMetric.subIndex(of: pollutant)] != nil
        }
        switch metric {
        case DerivedMetric.rain: return outputs[.rain1h] != nil
        case DerivedMetric.waterLevel: return outputs[.riseRate] != nil || outputs[.alarmLevel] != nil || outputs[.usefulCapacity] != nil
        case DerivedMetric.speed, DerivedMetric.occupancy: return outputs[.congestion] != nil
        default: return false
        }
    }

    public var hasAirQuality: Bool { outputs[.vnAQI] != nil }
}

/// One derived value before it is given its sensor id.
public struct DerivedValue: Sendable, Equatable, CustomStringConvertible {
    public var metric: DerivedMetric
    public var time: Timestamp
    public var value: Double

    public init(_ metric: DerivedMetric, _ time: Timestamp, _ value: Double) {
        self.metric = metric
        self.time = time
        self.value = value
    }

    public var description: String { "\(metric.rawValue)@\(time.rfc3339)=\(value)" }
}
