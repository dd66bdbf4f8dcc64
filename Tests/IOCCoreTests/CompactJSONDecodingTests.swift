import Foundation
import IOCCore
import Testing

@Suite("Compact JSON decoding")
struct CompactJSONDecodingTests {
    let now = Fixture.now.microseconds

    @Test func singleObjectWithEpochMilliseconds() {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","ts":1748762940000,"values":{"water_level":2.31,"rain_1h":12.5}}"#)
        #expect(message.rejections.isEmpty, "\(message.reasons)")
        // Values come in metric-name order.
        #expect(message.simple == [R(2, now - 60_000_000, 12.5), R(1, now - 60_000_000, 2.31)])
        #expect(message.gateway == "GW-1")
    }

    @Test func arrayOfObjects() {
        let payload = """
            [{"station":"PY-A","ts":1748762940000,"values":{"water_level":2.31}},
             {"station":"PY-SBA-PHULAM","ts":1748762970123,"values":{"water_level":3.5,"rain":0}}]
            """
        let message = Fixture.decode(Fixture.json, payload)
        #expect(message.rejections.isEmpty, "\(message.reasons)")
        #expect(message.simple == [R(1, now - 60_000_000, 2.31), R(31, now - 29_877_000, 0), R(30, now - 29_877_000, 3.5)])
    }

    /// `ts` as epoch milliseconds (integer or fractional), RFC 3339 with Z or an offset, or absent.
    @Test(arguments: [
        (#""ts":1748763000000,"#, Int64(1_748_763_000_000_000)),
        (#""ts":1748762999999.5,"#, 1_748_762_999_999_500),
        (#""ts":1.748763e12,"#, 1_748_763_000_000_000),
        (#""ts":"2025-06-01T07:30:00Z","#, 1_748_763_000_000_000),
        (#""ts":"2025-06-01T07:29:59.5Z","#, 1_748_762_999_500_000),
        (#""ts":"2025-06-01T07:29:59.123456789Z","#, 1_748_762_999_123_456),
        (#""ts":"2025-06-01T14:30:00+07:00","#, 1_748_763_000_000_000),
        (#""ts":"2025-06-01T14:29:00.25+07:00","#, 1_748_762_940_250_000),
        (#""ts":"2025-06-01T00:30:00-07:00","#, 1_748_763_000_000_000),
        (#""ts":"2025-06-01T14:30:00+0700","#, 1_748_763_000_000_000),
        (#""ts":"2025-06-01 07:30:00Z","#, 1_748_763_000_000_000),
        (#""ts":"2025-06-01t07:30:00z","#, 1_748_763_000_000_000),
        (#""ts":null,"#, 1_748_763_000_000_000),
        ("", 1_748_763_000_000_000),
    ])
    func timestamps(ts: String, micros: Int64) {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A",\#(ts)"values":{"rain":1}}"#)
        #expect(message.simple == [R(7, micros, 1)], "\(message.reasons)")
    }

    @Test(arguments: [
        (#""2025-06-01T07:30:00""#, "no time zone; add Z (UTC) or an offset such as +07:00"),
        (#""2025-06-01""#, "expected RFC 3339"),
        (#""01/06/2025 07:30""#, "expected RFC 3339"),
        (#""2025-02-29T07:30:00Z""#, "date or time out of range"),
        (#""2025-06-01T24:00:00Z""#, "date or time out of range"),
        (#""2025-06-01T07:30:00.Z""#, "no digits after the decimal point"),
        (#""2025-06-01T07:30:00+25:00""#, "bad time zone offset"),
        (#""2025-06-01T07:30:00Z junk""#, "unexpected text after the time zone"),
        ("true", "ts must be epoch milliseconds or an RFC 3339 string, not a boolean (true)"),
        ("[1]", "ts must be epoch milliseconds or an RFC 3339 string, not an array"),
        ("1e300", "ts 1e+300 ms is outside the years 0001–9999"),
    ])
    func badTimestamps(ts: String, reason: String) {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","ts":\#(ts),"values":{"rain":1,"rain_1h":2}}"#)
        #expect(message.readings.isEmpty)
        #expect(message.kinds == [.badTimestamp, .badTimestamp], "one rejection per value")
        #expect(message.reasons.first?.hasPrefix("PY-A/rain: ") == true, "\(message.reasons)")
        #expect(message.reasons.first?.contains(reason) == true, "\(message.reasons)")
    }

    @Test func secondsInsteadOfMillisecondsGetAHint() {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","ts":1748763000,"values":{"rain":1}}"#)
        #expect(message.kinds == [.tooOld])
        #expect(message.reasons.first?.hasSuffix("; ts is epoch milliseconds and this looks like seconds") == true, "\(message.reasons)")
    }

    @Test func unitsAreConverted() {
        let payload = #"{"station":"PY-A","values":{"water_level":231,"rain_1h":1.5,"pm2_5":0.035,"wind_speed":36,"temperature":31},"units":{"water_level":"cm","rain_1h":"cm","pm2_5":"mg/m3","wind_speed":"km/h","temperature":"°C"}}"#
        let message = Fixture.decode(Fixture.json, payload)
        #expect(message.rejections.isEmpty, "\(message.reasons)")
        #expect(message.simple == [R(3, now, 35), R(2, now, 15), R(5, now, 31), R(1, now, 2.31), R(4, now, 10)])
        #expect(message.conversions == 4)
    }

    @Test(arguments: [
        (#""abc""#, RejectionKind.nonNumeric, "PY-A/rain: value must be a number, not a string ('abc')"),
        (#""2.5""#, .nonNumeric, "PY-A/rain: value must be a number, not a string ('2.5')"),
        ("true", .nonNumeric, "PY-A/rain: value must be a number, not a boolean (true)"),
        ("false", .nonNumeric, "PY-A/rain: value must be a number, not a boolean (false)"),
        ("{}", .nonNumeric, "PY-A/rain: value must be a number, not an object"),
        ("[1]", .nonNumeric, "PY-A/rain: value must be a number, not an array"),
        ("null", .missingValue, "PY-A/rain: value is null"),
        ("1e400", .malformedValue, "PY-A/rain: value is a number beyond the range of a double"),
        (#""NaN""#, .nonFinite, "PY-A/rain: value NaN"),
        (#""Infinity""#, .nonFinite, "PY-A/rain: value inf"),
        (#""-inf""#, .nonFinite, "PY-A/rain: value -inf"),
    ])
    func nonNumericValues(value: String, kind: RejectionKind, reason: String) {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","values":{"rain":\#(value),"rain_1h":2}}"#)
        #expect(message.simple == [R(2, now, 2)])
        #expect(message.rejections == [Rejection(kind, reason)])
    }

    @Test(arguments: [
        (#"{"ts":1,"values":{"rain":1}}"#, RejectionKind.malformedJSON, #"object 2 of 2: "station" must be the station code, missing"#),
        (#"{"station":7,"values":{"rain":1}}"#, .malformedJSON, #"object 2 of 2: "station" must be the station code, not the number 7"#),
        (#"{"station":"PY-A"}"#, .malformedJSON, #"object 2 of 2 (PY-A): "values" must be an object of metric: number, missing"#),
        (#"{"station":"PY-A","values":[1,2]}"#, .malformedJSON, #"object 2 of 2 (PY-A): "values" must be an object of metric: number, not an array"#),
        (#"{"station":"PY-A","values":{}}"#, .missingValue, #"object 2 of 2 (PY-A): "values" is empty"#),
        (#"{"station":"PY-A","values":{"rain":1},"units":"mm"}"#, .malformedJSON, #"object 2 of 2 (PY-A): "units" must be an object of metric: unit, not a string ('mm')"#),
        (#"{"station":"PY-A","values":{"rain":1},"units":{"rain":5}}"#, .malformedValue, "object 2 of 2 (PY-A/rain): unit must be a string, not the number 5"),
        (#"{"station":"PY-XYZ","values":{"rain":1}}"#, .unknownStation, "object 2 of 2 (PY-XYZ/rain): unknown station PY-XYZ"),
        (#"{"station":"PY-B","values":{"water_level":1}}"#, .wrongGateway, "object 2 of 2 (PY-B/water_level): station PY-B belongs to gateway GW-2, not GW-1"),
        (#"{"station":"PY-A","values":{"snow":1}}"#, .unknownMetric, "object 2 of 2 (PY-A/snow): station PY-A has no sensor for metric snow"),
        (#"{"station":"PY-A","values":{"water_level":1},"units":{"water_level":"kg"}}"#, .unitMismatch, "object 2 of 2 (PY-A/water_level): unit kg, expected m (no conversion from kg to m)"),
        (#"{"station":"PY-A","values":{"water_level":120}}"#, .outOfRange, "object 2 of 2 (PY-A/water_level): value 120 m outside the valid range -5…50 m"),
        (#"{"station":"PY-A","values":{"water_level":12000},"units":{"water_level":"cm"}}"#, .outOfRange, "object 2 of 2 (PY-A/water_level): value 12000 cm = 120 m outside the valid range -5…50 m"),
        ("12", .malformedJSON, "object 2 of 2: expected an object, not the number 12"),
    ])
    func objectProblemsKeepTheOtherObjects(object: String, kind: RejectionKind, reason: String) {
        let message = Fixture.decode(Fixture.json, #"[{"station":"PY-A","values":{"rain":9}},\#(object)]"#)
        #expect(message.simple == [R(7, now, 9)])
        #expect(message.rejections == [Rejection(kind, reason)])
    }

    @Test(arguments: [
        ("[]", RejectionKind.missingValue, "the array has no objects"),
        ("7", .malformedJSON, "expected an object {\"station\":…,\"ts\":…,\"values\":{…}} or an array of them, not the number 7"),
        (#"{"station":"PY-A","values":{"rain":1}"#, .malformedJSON, "malformed JSON"),
    ])
    func wholeMessageRejections(payload: String, kind: RejectionKind, reason: String) {
        let message = Fixture.decode(Fixture.json, payload)
        #expect(message.readings.isEmpty)
        #expect(message.kinds == [kind])
        #expect(message.reasons.first?.hasPrefix(reason) == true, "\(message.reasons)")
    }

    @Test func tooManyValuesAreRejectedWhole() {
        let values = (0..<6).map { "\"m\($0)\":1" }.joined(separator: ",")
        let payload = #"[{"station":"PY-A","values":{\#(values)}},{"station":"PY-A","values":{\#(values)}}]"#
        let message = Fixture.decode(Fixture.json, payload, limits: IngestLimits(maxRecords: 10))
        #expect(message.readings.isEmpty)
        #expect(message.rejections == [Rejection(.packTooLarge, "message has 12 values, more than the 10 allowed; split it")])
    }

    @Test func unknownFieldsAreIgnored() {
        let message = Fixture.decode(Fixture.json, #"{"station":"PY-A","seq":17,"fw":"1.2","values":{"rain":1}}"#)
        #expect(message.simple == [R(7, now, 1)])
    }
}
