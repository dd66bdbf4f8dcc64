import Foundation

/// One value of a `JSONSerialization` tree, classified without Foundation's bridging surprises
/// (an `NSNumber` holding `true` also casts to `Double`).
enum JSONScalar {
    case number(Double)
    case string(String)
    case bool(Bool)
    case null
    case array
    case object

    @inline(__always)
    init(_ any: Any) {
        if let number = any as? NSNumber {
            self = ObjectIdentifier(type(of: number)) == booleanType ? .bool(number.boolValue) : .number(number.doubleValue)
        } else if let string = any as? String {
            self = .string(string)
        } else if any is NSNull {
            self = .null
        } else if any is [Any] {
            self = .array
        } else if any is [String: Any] {
            self = .object
        } else if let bool = any as? Bool {
            self = .bool(bool)
        } else if let double = any as? Double {
            self = .number(double)
        } else if let int = any as? Int {
            self = .number(Double(int))
        } else {
            self = .object
        }
    }

    /// What the value is, for a reason: `a string ('abc')`, `a boolean`, `null`.
    var described: String {
        switch self {
        case .number(let n): return "the number \(formatNumber(n))"
        case .string(let s): return "a string (\(quoted(s, limit: 30)))"
        case .bool(let b): return "a boolean (\(b))"
        case .null: return "null"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// A string that spells a non-finite number, as some gateways write NaN or Infinity in JSON.
    var nonFiniteSpelling: String? {
        guard case .string(let s) = self else { return nil }
        return nonFiniteName(s)
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

enum JSONPayload {
    /// Parses a JSON document, or says briefly where and why it is not one.
    static func parse(_ data: Data) -> Result<Any, Rejection> {
        do {
            return .success(try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]))
        } catch {
            return .failure(Rejection(.malformedJSON, "malformed JSON: \(hint(for: error, in: data))"))
        }
    }

    /// Foundation's description of a parse error ("Invalid value around character 16"), with the
    /// text around that place so a person can find it.
    static func hint(for error: any Error, in data: Data) -> String {
        let bytes = data.count
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return bytes == 0 ? "the payload is empty" : "the payload is only white space"
        }
        var message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "not valid JSON"
        if message.hasSuffix(".") { message.removeLast() }
        if let offset = characterOffset(in: message), offset >= 0, offset <= bytes {
            let start = max(0, offset - 12)
            let end = min(bytes, offset + 12)
            let base = data.startIndex
            let near = String(decoding: data[(base + start)..<(base + end)], as: UTF8.self)
            message += " (near \(quoted(near, limit: 30)))"
        }
        return message
    }

    /// The number after "character " in a Foundation parse error message.
    private static func characterOffset(in message: String) -> Int? {
        guard let range = message.range(of: "character ") else { return nil }
        let digits = message[range.upperBound...].prefix(while: \.isNumber)
        return Int(digits)
    }
}
