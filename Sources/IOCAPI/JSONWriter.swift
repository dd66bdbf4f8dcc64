import Hummingbird
import IOCCore

/// Writes JSON text directly, for responses of thousands of values (latest values, history,
/// GeoJSON) where `JSONEncoder` would cost more than the query. Commas are placed automatically:
/// after a key the next value follows it; after a value or a closed container the next item gets one.
struct JSONWriter {
    private(set) var text = ""
    private var needsComma = false

    init(capacity: Int = 1024) {
        text.reserveCapacity(capacity)
    }

    mutating func beginObject() { separate(); text += "{"; needsComma = false }
    mutating func endObject() { text += "}"; needsComma = true }
    mutating func beginArray() { separate(); text += "["; needsComma = false }
    mutating func endArray() { text += "]"; needsComma = true }

    mutating func key(_ name: String) {
        separate()
        appendQuoted(name)
        text += ":"
        needsComma = false
    }

    mutating func string(_ value: String?) {
        separate()
        if let value { appendQuoted(value) } else { text += "null" }
        needsComma = true
    }

    /// A finite number with the shortest digits that read back to it; null otherwise (JSON has no NaN).
    mutating func number(_ value: Double?) {
        separate()
        if let value, value.isFinite { text += value.description } else { text += "null" }
        needsComma = true
    }

    mutating func integer<T: BinaryInteger>(_ value: T?) {
        separate()
        if let value { text += String(value) } else { text += "null" }
        needsComma = true
    }

    mutating func bool(_ value: Bool) {
        separate()
        text += value ? "true" : "false"
        needsComma = true
    }

    mutating func time(_ value: Timestamp?) { string(value?.rfc3339) }

    /// Text that is already JSON (a `jsonb` column read as text).
    mutating func rawJSON(_ json: String) {
        separate()
        text += json
        needsComma = true
    }

    mutating func null() { separate(); text += "null"; needsComma = true }

    func response(status: HTTPResponse.Status = .ok, contentType: String = "application/json; charset=utf-8") -> Response {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(text.utf8.count + 1)
        buffer.writeString(text)
        buffer.writeString("\n")
        return Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: buffer))
    }

    private mutating func separate() {
        if needsComma { text += "," }
    }

    private mutating func appendQuoted(_ value: String) {
        text += "\""
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            text += value
        } else {
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default:
                    text.unicodeScalars.append(scalar)
                }
            }
        }
        text += "\""
    }
}
