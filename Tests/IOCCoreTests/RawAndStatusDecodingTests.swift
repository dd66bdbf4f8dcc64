import Foundation
import IOCCore
import Testing

@Suite("Raw and status decoding")
struct RawAndStatusDecodingTests {
    let now = Fixture.now.microseconds

    @Test(arguments: [
        ("2.31", 2.31), (" 2.31\n", 2.31), ("-0.5", -0.5), ("+3", 3), ("1e1", 10), ("2.5E-1", 0.25),
        (".5", 0.5), ("5.", 5), ("0", 0), ("\t42\r\n", 42),
    ])
    func plainNumbers(payload: String, value: Double) {
        let message = Fixture.decode(Fixture.raw("PY-A", "water_level"), payload)
        #expect(message.simple == [R(1, now, value)])
        #expect(message.rejections.isEmpty)
    }

    @Test(arguments: [
        ("nan", RejectionKind.nonFinite, "PY-A/water_level: value NaN"),
        ("NaN", .nonFinite, "PY-A/water_level: value NaN"),
        ("inf", .nonFinite, "PY-A/water_level: value inf"),
        ("-Infinity", .nonFinite, "PY-A/water_level: value -inf"),
        ("1e999", .nonFinite, "PY-A/water_level: value '1e999' is too large for a double"),
        ("", .missingValue, "PY-A/water_level: empty payload, expected one decimal number"),
        ("  \n", .missingValue, "PY-A/water_level: empty payload, expected one decimal number"),
        ("abc", .malformedValue, "PY-A/water_level: 'abc' is not a plain decimal number"),
        ("0x10", .malformedValue, "PY-A/water_level: '0x10' is not a plain decimal number"),
        ("1.2.3", .malformedValue, "PY-A/water_level: '1.2.3' is not a plain decimal number"),
        ("1e", .malformedValue, "PY-A/water_level: '1e' is not a plain decimal number"),
        ("--1", .malformedValue, "PY-A/water_level: '--1' is not a plain decimal number"),
        ("2.31 m", .malformedValue, "PY-A/water_level: '2.31 m' is not a plain decimal number"),
        ("2,31", .malformedValue, "PY-A/water_level: '2,31' is not a plain decimal number; use '.' as the decimal separator"),
        (#"{"v":2.31}"#, .malformedValue, #"PY-A/water_level: '{"v":2.31}' is not a plain decimal number; raw topics take one number, send JSON to the json or senml topic"#),
        ("120", .outOfRange, "PY-A/water_level: value 120 m outside the valid range -5…50 m"),
    ])
    func rejectedPayloads(payload: String, kind: RejectionKind, reason: String) {
        let message = Fixture.decode(Fixture.raw("PY-A", "water_level"), payload)
        #expect(message.readings.isEmpty)
        #expect(message.rejections == [Rejection(kind, reason)])
    }

    @Test(arguments: [
        (Fixture.raw("PY-XYZ", "water_level"), RejectionKind.unknownStation, "PY-XYZ/water_level: unknown station PY-XYZ"),
        (Fixture.raw("PY-B", "water_level"), .wrongGateway, "PY-B/water_level: station PY-B belongs to gateway GW-2, not GW-1"),
        (Fixture.raw("PY-A", "snow"), .unknownMetric, "PY-A/snow: station PY-A has no sensor for metric snow"),
        (Fixture.raw("PY-A", "rain", gateway: "GW-9"), .unknownGateway, "unknown gateway GW-9; register it before it publishes"),
    ])
    func registryChecks(topic: String, kind: RejectionKind, reason: String) {
        let message = Fixture.decode(topic, "1")
        #expect(message.rejections == [Rejection(kind, reason)])
    }

    @Test(arguments: [
        ("online", GatewayStatus.online), ("offline", .offline), ("  Online\n", .online), ("OFFLINE", .offline),
    ])
    func statuses(payload: String, status: GatewayStatus) {
        let message = Fixture.decode("ioc/v1/GW-1/status", payload)
        #expect(message.status == status)
        #expect(message.readings.isEmpty && message.rejections.isEmpty)
        #expect(message.gateway == "GW-1")
    }

    @Test(arguments: ["", "up", "online!", "1", "{\"status\":\"online\"}"])
    func badStatuses(payload: String) {
        let message = Fixture.decode("ioc/v1/GW-1/status", payload)
        #expect(message.status == nil)
        #expect(message.kinds == [.badStatus])
        #expect(message.reasons.first?.hasPrefix("status must be online or offline, not '") == true)
    }

    @Test func statusOfAnUnknownGatewayIsRejected() {
        #expect(Fixture.decode("ioc/v1/GW-9/status", "online").kinds == [.unknownGateway])
    }
}
