import Foundation

/// The resolution of a history request: raw readings, or buckets of one minute, hour or day.
public enum HistoryStep: String, Sendable, CaseIterable {
    case raw
    case minute = "1m"
    case hour = "1h"
    case day = "1d"

    /// The bucket length in microseconds; nil for raw readings.
    public var microseconds: Int64? {
        switch self {
        case .raw: nil
        case .minute: 60_000_000
        case .hour: 3_600_000_000
        case .day: 86_400_000_000
        }
    }
}

/// What a history request asks for, checked against the limits, with the step chosen when the
/// request says `auto` and the bucket-aligned bounds the queries use.
///
/// Buckets are aligned to UTC (minutes, hours, days). The first bucket is the one that contains
/// `from`; the last is the one that starts before `to`; each bucket is aggregated whole.
public struct HistoryPlan: Sendable, Equatable {
    public static let maxSensors = 50
    public static let maxRangeDays = 400
    public static let maxRawRangeDays = 2
    /// `auto` picks the finest step that keeps a sensor's series at or under this many buckets.
    public static let autoPointTarget: Int64 = 2_000
    /// An explicit step may give at most this many buckets per sensor (1m over 13 days, say).
    public static let maxBucketsPerSensor: Int64 = 20_000

    public var sensorIDs: [Int32]
    public var from: Timestamp
    public var to: Timestamp
    public var step: HistoryStep
    /// Whether the step was chosen by `auto`.
    public var automatic: Bool

    /// The start of the first bucket (`from` itself for raw readings).
    public var lowerBound: Timestamp {
        guard let length = step.microseconds else { return from }
        return Timestamp(microseconds: from.microseconds.floorDividedBy(length).quotient * length)
    }

    /// The end of the last bucket (`to` itself for raw readings).
    public var upperBound: Timestamp {
        guard let length = step.microseconds else { return to }
        let (q, r) = to.microseconds.floorDividedBy(length)
        return Timestamp(microseconds: (r == 0 ? q : q + 1) * length)
    }

    /// The finest rollup step whose bucket count over `range` microseconds stays within the target.
    public static func automaticStep(rangeMicroseconds range: Int64) -> HistoryStep {
        for step in [HistoryStep.minute, .hour] where (range + step.microseconds! - 1) / step.microseconds! <= autoPointTarget {
            return step
        }
        return .day
    }

    /// Parses and checks the query parameters of `/api/v1/history`.
    /// - Parameters: each is the raw query value, nil when absent.
    public static func parse(sensors: String?, from: String?, to: String?, step: String?) -> Result<HistoryPlan, HistoryPlanError> {
        guard let sensors, !sensors.isEmpty else {
            return .failure(.init(field: "sensor", message: "sensor is required: one sensor id or several separated by commas, e.g. sensor=12,13"))
        }
        var ids: [Int32] = []
        for part in sensors.split(separator: ",", omittingEmptySubsequences: false) {
            let text = part.trimmingCharacters(in: .whitespaces)
            guard let id = Int32(text), id > 0 else {
                return .failure(.init(field: "sensor", message: "sensor ids are positive integers separated by commas; '\(text)' is not one"))
            }
            if !ids.contains(id) { ids.append(id) }
        }
        guard ids.count <= maxSensors else {
            return .failure(.init(field: "sensor", message: "at most \(maxSensors) sensors per request, this one names \(ids.count); split it into several requests"))
        }
        guard let fromText = from else {
            return .failure(.init(field: "from", message: "from is required: an RFC 3339 time such as 2026-11-27T00:00:00+07:00"))
        }
        guard let start = Timestamp(rfc3339: fromText) else {
            return .failure(.init(field: "from", message: "from must be an RFC 3339 time such as 2026-11-27T00:00:00+07:00, not '\(fromText)'"))
        }
        guard let toText = to else {
            return .failure(.init(field: "to", message: "to is required: an RFC 3339 time such as 2026-11-28T00:00:00+07:00"))
        }
        guard let end = Timestamp(rfc3339: toText) else {
            return .failure(.init(field: "to", message: "to must be an RFC 3339 time such as 2026-11-28T00:00:00+07:00, not '\(toText)'"))
        }
        guard start < end else {
            return .failure(.init(field: "to", message: "to (\(end.rfc3339)) must be later than from (\(start.rfc3339))"))
        }
        let range = end.microseconds - start.microseconds
        let day: Int64 = 86_400_000_000
        guard range <= Int64(maxRangeDays) * day else {
            return .failure(.init(field: "to", message: "the range is at most \(maxRangeDays) days; this one is \(range / day) days: narrow from/to"))
        }
        let stepText = step ?? "auto"
        let chosen: HistoryStep
        let automatic = stepText == "auto"
        if automatic {
            chosen = automaticStep(rangeMicroseconds: range)
        } else if let explicit = HistoryStep(rawValue: stepText) {
            chosen = explicit
        } else {
            return .failure(.init(field: "step", message: "step is one of raw, 1m, 1h, 1d or auto, not '\(stepText)'"))
        }
        if chosen == .raw, range > Int64(maxRawRangeDays) * day {
            return .failure(.init(field: "step", message: "raw readings are served for at most \(maxRawRangeDays) days; use step=1m, 1h, 1d or auto for this range, or narrow from/to"))
        }
        let plan = HistoryPlan(sensorIDs: ids, from: start, to: end, step: chosen, automatic: automatic)
        if let length = chosen.microseconds {
            let buckets = (plan.upperBound.microseconds - plan.lowerBound.microseconds) / length
            if buckets > maxBucketsPerSensor {
                return .failure(.init(field: "step", message: "step=\(chosen.rawValue) gives \(buckets) buckets per sensor over this range, more than \(maxBucketsPerSensor); use a coarser step or auto, or narrow from/to"))
            }
        }
        return .success(plan)
    }
}

/// Why a history request was refused: the query parameter and what to change.
public struct HistoryPlanError: Error, Sendable, Equatable {
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
