import Foundation

/// Writes SenML JSON packs the way a well-behaved gateway would, for the simulator and benchmarks:
/// `[{"bn":"PY-A/","bt":1717000000,"n":"water_level","u":"m","v":2.31},{"n":"rain","t":60,"v":0.5}]`.
///
/// Times are written to the microsecond and values with Swift's shortest round-trip digits, so
/// `MessageDecoder` reads back exactly what went in. Non-finite values, which JSON cannot carry,
/// are written as the strings `"NaN"`, `"Infinity"`, `"-Infinity"` (and are rejected on ingest).
public enum SenMLEncoder {
    /// One pack for one station; `bt` is the first record's time and each `t` is relative to it.
    /// Times must be real epoch times: SenML reads anything before 1978 (2^28 s) as relative.
    public static func encode(station: String, records: [(metric: String, time: Timestamp, value: Double, unit: String?)]) -> Data {
        guard let first = records.first else { return Data("[]".utf8) }
        var json = ""
        json.reserveCapacity(48 + station.utf8.count + records.count * 48)
        json += "[{\"bn\":"
        json.appendJSONString(station + "/")
        json += ",\"bt\":"
        json.appendSeconds(microseconds: first.time.microseconds)
        for (index, record) in records.enumerated() {
            json += index == 0 ? "," : ",{"
            json += "\"n\":"
            json.appendJSONString(record.metric)
            if let unit = record.unit {
                json += ",\"u\":"
                json.appendJSONString(unit)
            }
            let offset = record.time.microseconds &- first.time.microseconds
            if offset != 0 {
                json += ",\"t\":"
                json.appendSeconds(microseconds: offset)
            }
            json += ",\"v\":"
            json.appendJSONNumber(record.value)
            json += "}"
        }
        json += "]"
        return Data(json.utf8)
    }
}

extension String {
    /// `value` as a JSON number with the shortest digits that read back to the same double.
    mutating func appendJSONNumber(_ value: Double) {
        if value.isFinite {
            append(value.description)
        } else {
            append(value.isNaN ? "\"NaN\"" : value < 0 ? "\"-Infinity\"" : "\"Infinity\"")
        }
    }

    /// Microseconds as exact decimal seconds: `1717000000`, `-5.25`, `0.000001`.
    mutating func appendSeconds(microseconds: Int64) {
        if microseconds < 0 { append("-") }
        let magnitude = microseconds.magnitude
        append(String(magnitude / 1_000_000))
        appendFraction(microseconds: Int64(magnitude % 1_000_000))
    }

    /// `text` as a JSON string literal, escaping quotes, backslashes and control characters.
    mutating func appendJSONString(_ text: String) {
        append("\"")
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            append(text)
        } else {
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": append("\\\"")
                case "\\": append("\\\\")
                case "\n": append("\\n")
                case "\r": append("\\r")
                case "\t": append("\\t")
                case _ where scalar.value < 0x20:
                    append("\\u00")
                    if scalar.value < 0x10 { append("0") }
                    append(String(scalar.value, radix: 16))
                default:
                    unicodeScalars.append(scalar)
                }
            }
        }
        append("\"")
    }
}
