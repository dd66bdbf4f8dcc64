import Foundation

extension MessageDecoder {
    /// `{"station":"PY-A","ts":1717000000000,"values":{"water_level":2.31},"units":{"water_level":"m"}}`
    /// or an array of such objects. Values of one object are taken in metric-name order.
    func decodeCompactJSON(_ payload: Data, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        let document: Any
        switch JSONPayload.parse(payload) {
        case .success(let parsed): document = parsed
        case .failure(let rejection):
            message.rejections.append(rejection)
            return
        }
        let objects: [Any]
        let single: Bool
        if let array = document as? [Any] {
            objects = array
            single = false
        } else if document is [String: Any] {
            objects = [document]
            single = true
        } else {
            message.rejections.append(Rejection(.malformedJSON, "expected an object {\"station\":…,\"ts\":…,\"values\":{…}} or an array of them, not \(JSONScalar(document).described)"))
            return
        }
        var valueCount = 0
        for object in objects {
            valueCount += ((object as? [String: Any])?["values"] as? [String: Any])?.count ?? 1
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

    private func decodeCompactObject(_ element: Any, position: String?, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        func label(_ name: String?) -> String {
            switch (position, name) {
            case let (position?, name?): return "\(position) (\(name)): "
            case let (position?, nil): return "\(position): "
            case let (nil, name?): return "\(name): "
            case (nil, nil): return ""
            }
        }
        guard let object = element as? [String: Any] else {
            message.rejections.append(Rejection(.malformedJSON, "\(label(nil))expected an object, not \(JSONScalar(element).described)"))
            return
        }
        guard let station = object["station"] as? String else {
            let found = object["station"].map { "not \(JSONScalar($0).described)" } ?? "missing"
            message.rejections.append(Rejection(.malformedJSON, "\(label(nil))\"station\" must be the station code, \(found)"))
            return
        }
        guard let values = object["values"] as? [String: Any] else {
            let found = object["values"].map { "not \(JSONScalar($0).described)" } ?? "missing"
            message.rejections.append(Rejection(.malformedJSON, "\(label(station))\"values\" must be an object of metric: number, \(found)"))
            return
        }
        if values.isEmpty {
            message.rejections.append(Rejection(.missingValue, "\(label(station))\"values\" is empty"))
            return
        }
        var units: [String: Any] = [:]
        if let rawUnits = object["units"], !(rawUnits is NSNull) {
            guard let table = rawUnits as? [String: Any] else {
                message.rejections.append(Rejection(.malformedJSON, "\(label(station))\"units\" must be an object of metric: unit, not \(JSONScalar(rawUnits).described)"))
                return
            }
            units = table
        }

        let (time, looksLikeSeconds) = compactTime(object["ts"], receivedAt: validator.receivedAt)
        for (metric, raw) in values.sorted(by: { $0.key < $1.key }) {
            func reject(_ kind: RejectionKind, _ reason: String) {
                message.rejections.append(Rejection(kind, "\(label("\(station)/\(metric)"))\(reason)"))
            }
            let value: Double
            switch JSONScalar(raw) {
            case .number(let number):
                value = number
            case .null:
                reject(.missingValue, "value is null")
                continue
            case let other:
                if let spelled = other.nonFiniteSpelling {
                    reject(.nonFinite, "value \(spelled)")
                } else {
                    reject(.nonNumeric, "value must be a number, not \(other.described)")
                }
                continue
            }
            var unit: String?
            if let rawUnit = units[metric] {
                switch JSONScalar(rawUnit) {
                case .string(let text): unit = text
                case .null: break
                case let other:
                    reject(.malformedValue, "unit must be a string, not \(other.described)")
                    continue
                }
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
    private func compactTime(_ raw: Any?, receivedAt: Timestamp) -> (ReadingTime, looksLikeSeconds: Bool) {
        guard let raw else { return (.at(receivedAt), false) }
        switch JSONScalar(raw) {
        case .null:
            return (.at(receivedAt), false)
        case .number(let milliseconds):
            let micros = (milliseconds * 1000).rounded()
            guard micros >= Double(Timestamp.representable.lowerBound), micros <= Double(Timestamp.representable.upperBound) else {
                return (.invalid("ts \(formatNumber(milliseconds)) ms is outside the years 0001–9999"), false)
            }
            // Epoch seconds of any date since 1973 are below 1e11; such milliseconds are 1973-03.
            return (.at(Timestamp(microseconds: Int64(micros))), abs(milliseconds) < 1e11)
        case .string(let text):
            switch Timestamp.parseRFC3339(text) {
            case .success(let time): return (.at(time), false)
            case .failure(let error): return (.invalid("ts \(quoted(text, limit: 40)): \(error.message)"), false)
            }
        case let other:
            return (.invalid("ts must be epoch milliseconds or an RFC 3339 string, not \(other.described)"), false)
        }
    }
}
