import Foundation

extension MessageDecoder {
    /// `{"station":"PY-A","ts":1717000000000,"values":{"water_level":2.31},"units":{"water_level":"m"}}`
    /// or an array of such objects. Values of one object are taken in metric-name order.
    func decodeCompactJSON(_ payload: Data, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        guard let (objects, single) = CompactObject.decode(payload) else {
            message.rejections.append(JSONPayload.diagnose(payload, expected: "an object {\"station\":…,\"ts\":…,\"values\":{…}} or an array of them"))
            return
        }
        var valueCount = 0
        for object in objects {
            if case .entries(let values)? = object.values { valueCount += values.count } else { valueCount += 1 }
        }
        guard valueCount <= limits.maxRecords else {
            message.rejections.append(Rejection(.packTooLarge, "message has \(valueCount) values, more than the \(limits.maxRecords) allowed; split it"))
            return
        }

        message.readings.reserveCapacity(valueCount)
        for (index, object) in objects.enumerated() {
            decodeCompactObject(object, position: single ? nil : "object \(index + 1) of \(objects.count)", into: &message, validator: &validator)
        }
    }

    private func decodeCompactObject(_ object: CompactFields, position: String?, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        func label(_ name: String?) -> String {
            switch (position, name) {
            case let (position?, name?): return "\(position) (\(name)): "
            case let (position?, nil): return "\(position): "
            case let (nil, name?): return "\(name): "
            case (nil, nil): return ""
            }
        }
        if let what = object.notAnObject {
            message.rejections.append(Rejection(.malformedJSON, "\(label(nil))expected an object, not \(what)"))
            return
        }
        guard case .string(let station)? = object.station else {
            let found = object.station.map { "not \($0.described)" } ?? "missing"
            message.rejections.append(Rejection(.malformedJSON, "\(label(nil))\"station\" must be the station code, \(found)"))
            return
        }
        let values: [String: JSONScalar]
        switch object.values {
        case .entries(let entries)?:
            values = entries
        case .other(let other)?:
            message.rejections.append(Rejection(.malformedJSON, "\(label(station))\"values\" must be an object of metric: number, not \(other.described)"))
            return
        case nil:
            message.rejections.append(Rejection(.malformedJSON, "\(label(station))\"values\" must be an object of metric: number, missing"))
            return
        }
        if values.isEmpty {
            message.rejections.append(Rejection(.missingValue, "\(label(station))\"values\" is empty"))
            return
        }
        var units: [String: JSONScalar] = [:]
        switch object.units {
        case .entries(let entries)?: units = entries
        case .other(.null)?, nil: break
        case .other(let other)?:
            message.rejections.append(Rejection(.malformedJSON, "\(label(station))\"units\" must be an object of metric: unit, not \(other.described)"))
            return
        }

        let (time, looksLikeSeconds) = compactTime(object.ts, receivedAt: validator.receivedAt)
        for (metric, raw) in values.sorted(by: { $0.key < $1.key }) {
            func reject(_ kind: RejectionKind, _ reason: String) {
                message.rejections.append(Rejection(kind, "\(label("\(station)/\(metric)"))\(reason)"))
            }
            let value: Double
            switch raw {
            case .number(let number):
                value = number
            case .null:
                reject(.missingValue, "value is null")
                continue
            case .unrepresentableNumber:
                reject(.malformedValue, "value is \(raw.described)")
                continue
            default:
                if let spelled = raw.nonFiniteSpelling {
                    reject(.nonFinite, "value \(spelled)")
                } else {
                    reject(.nonNumeric, "value must be a number, not \(raw.described)")
                }
                continue
            }
            var unit: String?
            switch units[metric] {
            case .string(let text)?: unit = text
            case .null?, nil: break
            case let other?:
                reject(.malformedValue, "unit must be a string, not \(other.described)")
                continue
            }
            switch validator.check(station: station, metric: metric, value: value, unit: unit, time: time) {
            case .accepted(let reading):
                message.readings.append(reading)
            case .rejected(let kind, var reason):
                if kind == .tooOld, looksLikeSeconds { reason += "; ts is epoch milliseconds and this looks like seconds" }
                reject(kind, reason)
            }
        }
    }

    /// `ts` as epoch milliseconds (a number) or RFC 3339 (a string); absent or null means now.
    private func compactTime(_ raw: JSONScalar?, receivedAt: Timestamp) -> (ReadingTime, looksLikeSeconds: Bool) {
        switch raw {
        case nil, .null?:
            return (.at(receivedAt), false)
        case .number(let milliseconds)?:
            let micros = (milliseconds * 1000).rounded()
            guard micros >= Double(Timestamp.representable.lowerBound), micros <= Double(Timestamp.representable.upperBound) else {
                return (.invalid("ts \(formatNumber(milliseconds)) ms is outside the years 0001–9999"), false)
            }
            // Epoch seconds of any date since 1973 are below 1e11, which as milliseconds is 1973-03.
            return (.at(Timestamp(microseconds: Int64(micros))), abs(milliseconds) < 1e11)
        case .string(let text)?:
            switch Timestamp.parseRFC3339(text) {
            case .success(let time): return (.at(time), false)
            case .failure(let error): return (.invalid("ts \(quoted(text, limit: 40)): \(error.message)"), false)
            }
        case let other?:
            return (.invalid("ts must be epoch milliseconds or an RFC 3339 string, not \(other.described)"), false)
        }
    }
}

/// The fields of one compact JSON object, however they were decoded.
struct CompactFields {
    enum Map {
        case entries([String: JSONScalar])
        /// Not an object: what it is instead.
        case other(JSONScalar)
    }

    /// Set when the element is not a JSON object: what it is instead.
    var notAnObject: String?
    var station: JSONScalar?
    var ts: JSONScalar?
    var values: Map?
    var units: Map?
}

/// One compact JSON object with the types it should have; the fast path.
struct CompactObject: Decodable {
    enum Time: Decodable {
        case milliseconds(Double)
        case text(String)

        init(from decoder: any Decoder) throws {
            let value = try decoder.singleValueContainer()
            if let milliseconds = try? value.decode(Double.self) {
                self = .milliseconds(milliseconds)
            } else {
                self = .text(try value.decode(String.self))
            }
        }
    }

    var station: String?
    var ts: Time?
    var values: [String: Double?]?
    var units: [String: String]?

    var fields: CompactFields {
        var fields = CompactFields()
        fields.station = station.map(JSONScalar.string)
        switch ts {
        case .milliseconds(let milliseconds)?: fields.ts = .number(milliseconds)
        case .text(let text)?: fields.ts = .string(text)
        case nil: break
        }
        fields.values = values.map { .entries($0.mapValues { $0.map(JSONScalar.number) ?? .null }) }
        fields.units = units.map { .entries($0.mapValues(JSONScalar.string)) }
        return fields
    }

    /// The objects of a payload and whether it was a lone object, or nil if it is neither.
    static func decode(_ data: Data) -> (objects: [CompactFields], single: Bool)? {
        let first = JSONPayload.firstSignificantByte(data)
        guard first == UInt8(ascii: "[") || first == UInt8(ascii: "{") else { return nil }
        let single = first == UInt8(ascii: "{")
        let decoder = JSONPayload.decoder
        if single {
            if let object = try? decoder.decode(CompactObject.self, from: data) { return ([object.fields], true) }
            if let object = try? decoder.decode(LenientCompactObject.self, from: data) { return ([object.fields], true) }
        } else {
            if let objects = try? decoder.decode([CompactObject].self, from: data) { return (objects.map(\.fields), false) }
            if let objects = try? decoder.decode([LenientCompactObject].self, from: data) { return (objects.map(\.fields), false) }
        }
        return nil
    }
}

/// A compact JSON object read field by field, so that one bad value is rejected on its own.
struct LenientCompactObject: Decodable {
    var fields = CompactFields()

    init(from decoder: any Decoder) {
        guard let object = try? decoder.container(keyedBy: AnyCodingKey.self) else {
            fields.notAnObject = JSONScalar(from: decoder).described
            return
        }
        func scalar(_ key: AnyCodingKey) -> JSONScalar {
            (try? object.decode(JSONScalar.self, forKey: key)) ?? .null
        }
        func map(_ key: AnyCodingKey) -> CompactFields.Map {
            guard let nested = try? object.nestedContainer(keyedBy: AnyCodingKey.self, forKey: key) else {
                return .other(scalar(key))
            }
            var entries: [String: JSONScalar] = [:]
            for entry in nested.allKeys {
                entries[entry.stringValue] = (try? nested.decode(JSONScalar.self, forKey: entry)) ?? .null
            }
            return .entries(entries)
        }
        for key in object.allKeys {
            switch key.stringValue {
            case "station": fields.station = scalar(key)
            case "ts": fields.ts = scalar(key)
            case "values": fields.values = map(key)
            case "units": fields.units = map(key)
            default: break
            }
        }
    }
}
