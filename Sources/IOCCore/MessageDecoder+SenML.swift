import Foundation

extension MessageDecoder {
    /// Resolves a SenML pack (RFC 8428 §4.6) record by record: base fields apply to the records
    /// after them until another record replaces them; the resolved name `bn + n` splits at its first
    /// `/` into station and metric; `bt + t` below 2^28 is relative to the time of receipt.
    func decodeSenML(_ payload: Data, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        guard let records = SenMLRecord.decodePack(payload) else {
            message.rejections.append(JSONPayload.diagnose(payload, expected: "a SenML pack (a JSON array of records)"))
            return
        }
        guard records.count <= limits.maxRecords else {
            message.rejections.append(Rejection(.packTooLarge, "pack has \(records.count) records, more than the \(limits.maxRecords) allowed; split it"))
            return
        }

        var pack = SenMLPackState()
        message.readings.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            switch pack.resolve(record, index: index, count: records.count, validator: &validator) {
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

    mutating func resolve(_ record: SenMLRecord, index: Int, count: Int, validator: inout ReadingValidator) -> Resolved {
        // Built only when a reason needs it: this runs for every record of every pack.
        var position: String { "record \(index + 1) of \(count)" }
        if let what = record.notAnObject {
            return .rejected(Rejection(.malformedJSON, "\(position): a record is a JSON object, not \(what)"))
        }
        if let fatal = record.fatal {
            return .fatal(Rejection(fatal.kind, "\(position): \(fatal.reason)"))
        }
        if let version = record.bver {
            guard version >= 1, version == version.rounded() else {
                return .fatal(Rejection(.unsupportedVersion, "\(position): bver must be a positive integer, not the number \(formatNumber(version))"))
            }
            if version > supportedSenMLVersion {
                return .fatal(Rejection(.unsupportedVersion, "\(position): SenML version \(formatNumber(version)) is newer than \(formatNumber(supportedSenMLVersion)), the newest this server reads"))
            }
        }
        if let bn = record.bn { setBaseName(bn) }
        if let bt = record.bt { baseTime = bt }
        if let bu = record.bu { baseUnit = bu }
        if let bv = record.bv { baseValue = bv }
        if let bs = record.bs { baseSum = bs }

        let name = record.n
        let problem = record.problem
        // v, vs, vb, vd: a record has at most one of them; s (sum) may come with any.
        let valueFields = (record.v == nil ? 0 : 1) + (record.vs == nil ? 0 : 1) + (record.vb == nil ? 0 : 1) + (record.vd == nil ? 0 : 1)
        if name == nil, valueFields == 0, record.s == nil, problem == nil, record.setsBase { return .baseOnly }

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
        } else if let value = record.v {
            resolvedValue = baseValue + value
        } else if let sum = record.s {
            resolvedValue = baseSum + sum
        } else if let otherValue = record.otherValueName {
            return reject(.nonNumeric, "\(otherValue) is not stored in numeric series")
        } else {
            return reject(.missingValue, "no value (v or s)")
        }

        let outcome = validator.check(station: station, metric: metric, value: resolvedValue, unit: record.u ?? baseUnit, time: readingTime(baseTime + (record.t ?? 0), receivedAt: validator.receivedAt))
        switch outcome {
        case .accepted(let reading): return .reading(reading)
        case .rejected(let kind, let reason): return reject(kind, reason)
        }
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
        let absolute = seconds >= senMLRelativeTimeLimit
        let offset = (seconds * 1_000_000).rounded()
        let micros = absolute ? offset : Double(receivedAt.microseconds) + offset
        // The offset bound (10,000 years) keeps Int64(offset) from trapping for any receipt time.
        guard micros >= Double(Timestamp.representable.lowerBound), micros <= Double(Timestamp.representable.upperBound),
              abs(offset) < 3.2e17 || absolute
        else {
            return .invalid("time \(formatNumber(seconds)) s\(absolute ? "" : " after receipt") is outside the years 0001–9999")
        }
        // Relative times stay in integers so that receipt time plus an offset keeps its microseconds.
        return .at(Timestamp(microseconds: absolute ? Int64(offset) : receivedAt.microseconds.saturatingAdd(Int64(offset))))
    }
}

/// One SenML record as sent. The strict decoding fills it straight from well-typed JSON; when
/// that fails, `LenientSenMLRecord` reads it field by field and notes what is wrong.
struct SenMLRecord: Decodable {
    var bn: String?
    var bt: Double?
    var bu: String?
    var bv: Double?
    var bs: Double?
    var bver: Double?
    var n: String?
    var u: String?
    var v: Double?
    var s: Double?
    var t: Double?
    var vs: String?
    var vb: Bool?
    var vd: String?
    /// What makes this record unusable (the first thing found).
    var problem: (kind: RejectionKind, reason: String)?
    /// What makes the whole pack unusable: a base field of the wrong type, a must-understand field.
    var fatal: (kind: RejectionKind, reason: String)?
    /// Set when the record is not a JSON object: what it is instead.
    var notAnObject: String?

    enum CodingKeys: String, CodingKey {
        case bn, bt, bu, bv, bs, bver, n, u, v, s, t, vs, vb, vd
    }

    init() {}

    var setsBase: Bool { bn != nil || bt != nil || bu != nil || bv != nil || bs != nil || bver != nil }

    var otherValueName: String? {
        if vs != nil { return "string value (vs)" }
        if vb != nil { return "boolean value (vb)" }
        if vd != nil { return "data value (vd)" }
        return nil
    }

    /// The records of a pack (or of a lone record object), or nil if the payload is not one.
    static func decodePack(_ data: Data) -> [SenMLRecord]? {
        let first = JSONPayload.firstSignificantByte(data)
        guard first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { return nil }
        let lone = first == UInt8(ascii: "{")
        let decoder = JSONPayload.decoder
        switch SenMLKeyScan(data) {
        case .commonKeysOnly:
            if lone, let record = try? decoder.decode(CommonSenMLRecord.self, from: data) { return [record.record] }
            if !lone, let records = try? decoder.decode([CommonSenMLRecord].self, from: data) { return records.map(\.record) }
        case .anyKeys:
            if lone, let record = try? decoder.decode(SenMLRecord.self, from: data) { return [record] }
            if !lone, let records = try? decoder.decode([SenMLRecord].self, from: data) { return records }
        case .mustUnderstandKey:
            break
        }
        if lone, let record = try? decoder.decode(LenientSenMLRecord.self, from: data) { return [record.record] }
        if !lone, let records = try? decoder.decode([LenientSenMLRecord].self, from: data) { return records.map(\.record) }
        return nil
    }
}

/// The fields most packs use, and nothing else. Decoding looks up every field of the type in
/// every record, so leaving out the seven rare ones makes the common case markedly faster.
struct CommonSenMLRecord: Decodable {
    var bn: String?
    var bt: Double?
    var bu: String?
    var n: String?
    var u: String?
    var v: Double?
    var t: Double?

    var record: SenMLRecord {
        var record = SenMLRecord()
        record.bn = bn
        record.bt = bt
        record.bu = bu
        record.n = n
        record.u = u
        record.v = v
        record.t = t
        return record
    }
}

/// What a quick pass over the bytes says about the keys a pack may use.
enum SenMLKeyScan {
    /// None of bv, bs, bver, s, vs, vb, vd, no key ending in "_", no escapes.
    case commonKeysOnly
    case anyKeys
    /// RFC 8428 §4.4: a key ending in "_" must be understood, or the pack rejected.
    case mustUnderstandKey

    /// Errs only towards the slower paths: a rare key's quoted name always appears in the bytes
    /// unless written with escapes, and `_"` followed by `:` in valid JSON ends a key.
    init(_ data: Data) {
        let quote = UInt8(ascii: "\"")
        self = data.withUnsafeBytes { bytes in
            let count = bytes.count
            var common = true
            var i = 0
            while i < count {
                switch bytes[i] {
                case UInt8(ascii: "\\"):
                    common = false
                case UInt8(ascii: "_") where i + 1 < count && bytes[i + 1] == quote:
                    var j = i + 2
                    while j < count, bytes[j] == 0x20 || bytes[j] == 0x09 || bytes[j] == 0x0A || bytes[j] == 0x0D { j += 1 }
                    if j < count, bytes[j] == UInt8(ascii: ":") { return .mustUnderstandKey }
                case quote where common && i + 3 < count:
                    let (a, b, c) = (bytes[i + 1], bytes[i + 2], bytes[i + 3])
                    if a == UInt8(ascii: "s"), b == quote {
                        common = false // "s"
                    } else if a == UInt8(ascii: "v"), b == UInt8(ascii: "s") || b == UInt8(ascii: "b") || b == UInt8(ascii: "d"), c == quote {
                        common = false // "vs", "vb", "vd"
                    } else if a == UInt8(ascii: "b"), b == UInt8(ascii: "v") || (b == UInt8(ascii: "s") && c == quote) {
                        common = false // "bv", "bver", "bs"
                    }
                default:
                    break
                }
                i += 1
            }
            return common ? .commonKeysOnly : .anyKeys
        }
    }
}

/// A SenML record read field by field, so that one badly typed field rejects its record (or, for
/// base fields, the pack) with a reason instead of making the whole payload unreadable.
struct LenientSenMLRecord: Decodable {
    var record = SenMLRecord()

    init(from decoder: any Decoder) {
        guard let fields = try? decoder.container(keyedBy: AnyCodingKey.self) else {
            record.notAnObject = JSONScalar(from: decoder).described
            return
        }
        // In key order, so that the first problem noted does not depend on hashing.
        for key in fields.allKeys.sorted(by: { $0.stringValue < $1.stringValue }) {
            take(key.stringValue, (try? fields.decode(JSONScalar.self, forKey: key)) ?? .null)
        }
    }

    private mutating func take(_ key: String, _ value: JSONScalar) {
        func problem(_ kind: RejectionKind, _ reason: String) {
            if record.problem == nil { record.problem = (kind, reason) }
        }
        func fatal(_ kind: RejectionKind, _ reason: String) {
            if record.fatal == nil { record.fatal = (kind, reason) }
        }
        switch (key, value) {
        case (_, .null):
            break
        case ("n", .string(let text)): record.n = text
        case ("n", _): problem(.malformedValue, "n must be a string, not \(value.described)")
        case ("u", .string(let text)): record.u = text
        case ("u", _): problem(.malformedValue, "u must be a string, not \(value.described)")
        case ("v", .number(let number)): record.v = number
        case ("s", .number(let number)): record.s = number
        case ("v", .unrepresentableNumber), ("s", .unrepresentableNumber):
            problem(.malformedValue, "\(key) is \(value.described)")
        case ("v", _), ("s", _):
            if let spelled = value.nonFiniteSpelling {
                problem(.nonFinite, "value \(spelled)")
            } else if case .string = value {
                problem(.nonNumeric, "\(key) must be a number, not \(value.described)")
            } else {
                problem(value.isBool ? .nonNumeric : .malformedValue, "\(key) must be a number, not \(value.described)")
            }
        case ("t", .number(let number)): record.t = number
        case ("t", _): problem(.badTimestamp, "t must be a number of seconds, not \(value.described)")
        case ("vs", _): record.vs = ""
        case ("vb", _): record.vb = false
        case ("vd", _): record.vd = ""
        case ("bn", .string(let text)): record.bn = text
        case ("bu", .string(let text)): record.bu = text
        case ("bn", _), ("bu", _): fatal(.malformedJSON, "base field \(key) must be a string, not \(value.described)")
        case ("bt", .number(let number)): record.bt = number
        case ("bv", .number(let number)): record.bv = number
        case ("bs", .number(let number)): record.bs = number
        case ("bt", _): fatal(.malformedJSON, "base field bt must be a number of seconds, not \(value.described)")
        case ("bv", _), ("bs", _): fatal(.malformedJSON, "base field \(key) must be a number, not \(value.described)")
        case ("bver", .number(let number)): record.bver = number
        case ("bver", _): fatal(.unsupportedVersion, "bver must be a positive integer, not \(value.described)")
        default:
            if key.hasSuffix("_") {
                fatal(.unsupportedVersion, "field \(quoted(key, limit: 20)) must be understood and this server does not support it")
            }
        }
    }
}
