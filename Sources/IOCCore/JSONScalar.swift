import Foundation

/// One JSON value as a field of a payload sees it: the number or string it should be, or what
/// else was there, for a reason such as "v must be a number, not a string ('35')".
enum JSONScalar: Decodable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case array
    case object
    /// A number `JSONDecoder` cannot read as a `Double`, such as `1e400`.
    case unrepresentableNumber

    /// Never throws: whatever is there is classified.
    init(from decoder: any Decoder) {
        if let value = try? decoder.singleValueContainer() {
            if value.decodeNil() {
                self = .null
                return
            }
            if let number = try? value.decode(Double.self) {
                self = .number(number)
                return
            }
            if let string = try? value.decode(String.self) {
                self = .string(string)
                return
            }
            if let bool = try? value.decode(Bool.self) {
                self = .bool(bool)
                return
            }
        }
        if (try? decoder.unkeyedContainer()) != nil {
            self = .array
        } else if (try? decoder.container(keyedBy: AnyCodingKey.self)) != nil {
            self = .object
        } else {
            self = .unrepresentableNumber
        }
    }

    /// A value of a `JSONSerialization` tree (used only to describe documents of the wrong shape).
    init(serialized any: Any) {
        switch any {
        case let number as NSNumber:
            self = ObjectIdentifier(type(of: number)) == booleanType ? .bool(number.boolValue) : .number(number.doubleValue)
        case let string as String: self = .string(string)
        case is NSNull: self = .null
        case is [Any]: self = .array
        default: self = .object
        }
    }

    /// What the value is, for a reason: `a string ('abc')`, `a boolean (true)`, `null`.
    var described: String {
        switch self {
        case .number(let n): return "the number \(formatNumber(n))"
        case .string(let s): return "a string (\(quoted(s, limit: 30)))"
        case .bool(let b): return "a boolean (\(b))"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        case .unrepresentableNumber: return "a number beyond the range of a double"
        }
    }

    /// `NaN`, `inf` or `-inf` for a string that spells a non-finite number, as some gateways
    /// write NaN or Infinity in JSON.
    var nonFiniteSpelling: String? {
        guard case .string(let s) = self else { return nil }
        return nonFiniteName(s)
    }

    var isBool: Bool {
        if case .bool = self { return true }
        return false
    }
}

/// `NaN`, `inf` or `-inf` if `text` spells a non-finite number (`nan`, `+Infinity`, `-INF` …).
func nonFiniteName(_ text: String) -> String? {
    guard text.utf8.count <= 9 else { return nil }
    switch text.lowercased() {
    case "nan", "+nan", "-nan": return "NaN"
    case "inf", "+inf", "infinity", "+infinity": return "inf"
    case "-inf", "-infinity": return "-inf"
    default: return nil
    }
}

/// The class `JSONSerialization` uses for `true` and `false`.
private let booleanType = ObjectIdentifier(type(of: NSNumber(value: true)))

/// Any JSON object key, for walking objects whose keys are not known in advance.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// Decoding of JSON payloads.
///
/// `JSONDecoder` reads every number exactly (correctly rounded). `JSONSerialization` on Linux
/// does not: about a third of random doubles come back one unit in the last place off, so it is
/// used only to explain why a payload is not JSON, where `JSONDecoder` says nothing useful.
enum JSONPayload {
    static let decoder = JSONDecoder()

    /// The first byte that is not a byte order mark or white space, or nil if there is none.
    static func firstSignificantByte(_ data: Data) -> UInt8? {
        var skipBOM = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        for byte in data {
            if skipBOM > 0 {
                skipBOM -= 1
                continue
            }
            if byte != 0x20, byte != 0x09, byte != 0x0A, byte != 0x0D { return byte }
        }
        return nil
    }

    /// Why `data` is not the JSON that was expected: where parsing failed, or what was there instead.
    static func diagnose(_ data: Data, expected: String) -> Rejection {
        guard firstSignificantByte(data) != nil else {
            return Rejection(.malformedJSON, data.isEmpty ? "malformed JSON: the payload is empty" : "malformed JSON: the payload is only white space")
        }
        do {
            let document = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return Rejection(.malformedJSON, "expected \(expected), not \(JSONScalar(serialized: document).described)")
        } catch {
            return Rejection(.malformedJSON, "malformed JSON: \(hint(for: error, in: data))")
        }
    }

    /// Foundation's description of a parse error ("Invalid value around character 16"), with the
    /// text around that place so a person can find it.
    private static func hint(for error: any Error, in data: Data) -> String {
        var message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "not valid JSON"
        if message.hasSuffix(".") { message.removeLast() }
        if let offset = characterOffset(in: message), offset >= 0, offset <= data.count {
            let start = max(0, offset - 12)
            let end = min(data.count, offset + 12)
            let near = String(decoding: data[(data.startIndex + start)..<(data.startIndex + end)], as: UTF8.self)
            message += " (near \(quoted(near, limit: 30)))"
        }
        return message
    }

    /// The number after "character " in a Foundation parse error message.
    private static func characterOffset(in message: String) -> Int? {
        guard let range = message.range(of: "character ") else { return nil }
        return Int(message[range.upperBound...].prefix(while: \.isNumber))
    }
}
