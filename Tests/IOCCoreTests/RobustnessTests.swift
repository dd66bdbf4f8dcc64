import Foundation
import IOCCore
import Testing

/// No payload makes the decoder trap, and every message yields readings, rejections or a status.
@Suite("Robustness")
struct RobustnessTests {
    static let topics = [
        Fixture.senml, Fixture.json, "ioc/v1/GW-1/status", Fixture.raw("PY-A", "water_level"), Fixture.raw("PY-A", "rain"),
    ]

    static let validPayloads: [(topic: String, payload: String)] = [
        (Fixture.senml, RFC8428.withSlash(RFC8428.multipleMeasurements)),
        (Fixture.senml, RFC8428.withSlash(RFC8428.multipleDataTypes)),
        (Fixture.senml, #"[{"bn":"PY-A/","bt":1748762000,"bu":"cm","bv":100,"n":"water_level","v":31},{"n":"rain","u":"mm","s":2,"bs":1,"t":60}]"#),
        (Fixture.json, #"[{"station":"PY-A","ts":"2025-06-01T14:29:00.25+07:00","values":{"water_level":2.31,"rain_1h":12.5},"units":{"water_level":"m"}},{"station":"PY-SBA-PHULAM","ts":1748762970123,"values":{"rain":0}}]"#),
        (Fixture.raw("PY-A", "water_level"), " -2.5e0\n"),
        ("ioc/v1/GW-1/status", "offline"),
    ]

    static func check(_ message: DecodedMessage, _ context: @autoclosure () -> String) {
        #expect(!message.readings.isEmpty || !message.rejections.isEmpty || message.status != nil, "nothing came out of \(context())")
        let ids = Set(Fixture.registry.stations.values.flatMap { $0.sensors.values.map(\.id) })
        for reading in message.readings {
            #expect(ids.contains(reading.sensorID))
            #expect(reading.value.isFinite)
        }
        for rejection in message.rejections {
            #expect(!rejection.reason.isEmpty)
        }
    }

    @Test(arguments: 0..<8)
    func randomBytes(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        for _ in 0..<50 {
            let length = Int.random(in: 0...300, using: &random)
            let bytes = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &random) })
            for topic in Self.topics {
                Self.check(Fixture.decode(topic, bytes: bytes), "\(topic) \(bytes as NSData)")
            }
        }
    }

    /// Random strings made of JSON's own characters get much further into the parser.
    @Test(arguments: 0..<8)
    func randomJSONishText(seed: Int) {
        var random = SplitMix64(seed: UInt64(100 + seed))
        let alphabet = Array(#"[]{}:,"nvbtsu_ 0123456789.-+eE/\PYA-rainNaTfl"#)
        for _ in 0..<50 {
            let text = String((0..<Int.random(in: 0...80, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
            for topic in Self.topics {
                Self.check(Fixture.decode(topic, text), "\(topic) \(text)")
            }
        }
    }

    @Test func everyTruncationOfValidPayloads() {
        for (topic, payload) in Self.validPayloads {
            let bytes = Data(payload.utf8)
            for length in 0...bytes.count {
                Self.check(Fixture.decode(topic, bytes: bytes.prefix(length)), "\(topic) first \(length) bytes")
            }
        }
    }

    @Test(arguments: 0..<4)
    func mutationsOfValidPayloads(seed: Int) {
        var random = SplitMix64(seed: UInt64(200 + seed))
        for (topic, payload) in Self.validPayloads {
            for _ in 0..<100 {
                var bytes = Array(payload.utf8)
                for _ in 0...Int.random(in: 0...3, using: &random) where !bytes.isEmpty {
                    let at = Int.random(in: 0..<bytes.count, using: &random)
                    switch Int.random(in: 0..<3, using: &random) {
                    case 0: bytes[at] = UInt8.random(in: 0...255, using: &random)
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(bytes[Int.random(in: 0..<bytes.count, using: &random)], at: at)
                    }
                }
                Self.check(Fixture.decode(topic, bytes: Data(bytes)), "\(topic) \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test(arguments: [
        String(repeating: "[", count: 100_000),
        String(repeating: "{\"a\":", count: 20_000),
        "[" + String(repeating: "1,", count: 50_000) + "1]",
        #"[{"n":"PY-A/rain","v":1e400}]"#,
        #"[{"n":"PY-A/rain","v":-1e400}]"#,
        #"[{"n":"PY-A/rain","v":123456789012345678901234567890}]"#,
        #"[{"n":"PY-A/rain","t":9223372036854775807,"v":1}]"#,
        #"[{"n":"PY-A/rain","bt":-9223372036854775808,"v":1}]"#,
        #"[{"n":"PY-A/rain","v":1,"v":2}]"#,
        #"[{"n":"\ud800","v":1}]"#,
        #"{"station":"PY-A","ts":-9223372036854775808,"values":{"rain":1}}"#,
        #"{"station":"PY-A","ts":"9999-12-31T23:59:59.999999-23:59","values":{"rain":1}}"#,
        #"{"station":"PY-A","ts":"0000-01-01T00:00:00+23:59","values":{"rain":1}}"#,
        "\u{FEFF}[{\"n\":\"PY-A/rain\",\"v\":1}]",
        "\0",
    ])
    func hostilePayloads(payload: String) {
        for topic in Self.topics {
            Self.check(Fixture.decode(topic, payload), "\(topic) \(payload.prefix(60))")
        }
    }

    @Test func hostileReceiptTimes() {
        for receivedAt in [Timestamp(microseconds: .min), Timestamp(microseconds: .max), Timestamp(microseconds: 0)] {
            let farOff = [(Fixture.senml, #"[{"n":"PY-A/rain","t":-1e13,"v":1},{"n":"PY-A/rain","t":2.6e8,"v":1}]"#)]
            for (topic, payload) in Self.validPayloads + farOff {
                Self.check(Fixture.decode(topic, payload, at: receivedAt), "\(topic) at \(receivedAt)")
            }
        }
    }
}
