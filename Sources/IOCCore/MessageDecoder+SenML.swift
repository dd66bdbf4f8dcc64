import Foundation

extension MessageDecoder {
    /// Resolves a SenML pack (RFC 8428 §4.6) record by record: base fields apply to the records
    /// after them until another record replaces them; the resolved name `bn + n` splits at its first
    /// `/` into station and metric; `bt + t` below 2^28 is relative to the time of receipt.
    func decodeSenML(_ payload: Data, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        let document: Any
        switch JSONPayload.parse(payload) {
        case .success(let parsed): document = parsed
        case .failure(let rejection):
            message.rejections.append(rejection)
            return
        }
        let records: [Any]
        if let array = document as? [Any] {
            records = array
        } else if document is [String: Any] {
            records = [document] // a lone record, not wrapped in a pack
        } else {
            message.rejections.append(Rejection(.malformedJSON, "a SenML pack is a JSON array of records, not \(JSONScalar(document).described)"))
            return
        }
        guard records.count <= limits.maxRecords else {
            message.rejections.append(Rejection(.packTooLarge, "pack has \(records.count) records, more than the \(limits.maxRecords) allowed; split it"))
            return
        }

        var pack = SenMLPackState()
        message.readings.reserveCapacity(records.count)
        for (index, element) in records.enumerated() {
            switch pack.resolve(element, index: index, count: records.count, validator: &validator) {
            case .reading(let reading):
                message.readings.append(reading)
            case .rejected(let rejection):
                message.rejections.append(rejection)
            case .baseOnly:
                break
            case .fatal(let rejection):
                message.readings = []
                message.rejections = [rejection]
                return
            }
        }
    }
}

/// RFC 8428 §4.4: a pack whose `bver` is above this uses fields this decoder may not understand.
let supportedSenMLVersion = 10.0

/// RFC 8428 §4.5.3: resolved times below 2^28 seconds are relative to the time of receipt.
let senMLRelativeTimeLimit = 268_435_456.0

/// The base fields in force while walking a pack.
struct SenMLPackState {
    enum Resolved {
        case reading(Reading)
        case rejected(Rejection)
        /// A record that only sets base fields.
        case baseOnly
        /// A problem that spoils the whole pack.
        case fatal(Rejection)
    }

    private var baseName = ""
    /// When the base name contains `/`: the station before it and the start of the metric after it.
    private var baseStation: String?
    private var baseMetricPrefix = ""
    private var baseTime = 0.0
    private var baseUnit: String?
    private var baseValue = 0.0
    private var baseSum = 0.0

    mutating func resolve(_ element: Any, index: Int, count: Int, validator: inout ReadingValidator) -> Resolved {
        // Built only when a reason needs it: this runs for every record of every pack.
        var position: String { "record \(index + 1) of \(count)" }
        guard let fields = element as? [String: Any] else {
            return .rejected(Rejection(.malformedJSON, "\(position): a record is a JSON object, not \(JSONScalar(element).described)"))
        }

        var name: String?
        var unit: String?
        var value: Double?
        var sum: Double?
        var time: Double?
        var otherValue: String?
        /// v, vs, vb, vd: a record has at most one of them; s (sum) may come with any.
        var valueFields = 0
        var sumField = false
        var setsBase = false
        var problem: (kind: RejectionKind, reason: String)?
        func note(_ kind: RejectionKind, _ reason: String) {
            if problem == nil { problem = (kind, reason) }
        }

        for (key, raw) in fields {
            switch key {
            case "n":
                if let text = raw as? String { name = text } else { note(.malformedValue, "n must be a string, not \(JSONScalar(raw).described)") }
            case "v", "s":
                switch JSONScalar(raw) {
                case .number(let number):
                    if key == "v" { value = number; valueFields += 1 } else { sum = number }
                case .null:
                    break
                case let other:
                    if key == "v" { valueFields += 1 } else { sumField = true }
                    if let spelled = other.nonFiniteSpelling {
                        note(.nonFinite, "value \(spelled)")
                    } else if case .string = other {
                        note(.nonNumeric, "\(key) must be a number, not \(other.described)")
                    } else {
                        note(other.isBool ? .nonNumeric : .malformedValue, "\(key) must be a number, not \(other.described)")
                    }
                }
            case "t":
                switch JSONScalar(raw) {
                case .number(let number): time = number
                case .null: break
                case let other: note(.badTimestamp, "t must be a number of seconds, not \(other.described)")
                }
            case "u":
                switch JSONScalar(raw) {
                case .string(let text): unit = text
                case .null: break
                case let other: note(.malformedValue, "u must be a string, not \(other.described)")
                }
            case "vs":
                valueFields += 1
                otherValue = "string value (vs)"
            case "vb":
                valueFields += 1
                otherValue = "boolean value (vb)"
            case "vd":
                valueFields += 1
                otherValue = "data value (vd)"
            case "bn", "bt", "bu", "bv", "bs", "bver":
                setsBase = true
                if let fatal = applyBase(key, raw, position: position) { return .fatal(fatal) }
            default:
                // RFC 8428 §4.4: fields ending in "_" must be understood or the pack rejected.
                if key.hasSuffix("_") {
                    return .fatal(Rejection(.unsupportedVersion, "\(position): field \(quoted(key, limit: 20)) must be understood and this server does not support it"))
                }
            }
        }

        if name == nil, valueFields == 0, sum == nil, !sumField, problem == nil, setsBase { return .baseOnly }

        // The resolved name, split at its first "/" into station and metric.
        let station: String
        let metric: String
        if let base = baseStation {
            station = base
            metric = baseMetricPrefix.isEmpty ? (name ?? "") : baseMetricPrefix + (name ?? "")
        } else {
            let full = baseName + (name ?? "")
            guard let slash = full.utf8.firstIndex(of: UInt8(ascii: "/")) else {
                if let problem { return .rejected(Rejection(problem.kind, "\(position): \(problem.reason)")) }
                return .rejected(Rejection(.unknownStation, "\(position) (\(full)): name \(quoted(full)) has no '/' between station and metric; use bn \"STATION/\" and n \"metric\""))
            }
            station = String(full[..<slash])
            metric = String(full[full.utf8.index(after: slash)...])
        }
        func reject(_ kind: RejectionKind, _ reason: String) -> Resolved {
            .rejected(Rejection(kind, "\(position) (\(station)/\(metric)): \(reason)"))
        }
        if let problem { return reject(problem.kind, problem.reason) }
        if station.isEmpty { return reject(.unknownStation, "the name has no station before '/'") }
        if metric.isEmpty { return reject(.unknownMetric, "the name has no metric after '/'") }

        let resolvedValue: Double
        if valueFields > 1 {
            return reject(.malformedValue, "a record carries one of v, vs, vb or vd, not several")
        } else if let value {
            resolvedValue = baseValue + value
        } else if let sum {
            resolvedValue = baseSum + sum
        } else if let otherValue {
            return reject(.nonNumeric, "\(otherValue) is not stored in numeric series")
        } else {
            return reject(.missingValue, "no value (v or s)")
        }

        let outcome = validator.check(station: station, metric: metric, value: resolvedValue, unit: unit ?? baseUnit, time: readingTime(baseTime + (time ?? 0), receivedAt: validator.receivedAt))
        switch outcome {
        case .accepted(let reading): return .reading(reading)
        case .rejected(let kind, let reason): return reject(kind, reason)
        }
    }

    /// Sets one base field; returns the rejection of the whole pack if its value is unusable.
    private mutating func applyBase(_ key: String, _ raw: Any, position: @autoclosure () -> String) -> Rejection? {
        func bad(_ expected: String) -> Rejection {
            Rejection(.malformedJSON, "\(position()): base field \(key) must be \(expected), not \(JSONScalar(raw).described)")
        }
        switch key {
        case "bn":
            guard let text = raw as? String else { return bad("a string") }
            setBaseName(text)
        case "bu":
            guard let text = raw as? String else { return bad("a string") }
            baseUnit = text
        case "bver":
            guard case .number(let version) = JSONScalar(raw), version >= 1, version == version.rounded() else {
                return Rejection(.unsupportedVersion, "\(position()): bver must be a positive integer, not \(JSONScalar(raw).described)")
            }
            if version > supportedSenMLVersion {
                return Rejection(.unsupportedVersion, "\(position()): SenML version \(formatNumber(version)) is newer than \(formatNumber(supportedSenMLVersion)), the newest this server reads")
            }
        default:
            guard case .number(let number) = JSONScalar(raw) else { return bad(key == "bt" ? "a number of seconds" : "a number") }
            switch key {
            case "bt": baseTime = number
            case "bv": baseValue = number
            default: baseSum = number
            }
        }
        return nil
    }

    private mutating func setBaseName(_ name: String) {
        baseName = name
        if let slash = name.utf8.firstIndex(of: UInt8(ascii: "/")) {
            baseStation = String(name[..<slash])
            baseMetricPrefix = String(name[name.utf8.index(after: slash)...])
        } else {
            baseStation = nil
            baseMetricPrefix = ""
        }
    }

    /// The time of a resolved `bt + t`: seconds since the epoch, or relative to receipt below 2^28.
    private func readingTime(_ seconds: Double, receivedAt: Timestamp) -> ReadingTime {
        let micros: Double
        if seconds >= senMLRelativeTimeLimit {
            micros = (seconds * 1_000_000).rounded()
        } else if seconds > -senMLRelativeTimeLimit * 1000 {
            micros = Double(receivedAt.microseconds) + (seconds * 1_000_000).rounded()
        } else {
            return .invalid("time \(formatNumber(seconds)) s is not a usable SenML time")
        }
        guard micros.isFinite, micros >= Double(Timestamp.representable.lowerBound), micros <= Double(Timestamp.representable.upperBound) else {
            return .invalid("time \(formatNumber(seconds)) s is outside the years 0001–9999")
        }
        if seconds < senMLRelativeTimeLimit {
            // Stay in integers so that receipt time plus an offset does not lose microseconds.
            return .at(Timestamp(microseconds: receivedAt.microseconds.saturatingAdd(Int64((seconds * 1_000_000).rounded()))))
        }
        return .at(Timestamp(microseconds: Int64(micros)))
    }
}

extension JSONScalar {
    var isBool: Bool {
        if case .bool = self { return true }
        return false
    }
}
