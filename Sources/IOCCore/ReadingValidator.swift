/// When a decoded value was measured, or why its time cannot be used.
enum ReadingTime {
    case at(Timestamp)
    case invalid(String)
}

/// Checks one decoded value against the registry and the limits, and turns it into a `Reading`.
///
/// One validator lives for one message: it remembers the last station, sensor and unit
/// conversion it looked up, because a pack almost always repeats them record after record.
struct ReadingValidator {
    enum Outcome {
        case accepted(Reading)
        /// Why the value was not stored; the reason does not repeat the station and metric,
        /// the caller puts them in front.
        case rejected(RejectionKind, String)
    }

    let gateway: String
    let stations: [String: StationInfo]
    let receivedAt: Timestamp
    let retentionDays: Int
    private let latest: Int64
    private let earliest: Int64
    /// Readings stored after a unit conversion.
    private(set) var conversions = 0

    private var cachedCode: String?
    private var cachedStation: StationInfo?
    private var cachedMetric: String?
    private var cachedSensor: SensorInfo?
    private var cachedUnit: String?
    private var cachedUnitTarget: String?
    private var cachedConversion: UnitConversion?

    init(gateway: String, registry: RegistrySnapshot, receivedAt: Timestamp, limits: IngestLimits) {
        self.gateway = gateway
        self.stations = registry.stations
        self.receivedAt = receivedAt
        self.retentionDays = limits.retentionDays
        let future = microseconds(clampingSeconds: limits.maxFutureSeconds)
        let retention = microseconds(clampingSeconds: Double(limits.retentionDays) * 86_400)
        latest = receivedAt.microseconds.saturatingAdd(future)
        earliest = receivedAt.microseconds.saturatingAdd(-retention)
    }

    /// The order of the checks decides which one reason a bad value gets: first who sent it
    /// (station, gateway, metric), then the value itself, then its time.
    mutating func check(station code: String, metric: String, value: Double, unit: String?, time: ReadingTime) -> Outcome {
        if code != cachedCode {
            cachedCode = code
            cachedStation = stations[code]
            cachedMetric = nil
            cachedSensor = nil
        }
        guard let station = cachedStation else {
            return .rejected(.unknownStation, "unknown station \(code)")
        }
        guard station.gatewayCode == gateway else {
            if let owner = station.gatewayCode {
                return .rejected(.wrongGateway, "station \(code) belongs to gateway \(owner), not \(gateway)")
            }
            return .rejected(.wrongGateway, "station \(code) is not assigned to any gateway, so \(gateway) may not report it")
        }
        if metric != cachedMetric {
            cachedMetric = metric
            cachedSensor = station.sensors[metric]
        }
        guard let sensor = cachedSensor else {
            if station.derivedMetrics.contains(metric) {
                return .rejected(.unknownMetric, "\(metric) of station \(code) is computed by IOC from the station's other readings; gateways cannot report it")
            }
            return .rejected(.unknownMetric, "station \(code) has no sensor for metric \(metric)")
        }
        guard value.isFinite else {
            return .rejected(.nonFinite, "value \(formatNumber(value))")
        }

        var stored = value
        var converted = false
        if let unit, unit != sensor.unit {
            guard let conversion = conversion(from: unit, to: sensor.unit) else {
                return .rejected(.unitMismatch, "unit \(unit), expected \(sensor.unit) (no conversion from \(unit) to \(sensor.unit))")
            }
            if !conversion.isIdentity {
                stored = conversion.apply(value)
                converted = true
                guard stored.isFinite else {
                    return .rejected(.nonFinite, "value \(formatNumber(value)) \(unit) is \(formatNumber(stored)) in \(sensor.unit)")
                }
            }
        }
        if let problem = rangeProblem(stored, sensor: sensor) {
            let shown = converted ? "\(formatNumber(value)) \(unit ?? "") = \(formatNumber(stored)) \(sensor.unit)" : "\(formatNumber(stored)) \(sensor.unit)"
            return .rejected(.outOfRange, "value \(shown) \(problem)")
        }

        let when: Timestamp
        switch time {
        case .at(let t): when = t
        case .invalid(let why): return .rejected(.badTimestamp, why)
        }
        if when.microseconds > latest {
            let ahead = Double(when.microseconds.saturatingSubtract(receivedAt.microseconds)) / 1_000_000
            return .rejected(.futureTimestamp, "timestamp \(formatDuration(seconds: ahead)) in the future (\(when.rfc3339), received \(receivedAt.rfc3339))")
        }
        if when.microseconds < earliest {
            let age = Double(receivedAt.microseconds.saturatingSubtract(when.microseconds)) / 1_000_000
            return .rejected(.tooOld, "timestamp \(when.rfc3339) is \(formatDuration(seconds: age)) old, beyond the \(retentionDays)-day retention")
        }
        if converted { conversions += 1 }
        return .accepted(Reading(sensorID: sensor.id, time: when, value: stored))
    }

    private mutating func conversion(from unit: String, to target: String) -> UnitConversion? {
        if unit == cachedUnit, target == cachedUnitTarget { return cachedConversion }
        cachedUnit = unit
        cachedUnitTarget = target
        cachedConversion = Units.conversion(from: unit, to: target)
        return cachedConversion
    }

    private func rangeProblem(_ value: Double, sensor: SensorInfo) -> String? {
        switch (sensor.validMin, sensor.validMax) {
        case let (min?, max?) where value < min || value > max:
            return "outside the valid range \(formatNumber(min))…\(formatNumber(max)) \(sensor.unit)"
        case let (min?, nil) where value < min:
            return "below the valid minimum \(formatNumber(min)) \(sensor.unit)"
        case let (nil, max?) where value > max:
            return "above the valid maximum \(formatNumber(max)) \(sensor.unit)"
        default:
            return nil
        }
    }
}

/// Seconds as whole microseconds, clamped so that configuration such as `.infinity` cannot trap.
func microseconds(clampingSeconds seconds: Double) -> Int64 {
    let micros = (seconds * 1_000_000).rounded()
    if micros.isNaN { return 0 }
    // ±9.2e18 µs is ±290,000 years: far enough, and still safe to negate.
    if micros >= 9.2e18 { return 9_200_000_000_000_000_000 }
    if micros <= -9.2e18 { return -9_200_000_000_000_000_000 }
    return Int64(micros)
}

extension Int64 {
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    func saturatingSubtract(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : difference
    }
}
