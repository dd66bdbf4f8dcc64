import Foundation
import IOCCore
import Testing

@Suite("Message-level checks")
struct MessageLimitsTests {
    @Test func payloadOverTheLimit() {
        let message = Fixture.decode(Fixture.senml, bytes: Data(repeating: 0x20, count: 300 * 1024))
        #expect(message.readings.isEmpty)
        #expect(message.rejections == [Rejection(.payloadTooLarge, "payload 300 KiB exceeds the 256 KiB limit")])
        #expect(message.gateway == "GW-1")
    }

    @Test(arguments: [
        (100, 101, "payload 101 bytes exceeds the 100 bytes limit"),
        (2048, 3000, "payload 2.9 KiB exceeds the 2 KiB limit"),
        (1024 * 1024, 2 * 1024 * 1024, "payload 2 MiB exceeds the 1 MiB limit"),
    ])
    func payloadSizesReadWell(limit: Int, size: Int, reason: String) {
        let message = Fixture.decode(Fixture.raw("PY-A", "water_level"), bytes: Data(repeating: 0x31, count: size), limits: IngestLimits(maxPayloadBytes: limit))
        #expect(message.rejections == [Rejection(.payloadTooLarge, reason)])
    }

    @Test func payloadAtTheLimitIsRead() {
        let payload = Data("1".utf8) + Data(repeating: 0x20, count: 99)
        let message = Fixture.decode(Fixture.raw("PY-A", "water_level"), bytes: payload, limits: IngestLimits(maxPayloadBytes: 100))
        #expect(message.readings.count == 1)
    }

    @Test(arguments: [
        ([0xFF], 0),
        ([0x31, 0x32, 0xC3], 2),                     // truncated two-byte sequence
        ([0x31, 0xC0, 0xAF], 1),                     // overlong "/"
        ([0xED, 0xA0, 0x80], 0),                     // UTF-16 surrogate
        ([0xF4, 0x90, 0x80, 0x80], 0),               // above U+10FFFF
        (Array("[{\"n\":\"PY-A/rain\",\"v\":1}]".utf8) + [0x80], 25),
        (Array("[{\"n\":\"PY-A/rain\",\"v\":1}]".utf8) + [0xE2, 0x82], 25), // truncated €
    ] as [([UInt8], Int)])
    func notUTF8(bytes: [UInt8], offset: Int) {
        let message = Fixture.decode(Fixture.senml, bytes: Data(bytes))
        #expect(message.kinds == [.notUTF8])
        #expect(message.reasons.first?.hasSuffix("at offset \(offset)") == true, "\(message.reasons)")
    }

    @Test func utf8IsAccepted() {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","note":"Phú Lâm – 富 🌧","values":{"pm2_5":35},"units":{"pm2_5":"µg/m³"}}"#)
        #expect(message.simple == [R(3, Fixture.now.microseconds, 35)])
    }

    @Test func unknownGatewayRejectsTheWholeMessage() {
        let message = Fixture.decode("ioc/v1/GW-9/senml", #"[{"n":"PY-A/rain","v":1},{"n":"PY-A/rain","v":2}]"#)
        #expect(message.readings.isEmpty)
        #expect(message.rejections == [Rejection(.unknownGateway, "unknown gateway GW-9; register it before it publishes")])
        #expect(message.gateway == "GW-9")
    }
}

@Suite("Time limits")
struct TimeLimitTests {
    let now = Fixture.now

    @Test(arguments: [
        (300.0, true), (300.000001, false), (-34_560_000.0, true), (-34_560_000.000001, false),
    ])
    func boundaries(offsetSeconds: Double, accepted: Bool) {
        let time = now.adding(seconds: offsetSeconds)
        let payload = #"[{"n":"PY-A/rain","t":\#(time.seconds),"v":1}]"#
        let message = Fixture.decode(Fixture.senml, payload)
        #expect(message.readings.count == (accepted ? 1 : 0), "\(message.reasons)")
    }

    @Test(arguments: [
        (400.0, "timestamp 7 min in the future"),
        (3 * 3600.0, "timestamp 3 h in the future"),
        (5 * 86400.0, "timestamp 5 days in the future"),
    ])
    func futureReasons(offsetSeconds: Double, reason: String) {
        let time = now.adding(seconds: offsetSeconds)
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","ts":"\#(time.rfc3339)","values":{"rain":1}}"#)
        #expect(message.kinds == [.futureTimestamp])
        #expect(message.reasons.first?.hasPrefix("PY-A/rain: \(reason) (") == true, "\(message.reasons)")
    }

    @Test func limitsAreConfigurable() {
        let limits = IngestLimits(maxFutureSeconds: 0, retentionDays: 1)
        let ahead = Fixture.decode(Fixture.senml, #"[{"n":"PY-A/rain","t":1,"v":1}]"#, limits: limits)
        #expect(ahead.kinds == [.futureTimestamp])
        let old = Fixture.decode(Fixture.senml, #"[{"n":"PY-A/rain","t":-90000,"v":1}]"#, limits: limits)
        #expect(old.reasons == ["record 1 of 1 (PY-A/rain): timestamp 2025-05-31T06:30:00Z is 25 h old, beyond the 1-day retention"])
    }

    @Test func absurdLimitsDoNotTrap() {
        let limits = IngestLimits(maxFutureSeconds: .infinity, retentionDays: .max)
        let message = Fixture.decode(Fixture.senml, #"[{"n":"PY-A/rain","t":-1e10,"v":1},{"n":"PY-A/rain","t":1e11,"v":1}]"#, limits: limits)
        #expect(message.readings.count == 2, "\(message.reasons)")
        let nan = IngestLimits(maxFutureSeconds: .nan, retentionDays: -5)
        #expect(Fixture.decode(Fixture.senml, #"[{"n":"PY-A/rain","v":1}]"#, limits: nan).readings.count + Fixture.decode(Fixture.senml, #"[{"n":"PY-A/rain","v":1}]"#, limits: nan).rejections.count == 1)
    }
}
