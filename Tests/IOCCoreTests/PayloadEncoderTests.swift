import Foundation
import IOCCore
import Testing

@Suite("SenML and compact JSON encoders")
struct PayloadEncoderTests {
    @Test func senMLLooksLikeTheDocumentedPack() {
        let t0 = Timestamp(seconds: 1_748_762_940)
        let data = SenMLEncoder.encode(station: "PY-SBA-PHULAM", records: [
            (metric: "water_level", time: t0, value: 2.31, unit: "m"),
            (metric: "rain", time: t0.adding(seconds: 30.5), value: 0, unit: nil),
        ])
        #expect(String(decoding: data, as: UTF8.self) == #"[{"bn":"PY-SBA-PHULAM/","bt":1748762940,"n":"water_level","u":"m","v":2.31},{"n":"rain","t":30.5,"v":0.0}]"#)
        #expect(SenMLEncoder.encode(station: "PY-A", records: []) == Data("[]".utf8))
    }

    @Test func compactJSONLooksLikeTheDocumentedObject() {
        let data = CompactJSONEncoder.encode(station: "PY-A", time: Timestamp(milliseconds: 1_748_762_940_000), values: [("water_level", 2.31), ("rain_1h", 12.5)])
        #expect(String(decoding: data, as: UTF8.self) == #"{"station":"PY-A","ts":1748762940000,"values":{"water_level":2.31,"rain_1h":12.5}}"#)
        let withUnits = CompactJSONEncoder.encode(station: "PY-A", time: Timestamp(microseconds: 1_748_762_940_000_250), values: [("water_level", 231)], units: [("water_level", "cm")])
        #expect(String(decoding: withUnits, as: UTF8.self) == #"{"station":"PY-A","ts":1748762940000.25,"values":{"water_level":231.0},"units":{"water_level":"cm"}}"#)
    }

    @Test func stringsAreEscaped() throws {
        let data = CompactJSONEncoder.encode(station: "A\"B\\C\nD\u{01}É", time: Fixture.now, values: [("x", 1)])
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["station"] as? String == "A\"B\\C\nD\u{01}É")
    }

    /// Random values, times and pack sizes come back exactly through `MessageDecoder`.
    @Test(arguments: 0..<20)
    func senMLRoundTrips(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        let count = Int.random(in: 1...200, using: &random)
        let base = Fixture.now.microseconds - Int64.random(in: 0...30 * 86_400_000_000, using: &random)
        var records: [(metric: String, time: Timestamp, value: Double, unit: String?)] = []
        var expected: [R] = []
        for _ in 0..<count {
            let time = base + Int64.random(in: -3_600_000_000...3_600_000_000, using: &random)
            let value = randomValue(&random)
            let rain = Bool.random(using: &random)
            records.append((metric: rain ? "rain" : "water_level", time: Timestamp(microseconds: time), value: value, unit: rain ? nil : "m"))
            expected.append(R(rain ? 31 : 30, time, value))
        }
        let pack = SenMLEncoder.encode(station: "PY-SBA-PHULAM", records: records)
        let decoded = MessageDecoder().decode(topic: Fixture.senml, payload: pack, receivedAt: Fixture.now, registry: Self.openRegistry)
        #expect(decoded.rejections.isEmpty, "\(decoded.reasons.prefix(3))")
        #expect(decoded.simple == expected)
    }

    @Test(arguments: 0..<20)
    func compactJSONRoundTrips(seed: Int) {
        var random = SplitMix64(seed: UInt64(1000 + seed))
        let time = Fixture.now.microseconds - Int64.random(in: 0...30 * 86_400_000_000, using: &random)
        let level = randomValue(&random)
        let rain = randomValue(&random)
        let data = CompactJSONEncoder.encode(station: "PY-SBA-PHULAM", time: Timestamp(microseconds: time), values: [("water_level", level), ("rain", rain)])
        let decoded = MessageDecoder().decode(topic: Fixture.json, payload: data, receivedAt: Fixture.now, registry: Self.openRegistry)
        #expect(decoded.rejections.isEmpty, "\(decoded.reasons)")
        #expect(decoded.simple == [R(31, time, rain), R(30, time, level)])
    }

    @Test func arraysOfObjectsRoundTrip() {
        let t = Timestamp(milliseconds: 1_748_762_000_123)
        let data = CompactJSONEncoder.encode(objects: [
            (station: "PY-A", time: t, values: [("rain", 1.25)]),
            (station: "PY-SBA-PHULAM", time: t, values: [("water_level", 3)]),
        ])
        let decoded = Fixture.decode(Fixture.json, bytes: data)
        #expect(decoded.simple == [R(7, t.microseconds, 1.25), R(30, t.microseconds, 3)])
    }

    @Test(arguments: [Double.nan, .infinity, -.infinity])
    func nonFiniteValuesAreWrittenSoThatIngestRejectsThem(value: Double) {
        let senml = SenMLEncoder.encode(station: "PY-A", records: [(metric: "rain", time: Fixture.now, value: value, unit: nil)])
        #expect(Fixture.decode(Fixture.senml, bytes: senml).kinds == [.nonFinite])
        let compact = CompactJSONEncoder.encode(station: "PY-A", time: Fixture.now, values: [("rain", value)])
        #expect(Fixture.decode(Fixture.json, bytes: compact).kinds == [.nonFinite])
    }

    /// The fixture's PY-SBA-PHULAM with its ranges removed, so any finite value is accepted.
    static let openRegistry: RegistrySnapshot = {
        var registry = Fixture.registry
        registry.stations["PY-SBA-PHULAM"]?.sensors["water_level"]?.validMin = nil
        registry.stations["PY-SBA-PHULAM"]?.sensors["water_level"]?.validMax = nil
        registry.stations["PY-SBA-PHULAM"]?.sensors["rain"]?.validMin = nil
        registry.stations["PY-SBA-PHULAM"]?.sensors["rain"]?.validMax = nil
        return registry
    }()

    /// Ordinary readings, awkward decimals, extremes and subnormals.
    private func randomValue(_ random: inout SplitMix64) -> Double {
        switch Int.random(in: 0..<6, using: &random) {
        case 0: return Double(Int.random(in: -1000...1000, using: &random)) / 100
        case 1: return Double.random(in: -1e6...1e6, using: &random)
        case 2: return Double(bitPattern: random.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random(using: &random) ? 1 : -1)
        case 3: return [0.1, 1.0 / 3, -0.0, .leastNonzeroMagnitude, .leastNormalMagnitude, .greatestFiniteMagnitude, 9_007_199_254_740_994].randomElement(using: &random)!
        case 4: return Double(Int64.random(in: -(1 << 53)...(1 << 53), using: &random))
        default: return Double.random(in: 0...1, using: &random)
        }
    }
}
