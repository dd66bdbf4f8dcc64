import Foundation
import IOCCore
import Testing

@Suite("Timestamp RFC 3339")
struct TimestampRFC3339Tests {
    @Test(arguments: [
        ("2025-06-01T07:30:00Z", Int64(1_748_763_000_000_000)),
        ("2025-06-01T14:30:00+07:00", 1_748_763_000_000_000),
        ("2025-06-01T14:30:00+0700", 1_748_763_000_000_000),
        ("2025-06-01T00:30:00-07:00", 1_748_763_000_000_000),
        ("2025-06-01T07:30:00.5Z", 1_748_763_000_500_000),
        ("2025-06-01T07:30:00.000001Z", 1_748_763_000_000_001),
        ("2025-06-01T07:30:00.1234567Z", 1_748_763_000_123_456),
        ("2025-06-01 07:30:00Z", 1_748_763_000_000_000),
        ("2025-06-01t07:30:00z", 1_748_763_000_000_000),
        ("2024-02-29T23:59:59Z", 1_709_251_199_000_000),
        ("2016-12-31T23:59:60Z", 1_483_228_800_000_000), // a leap second reads as the next second
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59Z", -1_000_000),
        ("0001-01-01T00:00:00Z", -62_135_596_800_000_000),
        ("9999-12-31T23:59:59Z", 253_402_300_799_000_000),
    ])
    func parses(text: String, micros: Int64) {
        #expect(Timestamp(rfc3339: text)?.microseconds == micros)
    }

    @Test(arguments: [
        "", "2025-06-01", "2025-06-01T07:30:00", "2025-06-01T07:30Z", "2025-6-01T07:30:00Z", "2025-06-01T07:30:00.Z",
        "2025-00-01T07:30:00Z", "2025-13-01T07:30:00Z", "2025-02-29T07:30:00Z", "2025-04-31T07:30:00Z",
        "2025-06-01T24:00:00Z", "2025-06-01T07:60:00Z", "2025-06-01T07:30:61Z", "2025-06-01T07:30:00+24:00",
        "2025-06-01T07:30:00+07", "2025-06-01T07:30:00Zjunk", "２０２５-06-01T07:30:00Z", "2025-06-01T07:30:00 Z",
    ])
    func rejects(text: String) {
        #expect(Timestamp(rfc3339: text) == nil)
    }

    @Test(arguments: [
        (Int64(1_748_763_000_000_000), "2025-06-01T07:30:00Z"),
        (1_748_763_000_500_000, "2025-06-01T07:30:00.5Z"),
        (1_748_763_000_000_001, "2025-06-01T07:30:00.000001Z"),
        (0, "1970-01-01T00:00:00Z"),
        (-1, "1969-12-31T23:59:59.999999Z"),
        (1_709_251_199_000_000, "2024-02-29T23:59:59Z"),
    ])
    func formats(micros: Int64, text: String) {
        #expect(Timestamp(microseconds: micros).rfc3339 == text)
    }

    @Test func roundTripsAndAgreesWithFoundation() {
        var random = SplitMix64(seed: 3339)
        let formatter = ISO8601DateFormatter()
        for _ in 0..<2000 {
            let micros = Int64.random(in: -2_000_000_000_000_000...4_000_000_000_000_000, using: &random)
            let time = Timestamp(microseconds: micros)
            #expect(Timestamp(rfc3339: time.rfc3339) == time)
            let whole = Timestamp(microseconds: micros.floorDiv(1_000_000) * 1_000_000)
            #expect(formatter.string(from: Date(timeIntervalSince1970: whole.seconds)) == whole.rfc3339)
        }
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 {
        let q = self / d
        return (self % d < 0) ? q - 1 : q
    }
}
