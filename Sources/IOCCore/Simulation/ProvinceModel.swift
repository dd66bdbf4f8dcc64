import Foundation

/// The background of `ioc simulate`: an ordinary day in the province, station by station, in
/// Vietnam's local time. `typical` is the noiseless value of a metric at a station and a time
/// (pure, from `Diurnal` and the station's attributes); `sample` adds sensor noise, keeps the
/// value in the sensor's range, and gives each sensor strictly increasing millisecond times so
/// that every published reading is distinct. Values stay clear of the shipped alert rules: a
/// normal day raises no alert by itself (traffic only slows at the peaks, the hourly VN_AQI stays
/// Trung bình at worst, showers stay far below heavy rain).
public struct ProvinceModel: Sendable {
    public struct Value: Sendable, Hashable {
        public var metric: String
        public var unit: String
        public var time: Timestamp
        public var value: Double
    }

    var random: SplitMix64
    var lastTime: [String: Timestamp] = [:]
    /// The time of each rain gauge's last report: rain is reported as mm since then.
    var lastRainReport: [String: Timestamp] = [:]

    public init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    /// Values for the sensors of `station` at `now`, at most `limit` of them, skipping those for
    /// which `skip(metric)` is true (a dropout).
    public mutating func sample(station: SimulatedStation, at now: Timestamp, limit: Int = .max, skip: (String) -> Bool = { _ in false }) -> [Value] {
        var values: [Value] = []
        for sensor in station.sensors.prefix(max(0, limit)) where !skip(sensor.metric) {
            let key = "\(station.code)/\(sensor.metric)"
            // Milliseconds, what the payloads carry; truncate before comparing, or two visits in
            // the same millisecond would give one sensor the same time twice.
            var time = Timestamp(microseconds: now.microseconds / 1000 * 1000)
            if let last = lastTime[key], time <= last { time = Timestamp(microseconds: last.microseconds + 1000) }
            lastTime[key] = time
            var value: Double
            if sensor.metric == "rain" {
                let since = lastRainReport[station.code].map { min(3600, max(0, time.seconds - $0.seconds)) } ?? 0
                lastRainReport[station.code] = time
                value = Self.rainIntensity(station: station.code, at: time) * since / 3600
            } else {
                value = Self.typical(metric: sensor.metric, station: station, at: time) * (1 + jitter(Self.relativeNoise(sensor.metric)))
                    + jitter(Self.absoluteNoise(sensor.metric))
            }
            if let lo = sensor.min { value = max(value, lo) }
            if let hi = sensor.max { value = min(value, hi) }
            values.append(Value(metric: sensor.metric, unit: sensor.unit, time: time, value: (value * 1000).rounded() / 1000))
        }
        return values
    }

    /// Moves a station's last times forward after the caller aligned them to one time.
    public mutating func bump(station: String, to time: Timestamp, metrics: [String]) {
        for metric in metrics { lastTime["\(station)/\(metric)"] = time }
    }

    /// Uniform in ±amplitude.
    mutating func jitter(_ amplitude: Double) -> Double {
        guard amplitude > 0 else { return 0 }
        return (Double(random.next() >> 11) / Double(1 << 53) * 2 - 1) * amplitude
    }

    /// The noiseless value of `metric` at `station` at `time`, in the metric's canonical unit.
    public static func typical(metric: String, station: SimulatedStation, at time: Timestamp) -> Double {
        let hour = Diurnal.localHour(time)
        let n = station.numbers
        let industrial = station.texts["setting"]?.contains("industrial") ?? false
        let demand = Diurnal.trafficDemand(hour: hour)
        switch metric {
        case "water_level":
            if station.domain == "reservoir" { return reservoirLevel(station) + 0.02 * Diurnal.warmth(hour: hour) }
            return normalRiverLevel(station) + 0.03 * Diurnal.warmth(hour: hour + 6)
        case "inflow":
            return baseInflow(station) * (1 + 0.04 * Diurnal.warmth(hour: hour + 3))
        case "outflow":
            // Hydropower releases more for the evening peak of demand (17:00–21:00); irrigation steadily.
            let inflow = baseInflow(station)
            if station.texts["type"] == "hydropower" { return inflow * (0.75 + 0.5 * Diurnal.bell(hour, at: 19, width: 1.6)) }
            return inflow * 0.9
        case "rain":
            return 0
        case "temperature":
            return 26.5 + 4 * Diurnal.warmth(hour: hour)
        case "humidity":
            return 78 - 13 * Diurnal.warmth(hour: hour)
        case "pm2_5":
            return (industrial ? 18 : 12) + 14 * Diurnal.particulates(hour: hour)
        case "pm10":
            return 1.8 * typical(metric: "pm2_5", station: station, at: time) + 6
        case "o3":
            return 22 + 68 * Diurnal.ozone(hour: hour)
        case "no2":
            return (industrial ? 18 : 10) + 28 * demand
        case "so2":
            return industrial ? 16 : 6
        case "co":
            return (industrial ? 650 : 450) + 900 * demand
        case "vehicle_count":
            let capacity = n["capacity_veh_h"].flatMap { $0 > 0 ? $0 : nil } ?? 1500
            return capacity * 0.82 * demand * station.reportMinutes(default: 5) / 60
        case "speed":
            // At the peaks 0.68 of free flow: slow, never congested (below 0.5).
            return freeFlow(station) * (0.98 - 0.30 * demand * demand)
        case "occupancy":
            return 2 + 20 * demand
        default:
            let sensor = station.sensor(metric)
            let lo = sensor?.min ?? 0, hi = sensor?.max ?? 100
            return lo + (hi - lo) * 0.3
        }
    }

    /// Rain intensity (mm/h) at a gauge: showers of up to 4 mm/h lasting up to three hours, one
    /// slot in four, likelier in the afternoon; deterministic from the gauge and the slot.
    public static func rainIntensity(station: String, at time: Timestamp) -> Double {
        let slotLength = 3.0 * 3600
        let slot = floor(time.seconds / slotLength)
        var hash = SplitMix64(seed: UInt64(bitPattern: Int64(slot)) ^ stableHash(station))
        let draw = Double(hash.next() >> 11) / Double(1 << 53)
        let hour = Diurnal.localHour(Timestamp(seconds: (slot + 0.5) * slotLength))
        let chance = 0.15 + 0.2 * Diurnal.bell(hour, at: 16, width: 2.5)
        guard draw < chance else { return 0 }
        let peak = 1 + 3 * Double(hash.next() >> 11) / Double(1 << 53)
        let phase = (time.seconds / slotLength - slot)
        return peak * sin(.pi * phase)
    }

    /// A river gauge's ordinary level: well below its lowest alarm level (one and a half alarm
    /// steps), or a quarter up its sensor's range when it has none.
    static func normalRiverLevel(_ station: SimulatedStation) -> Double {
        let levels = station.alarmLevels.thresholds.compactMap { $0 }
        if let lowest = levels.min() {
            let highest = levels.max() ?? lowest
            let step = levels.count > 1 && highest > lowest ? (highest - lowest) / Double(levels.count - 1) : 1
            return lowest - 1.5 * step
        }
        let sensor = station.sensor("water_level")
        let lo = sensor?.min ?? 0, hi = sensor?.max ?? 10
        return lo + (hi - lo) * 0.25
    }

    /// A reservoir at its pre-flood level, else 60 % of the way from dead to normal level.
    static func reservoirLevel(_ station: SimulatedStation) -> Double {
        let n = station.numbers
        if let preFlood = n["pre_flood_level"] { return preFlood }
        if let dead = n["dead_water_level"], let normal = n["normal_water_level"], normal > dead { return dead + 0.6 * (normal - dead) }
        let sensor = station.sensor("water_level")
        let lo = sensor?.min ?? 0, hi = sensor?.max ?? 10
        return lo + (hi - lo) * 0.5
    }

    /// Dry-season inflow: 20 l/s per km² of catchment, else 1 % of the sensor's range.
    static func baseInflow(_ station: SimulatedStation) -> Double {
        if let catchment = station.numbers["catchment_km2"], catchment > 0 { return catchment * 0.02 }
        return (station.sensor("inflow")?.max ?? 1000) * 0.01
    }

    static func freeFlow(_ station: SimulatedStation) -> Double {
        station.numbers["free_flow_kmh"].flatMap { $0 > 0 ? $0 : nil } ?? 60
    }

    static func relativeNoise(_ metric: String) -> Double {
        switch metric {
        case "water_level", "temperature", "humidity": 0
        case "inflow", "outflow": 0.01
        case "speed": 0.02
        default: 0.06
        }
    }

    static func absoluteNoise(_ metric: String) -> Double {
        switch metric {
        case "water_level": 0.004
        case "temperature": 0.2
        case "humidity", "occupancy": 1
        default: 0
        }
    }

    /// FNV-1a of the UTF-8 bytes: a station's own stream of showers, the same in every run.
    static func stableHash(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0100_0000_01B3 }
        return hash
    }
}
