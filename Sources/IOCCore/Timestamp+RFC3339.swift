import Foundation

extension Timestamp {
    /// The earliest and latest instants ingest accepts at all: years 0001 through 9999.
    static let representable: ClosedRange<Int64> = -62_135_596_800_000_000 ... 253_402_300_799_999_999

    /// Parses an RFC 3339 date-time: `2025-06-01T07:30:00Z`, `2025-06-01T14:30:00.25+07:00`.
    /// Accepts `t`/`z` in lower case, a space instead of `T`, and `+0700` without the colon.
    /// Fractions finer than a microsecond are truncated.
    public init?(rfc3339 text: String) {
        guard case .success(let time) = Timestamp.parseRFC3339(text) else { return nil }
        self = time
    }

    /// The time as RFC 3339 in UTC, with a fraction only when there is one:
    /// `2025-06-01T07:30:00Z`, `2025-06-01T07:30:00.25Z`.
    public var rfc3339: String {
        let (days, microsOfDay) = microseconds.floorDividedBy(86_400_000_000)
        let (year, month, day) = Timestamp.civil(fromDays: days)
        let secondsOfDay = microsOfDay / 1_000_000
        var text = ""
        text.reserveCapacity(32)
        text.appendPadded(year, width: 4)
        text += "-"
        text.appendPadded(month, width: 2)
        text += "-"
        text.appendPadded(day, width: 2)
        text += "T"
        text.appendPadded(secondsOfDay / 3600, width: 2)
        text += ":"
        text.appendPadded(secondsOfDay / 60 % 60, width: 2)
        text += ":"
        text.appendPadded(secondsOfDay % 60, width: 2)
        text.appendFraction(microseconds: microsOfDay % 1_000_000)
        text += "Z"
        return text
    }

    /// Parses RFC 3339, saying what is wrong when it cannot.
    static func parseRFC3339(_ text: String) -> Result<Timestamp, TimestampError> {
        var text = text
        return text.withUTF8 { parseRFC3339(UnsafeRawBufferPointer($0)) }
    }

    struct TimestampError: Error, Equatable {
        var message: String
    }

    private static func parseRFC3339(_ b: UnsafeRawBufferPointer) -> Result<Timestamp, TimestampError> {
        let expected = "expected RFC 3339 like 2025-06-01T07:30:00Z or 2025-06-01T14:30:00+07:00"
        var i = 0
        func digits(_ count: Int) -> Int? {
            guard i + count <= b.count else { return nil }
            var value = 0
            for _ in 0..<count {
                let c = b[i]
                guard c >= 0x30, c <= 0x39 else { return nil }
                value = value * 10 + Int(c - 0x30)
                i += 1
            }
            return value
        }
        func expect(_ chars: UInt8...) -> Bool {
            guard i < b.count, chars.contains(b[i]) else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), expect(0x2D), let month = digits(2), expect(0x2D), let day = digits(2),
              expect(0x54, 0x74, 0x20), // T t space
              let hour = digits(2), expect(0x3A), let minute = digits(2), expect(0x3A), let second = digits(2)
        else { return .failure(TimestampError(message: expected)) }
        guard (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year),
              hour <= 23, minute <= 59, second <= 60
        else { return .failure(TimestampError(message: "date or time out of range")) }

        var fraction: Int64 = 0
        if i < b.count, b[i] == 0x2E { // .
            i += 1
            var count = 0
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                if count < 6 { fraction = fraction * 10 + Int64(b[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count > 0 else { return .failure(TimestampError(message: "no digits after the decimal point")) }
            for _ in count..<max(count, 6) { fraction *= 10 }
        }

        var offsetSeconds = 0
        guard i < b.count else {
            return .failure(TimestampError(message: "no time zone; add Z (UTC) or an offset such as +07:00"))
        }
        switch b[i] {
        case 0x5A, 0x7A: // Z z
            i += 1
        case 0x2B, 0x2D: // + -
            let sign = b[i] == 0x2D ? -1 : 1
            i += 1
            guard let hours = digits(2) else { return .failure(TimestampError(message: "bad time zone offset")) }
            _ = expect(0x3A)
            guard let minutes = digits(2), hours <= 23, minutes <= 59 else {
                return .failure(TimestampError(message: "bad time zone offset"))
            }
            offsetSeconds = sign * (hours * 3600 + minutes * 60)
        default:
            return .failure(TimestampError(message: "no time zone; add Z (UTC) or an offset such as +07:00"))
        }
        guard i == b.count else { return .failure(TimestampError(message: "unexpected text after the time zone")) }

        let days = daysFromCivil(year: year, month: month, day: day)
        let seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return .success(Timestamp(microseconds: seconds * 1_000_000 + fraction))
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

extension Int64 {
    /// Quotient rounded towards minus infinity and the non-negative remainder.
    func floorDividedBy(_ divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let q = self / divisor
        let r = self % divisor
        return r < 0 ? (q - 1, r + divisor) : (q, r)
    }
}

extension String {
    mutating func appendPadded<T: BinaryInteger>(_ value: T, width: Int) {
        let digits = String(value)
        if digits.count < width { append(String(repeating: "0", count: width - digits.count)) }
        append(digits)
    }

    /// Appends `.` and up to six digits of a microsecond fraction, without trailing zeros.
    mutating func appendFraction(microseconds: Int64) {
        guard microseconds != 0 else { return }
        var digits = String(microseconds)
        digits = String(repeating: "0", count: 6 - digits.count) + digits
        while digits.last == "0" { digits.removeLast() }
        append(".")
        append(digits)
    }
}

/// In JSON a timestamp is an RFC 3339 string ("2026-11-27T08:00:00+07:00" or "…Z").
extension Timestamp: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let time = Timestamp(rfc3339: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "'\(text)' is not an RFC 3339 time such as 2026-11-27T08:00:00+07:00")
        }
        self = time
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rfc3339)
    }
}

extension Timestamp {
    /// The instant of a Foundation `Date`, to the microsecond.
    public init(date: Date) {
        self.init(microseconds: Int64((date.timeIntervalSince1970 * 1_000_000).rounded()))
    }
}
