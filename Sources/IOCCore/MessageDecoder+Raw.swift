import Foundation

extension MessageDecoder {
    /// `online` or `offline`, in any letter case, with white space around it.
    func decodeStatus(_ payload: Data, into message: inout DecodedMessage) {
        let text = String(decoding: payload, as: UTF8.self).trimmingWhitespace()
        if let status = GatewayStatus(rawValue: text.lowercased()) {
            message.status = status
        } else {
            message.rejections.append(Rejection(.badStatus, "status must be online or offline, not \(quoted(text, limit: 40))"))
        }
    }

    /// One plain decimal number, measured at the time of receipt, in the sensor's unit.
    func decodeRaw(_ payload: Data, station: String, metric: String, into message: inout DecodedMessage, validator: inout ReadingValidator) {
        let name = "\(station)/\(metric)"
        let text = String(decoding: payload, as: UTF8.self).trimmingWhitespace()
        let value: Double
        switch PlainDecimal.parse(text) {
        case .number(let number):
            value = number
        case .failure(let kind, let why):
            message.rejections.append(Rejection(kind, "\(name): \(why)"))
            return
        }
        switch validator.check(station: station, metric: metric, value: value, unit: nil, time: .at(validator.receivedAt)) {
        case .accepted(let reading): message.readings.append(reading)
        case .rejected(let kind, let why): message.rejections.append(Rejection(kind, "\(name): \(why)"))
        }
    }
}

/// The number format of raw topics: an optional sign, digits with at most one `.`, an optional
/// exponent. No hex, no thousands separators, no units.
enum PlainDecimal {
    enum Parsed: Equatable {
        case number(Double)
        case failure(RejectionKind, String)
    }

    static func parse(_ text: String) -> Parsed {
        if text.isEmpty { return .failure(.missingValue, "empty payload, expected one decimal number") }
        if let name = nonFiniteName(text) { return .failure(.nonFinite, "value \(name)") }
        guard isPlainDecimal(text), let value = Double(text) else {
            var why = "\(quoted(text, limit: 40)) is not a plain decimal number"
            if text.contains(","), isPlainDecimal(text.replacingOccurrences(of: ",", with: ".")) {
                why += "; use '.' as the decimal separator"
            } else if let first = text.first, first == "{" || first == "[" {
                why += "; raw topics take one number, send JSON to the json or senml topic"
            }
            return .failure(.malformedValue, why)
        }
        if !value.isFinite { return .failure(.nonFinite, "value \(quoted(text, limit: 40)) is too large for a double") }
        return .number(value)
    }

    private static func isPlainDecimal(_ text: String) -> Bool {
        var digits = 0
        var dot = false
        var exponent = false
        var exponentDigits = 0
        var previous: UInt8 = 0
        for (i, c) in text.utf8.enumerated() {
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if exponent { exponentDigits += 1 } else { digits += 1 }
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard i == 0 || previous == UInt8(ascii: "e") || previous == UInt8(ascii: "E") else { return false }
            case UInt8(ascii: "."):
                guard !dot, !exponent else { return false }
                dot = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"):
                guard !exponent, digits > 0 else { return false }
                exponent = true
            default:
                return false
            }
            previous = c
        }
        return digits > 0 && (!exponent || exponentDigits > 0)
    }
}
