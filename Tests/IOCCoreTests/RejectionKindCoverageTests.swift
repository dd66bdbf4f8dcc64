import Foundation
import IOCCore
import Testing

/// One message per rejection kind, with the reason a person would read in `dead_letters`.
@Suite("Every rejection kind")
struct RejectionKindCoverageTests {
    static let cases: [(kind: RejectionKind, topic: String, payload: String, reason: String)] = [
        (.badTopic, "ioc/v1/GW-1/xml", "1", "topic 'ioc/v1/GW-1/xml': unknown message type 'xml', expected senml, json, status or raw"),
        (.payloadTooLarge, Fixture.senml, String(repeating: " ", count: 300 * 1024), "payload 300 KiB exceeds the 256 KiB limit"),
        (.notUTF8, Fixture.senml, "", "payload is not UTF-8: invalid byte 0xFF at offset 0"),
        (.malformedJSON, Fixture.senml, "[{", "malformed JSON: Unexpected end of file during JSON parse"),
        (.malformedValue, Fixture.raw("PY-A", "water_level"), "2,31", "PY-A/water_level: '2,31' is not a plain decimal number; use '.' as the decimal separator"),
        (.packTooLarge, Fixture.senml, "[" + Array(repeating: #"{"n":"PY-A/rain","v":1}"#, count: 10_001).joined(separator: ",") + "]", "pack has 10001 records, more than the 10000 allowed; split it"),
        (.unsupportedVersion, Fixture.senml, #"[{"bver":11,"n":"PY-A/rain","v":1}]"#, "record 1 of 1: SenML version 11 is newer than 10, the newest this server reads"),
        (.unknownGateway, "ioc/v1/GW-9/senml", "[]", "unknown gateway GW-9; register it before it publishes"),
        (.unknownStation, Fixture.senml, #"[{"bn":"PY-XYZ/","n":"water_level","v":1}]"#, "record 1 of 1 (PY-XYZ/water_level): unknown station PY-XYZ"),
        (.wrongGateway, Fixture.senml, #"[{"n":"PY-B/water_level","v":1}]"#, "record 1 of 1 (PY-B/water_level): station PY-B belongs to gateway GW-2, not GW-1"),
        (.unknownMetric, Fixture.senml, #"[{"n":"PY-A/rain_24h","v":1}]"#, "record 1 of 1 (PY-A/rain_24h): station PY-A has no sensor for metric rain_24h"),
        (.nonNumeric, Fixture.senml, #"[{"n":"PY-A/rain"},{"n":"PY-A/rain"},{"n":"PY-X/status","vs":"ok"}]"#, "record 3 of 3 (PY-X/status): string value (vs) is not stored in numeric series"),
        (.missingValue, Fixture.json, #"{"station":"PY-A","values":{"rain":null}}"#, "PY-A/rain: value is null"),
        (.unitMismatch, Fixture.senml, #"[{"n":"PY-A/temperature","u":"degF","v":80}]"#, "record 1 of 1 (PY-A/temperature): unit degF, expected Cel (no conversion from degF to Cel)"),
        (.nonFinite, Fixture.raw("PY-A", "water_level"), "NaN", "PY-A/water_level: value NaN"),
        (.outOfRange, Fixture.senml, #"[{"n":"PY-A/water_level","v":120}]"#, "record 1 of 1 (PY-A/water_level): value 120 m outside the valid range -5…50 m"),
        (.futureTimestamp, Fixture.senml, #"[{"n":"PY-A/rain","t":10800,"v":1}]"#, "record 1 of 1 (PY-A/rain): timestamp 3 h in the future (2025-06-01T10:30:00Z, received 2025-06-01T07:30:00Z)"),
        (.tooOld, Fixture.json, #"{"station":"PY-A","ts":"2024-01-01T00:00:00Z","values":{"rain":1}}"#, "PY-A/rain: timestamp 2024-01-01T00:00:00Z is 517 days old, beyond the 400-day retention"),
        (.badTimestamp, Fixture.json, #"{"station":"PY-A","ts":"yesterday","values":{"rain":1}}"#, "PY-A/rain: ts 'yesterday': expected RFC 3339 like 2025-06-01T07:30:00Z or 2025-06-01T14:30:00+07:00"),
        (.badStatus, "ioc/v1/GW-1/status", "maybe", "status must be online or offline, not 'maybe'"),
    ]

    @Test func everyKindHasACase() {
        #expect(Set(Self.cases.map(\.kind)) == Set(RejectionKind.allCases))
    }

    @Test(arguments: Self.cases.indices)
    func kindAndReason(index: Int) {
        let (kind, topic, payload, reason) = Self.cases[index]
        let bytes = kind == .notUTF8 ? Data([0xFF, 0xFE]) : Data(payload.utf8)
        let message = Fixture.decode(topic, bytes: bytes)
        #expect(message.readings.isEmpty)
        #expect(message.rejections.last == Rejection(kind, reason), "\(message.reasons)")
    }
}
