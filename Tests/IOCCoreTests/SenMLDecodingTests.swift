import Foundation
import IOCCore
import Testing

/// RFC 8428 §5.1 examples, verbatim.
enum RFC8428 {
    /// §5.1.1 Single Datapoint.
    static let singleDatapoint = """
        [
          {"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}
        ]
        """

    /// §5.1.2 Multiple Datapoints.
    static let multipleDatapoints = """
        [
          {"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},
          {"n":"current","u":"A","v":1.2}
        ]
        """

    /// §5.1.3 Multiple Measurements: base time, base unit, relative times.
    static let multipleMeasurements = """
        [
          {"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,
           "bu":"A","bver":5,
           "n":"voltage","u":"V","v":120.1},
          {"n":"current","t":-5,"v":1.2},
          {"n":"current","t":-4,"v":1.3},
          {"n":"current","t":-3,"v":1.4},
          {"n":"current","t":-2,"v":1.5},
          {"n":"current","t":-1,"v":1.6},
          {"n":"current","v":1.7}
        ]
        """

    /// §5.1.5 Multiple Data Types.
    static let multipleDataTypes = """
        [
          {"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},
          {"n":"label","vs":"Machine Room"},
          {"n":"open","vb":false},
          {"n":"nfv-reader","vd":"aGkgCg"}
        ]
        """

    /// The same packs with the device name ending in "/" (IOC's station/metric convention).
    static func withSlash(_ pack: String) -> String {
        pack.replacingOccurrences(of: "63:\"", with: "63/\"")
            .replacingOccurrences(of: "06:\"", with: "06/\"")
            .replacingOccurrences(of: "\"urn:dev:ow:10e2073a01080063\"", with: "\"urn:dev:ow:10e2073a01080063/temp\"")
    }

    /// Just after the §5.1.3 measurements, so none of them is too old or in the future.
    static let receivedAt = Timestamp(seconds: 1_276_020_080)
}

@Suite("SenML decoding")
struct SenMLDecodingTests {
    @Test func singleDatapointUsesTheTimeOfReceipt() {
        let message = Fixture.decode(Fixture.senml, RFC8428.withSlash(RFC8428.singleDatapoint))
        #expect(message.simple == [R(40, Fixture.now.microseconds, 23.1)])
        #expect(message.rejections.isEmpty)
        #expect(message.gateway == "GW-1")
    }

    @Test func multipleDatapointsShareTheBaseName() {
        let message = Fixture.decode(Fixture.senml, RFC8428.withSlash(RFC8428.multipleDatapoints))
        #expect(message.simple == [R(41, Fixture.now.microseconds, 120.1), R(42, Fixture.now.microseconds, 1.2)])
        #expect(message.rejections.isEmpty)
    }

    /// Matches the resolved records of RFC 8428 §5.1.4.
    @Test func multipleMeasurementsResolveBaseTimeAndUnit() {
        let message = Fixture.decode(Fixture.senml, RFC8428.withSlash(RFC8428.multipleMeasurements), at: RFC8428.receivedAt)
        #expect(message.rejections.isEmpty, "\(message.reasons)")
        #expect(message.simple == [
            R(50, 1_276_020_076_001_000, 120.1),
            R(51, 1_276_020_071_001_000, 1.2),
            R(51, 1_276_020_072_001_000, 1.3),
            R(51, 1_276_020_073_001_000, 1.4),
            R(51, 1_276_020_074_001_000, 1.5),
            R(51, 1_276_020_075_001_000, 1.6),
            R(51, 1_276_020_076_001_000, 1.7),
        ])
    }

    @Test func multipleDataTypesKeepTheNumberAndRejectTheRest() {
        let message = Fixture.decode(Fixture.senml, RFC8428.withSlash(RFC8428.multipleDataTypes))
        #expect(message.simple == [R(40, Fixture.now.microseconds, 23.1)])
        #expect(message.kinds == [.nonNumeric, .nonNumeric, .nonNumeric])
        #expect(message.reasons == [
            "record 2 of 4 (urn:dev:ow:10e2073a01080063/label): string value (vs) is not stored in numeric series",
            "record 3 of 4 (urn:dev:ow:10e2073a01080063/open): boolean value (vb) is not stored in numeric series",
            "record 4 of 4 (urn:dev:ow:10e2073a01080063/nfv-reader): data value (vd) is not stored in numeric series",
        ])
    }

    /// Verbatim RFC names have no "/" between device and measurement, so IOC cannot tell the
    /// station from the metric; every record says so.
    @Test(arguments: [
        (RFC8428.singleDatapoint, 1, "urn:dev:ow:10e2073a01080063"),
        (RFC8428.multipleDatapoints, 2, "urn:dev:ow:10e2073a01080063:voltage"),
        (RFC8428.multipleMeasurements, 7, "urn:dev:ow:10e2073a0108006:voltage"),
    ])
    func verbatimRFCNamesHaveNoStation(pack: String, records: Int, firstName: String) {
        let message = Fixture.decode(Fixture.senml, pack, at: RFC8428.receivedAt)
        #expect(message.readings.isEmpty)
        #expect(message.kinds == Array(repeating: .unknownStation, count: records))
        #expect(message.reasons.first == "record 1 of \(records) (\(firstName)): name '\(firstName)' has no '/' between station and metric; use bn \"STATION/\" and n \"metric\"")
    }

    @Test func theNameSplitsAtTheFirstSlash() {
        let pack = """
            [{"bn":"PY-A/","n":"water_level","v":1},
             {"bn":"PY","n":"-A/rain_1h","v":2},
             {"bn":"PY-A/wind","n":"_speed","v":3},
             {"bn":"","n":"PY-A/pm2_5","v":4},
             {"bn":"PY-A/water_level","v":5},
             {"bn":"PY-A/water_level/x","v":6}]
            """
        let message = Fixture.decode(Fixture.senml, pack)
        let now = Fixture.now.microseconds
        #expect(message.simple == [R(1, now, 1), R(2, now, 2), R(4, now, 3), R(3, now, 4), R(1, now, 5)])
        #expect(message.reasons == ["record 6 of 6 (PY-A/water_level/x): station PY-A has no sensor for metric water_level/x"])
    }

    /// RFC 8428 §4.5.3: below 2^28 a resolved time is relative to now; at or above it, absolute.
    @Test(arguments: [
        (#"{"n":"PY-A/rain","v":1}"#, Int64(0), RejectionKind?.none),
        (#"{"n":"PY-A/rain","t":0,"v":1}"#, 0, nil),
        (#"{"n":"PY-A/rain","t":-60,"v":1}"#, -60_000_000, nil),
        (#"{"n":"PY-A/rain","t":-0.25,"v":1}"#, -250_000, nil),
        (#"{"bt":-120,"n":"PY-A/rain","t":60,"v":1}"#, -60_000_000, nil),
        (#"{"n":"PY-A/rain","t":120,"v":1}"#, 120_000_000, nil),
        (#"{"n":"PY-A/rain","t":1000,"v":1}"#, 0, .futureTimestamp),
        (#"{"n":"PY-A/rain","t":-86400,"v":1}"#, -86_400_000_000, nil),
        (#"{"n":"PY-A/rain","t":268435455,"v":1}"#, 0, .futureTimestamp),
        (#"{"n":"PY-A/rain","t":268435456,"v":1}"#, 0, .tooOld),
        (#"{"n":"PY-A/rain","t":1748762940.5,"v":1}"#, -59_500_000, nil),
        (#"{"bt":1748762000,"n":"PY-A/rain","t":940.000001,"v":1}"#, -59_999_999, nil),
    ])
    func relativeAndAbsoluteTimes(record: String, offsetMicros: Int64, rejection: RejectionKind?) {
        let message = Fixture.decode(Fixture.senml, "[\(record)]")
        if let rejection {
            #expect(message.kinds == [rejection])
        } else {
            #expect(message.simple == [R(7, Fixture.now.microseconds + offsetMicros, 1)], "\(message.reasons)")
        }
    }

    @Test func baseFieldsCarryOverUntilReplaced() {
        let pack = """
            [{"bn":"PY-A/","bt":1748762000,"bu":"cm","bv":100,"n":"water_level","v":31},
             {"n":"water_level","t":60,"v":-1},
             {"bn":"PY-SBA-PHULAM/","n":"water_level","t":120,"v":50},
             {"n":"rain","bu":"mm","bv":0,"v":7,"t":180},
             {"n":"rain","u":"cm","v":1.5,"t":240},
             {"bn":"PY-A/","n":"rain","bs":10,"s":2.5,"t":300},
             {"n":"rain","s":1,"t":360},
             {"bt":1748762500,"n":"rain","v":3}]
            """
        let message = Fixture.decode(Fixture.senml, pack)
        #expect(message.rejections.isEmpty, "\(message.reasons)")
        let bt: Int64 = 1_748_762_000_000_000
        #expect(message.simple == [
            R(1, bt, 1.31),
            R(1, bt + 60_000_000, 0.99),
            R(30, bt + 120_000_000, 1.5),
            R(31, bt + 180_000_000, 7),
            R(31, bt + 240_000_000, 15),
            R(7, bt + 300_000_000, 12.5),
            R(7, bt + 360_000_000, 11),
            R(7, 1_748_762_500_000_000, 3),
        ])
        #expect(message.conversions == 4)
    }

    /// Keys may be written with escapes, and rare keys may appear in any record: the fast paths
    /// that look at the bytes first must not miss them.
    @Test(arguments: [
        (#"[{"n":"PY-A/rain","\u0076":2}]"#, 2.0),
        (#"[{"n":"PY-A/rain","b\u0076":1,"v":1}]"#, 2),
        (#"[{"n":"PY-A/rain","v":1},{"n":"PY-A/rain","bv":1,"v":1}]"#, 2),
        (#"[{"n":"PY-A/rain","v":1},{"n":"PY-A/rain","bs":1,"s":1}]"#, 2),
        (#"[{"n":"PY-A/rain","v":1},{"n":"PY-A/rain", "s" :2}]"#, 2),
        (#"[{"n":"PY-A/rain","v":1},{"bver":10,"n":"PY-A/rain","v":2}]"#, 2),
        (#"[{"n":"PY-A/rain","v":1,"ext":{"x_":1}},{"n":"PY-A/rain","v":2}]"#, 2),
        (#"[{"n":"PY-A/x_","v":1},{"n":"PY-A/rain","v":2}]"#, 2),
    ])
    func rareAndEscapedKeys(pack: String, lastValue: Double) {
        let message = Fixture.decode(Fixture.senml, pack)
        #expect(message.readings.last?.value == lastValue, "\(message.reasons)")
    }

    @Test func aRecordWithOnlyBaseFieldsIsNotAMeasurement() {
        let pack = #"[{"bn":"PY-A/","bt":1748762000},{"n":"rain","v":1},{"n":"rain","t":1,"v":2}]"#
        let message = Fixture.decode(Fixture.senml, pack)
        #expect(message.simple == [R(7, 1_748_762_000_000_000, 1), R(7, 1_748_762_001_000_000, 2)])
        #expect(message.rejections.isEmpty)
    }

    @Test func aLoneRecordObjectIsAcceptedAsAPack() {
        let message = Fixture.decode(Fixture.senml, #"{"n":"PY-A/rain","v":4}"#)
        #expect(message.simple == [R(7, Fixture.now.microseconds, 4)])
    }

    @Test func partlyBadPackKeepsItsGoodRecords() {
        let pack = """
            [{"bn":"PY-A/","n":"water_level","v":2.31},
             {"n":"water_level","v":120},
             {"n":"rain","v":-3},
             {"n":"nope","v":1},
             {"n":"rain_1h","u":"degF","v":1},
             {"bn":"PY-XYZ/","n":"water_level","v":1},
             {"bn":"PY-B/","n":"water_level","v":1},
             {"bn":"PY-A/","n":"rain","v":0.5,"t":-30},
             {"n":"pm2_5","vs":"high"},
             {"n":"pm2_5"},
             {"n":"pm2_5","v":"35"},
             {"n":"rain","t":10800,"v":1},
             {"n":"rain_1h","v":12.5}]
            """
        let message = Fixture.decode(Fixture.senml, pack)
        let now = Fixture.now.microseconds
        #expect(message.simple == [R(1, now, 2.31), R(7, now, -3), R(7, now - 30_000_000, 0.5), R(2, now, 12.5)])
        #expect(message.reasons == [
            "record 2 of 13 (PY-A/water_level): value 120 m outside the valid range -5…50 m",
            "record 4 of 13 (PY-A/nope): station PY-A has no sensor for metric nope",
            "record 5 of 13 (PY-A/rain_1h): unit degF, expected mm (no conversion from degF to mm)",
            "record 6 of 13 (PY-XYZ/water_level): unknown station PY-XYZ",
            "record 7 of 13 (PY-B/water_level): station PY-B belongs to gateway GW-2, not GW-1",
            "record 9 of 13 (PY-A/pm2_5): string value (vs) is not stored in numeric series",
            "record 10 of 13 (PY-A/pm2_5): no value (v or s)",
            "record 11 of 13 (PY-A/pm2_5): v must be a number, not a string ('35')",
            "record 12 of 13 (PY-A/rain): timestamp 3 h in the future (2025-06-01T10:30:00Z, received 2025-06-01T07:30:00Z)",
        ])
        #expect(message.kinds == [.outOfRange, .unknownMetric, .unitMismatch, .unknownStation, .wrongGateway, .nonNumeric, .missingValue, .nonNumeric, .futureTimestamp])
    }

    /// Problems that make the whole pack unusable: one rejection, no readings.
    @Test(arguments: [
        (#"[{"bn":"PY-A/","bver":11,"n":"rain","v":1}]"#, RejectionKind.unsupportedVersion, "record 1 of 1: SenML version 11 is newer than 10, the newest this server reads"),
        (#"[{"n":"PY-A/rain","v":1},{"bver":12,"n":"PY-A/rain","v":1}]"#, .unsupportedVersion, "record 2 of 2: SenML version 12 is newer than 10"),
        (#"[{"bver":2.5,"n":"PY-A/rain","v":1}]"#, .unsupportedVersion, "bver must be a positive integer, not the number 2.5"),
        (#"[{"n":"PY-A/rain","v":1},{"n":"PY-A/rain","v":2,"foo_":1}]"#, .unsupportedVersion, "record 2 of 2: field 'foo_' must be understood"),
        (#"[{"n":"PY-A/rain","v":1},{"bn":5,"n":"rain","v":2}]"#, .malformedJSON, "record 2 of 2: base field bn must be a string, not the number 5"),
        (#"[{"bt":"yesterday","n":"PY-A/rain","v":1}]"#, .malformedJSON, "base field bt must be a number of seconds, not a string ('yesterday')"),
        (#"[{"n":"PY-A/rain","v":1},"#, .malformedJSON, "malformed JSON"),
        (#"{"a":1"#, .malformedJSON, "malformed JSON"),
        ("", .malformedJSON, "malformed JSON: the payload is empty"),
        ("  \n", .malformedJSON, "malformed JSON: the payload is only white space"),
        ("42", .malformedJSON, "expected a SenML pack (a JSON array of records), not the number 42"),
        (#""PY-A/rain""#, .malformedJSON, "expected a SenML pack (a JSON array of records), not a string ('PY-A/rain')"),
        ("null", .malformedJSON, "expected a SenML pack (a JSON array of records), not null"),
        (#"[{"n":"PY-A/rain","v":1e400},{"n":"PY-A/rain","v":1}"#, .malformedJSON, "malformed JSON: Unexpected end of file"),
        ("[]", .missingValue, "the pack has no records with a value"),
        (#"[{"bn":"PY-A/"}]"#, .missingValue, "the pack has no records with a value"),
    ])
    func wholePackRejections(pack: String, kind: RejectionKind, reason: String) {
        let message = Fixture.decode(Fixture.senml, pack)
        #expect(message.readings.isEmpty)
        #expect(message.kinds == [kind])
        #expect(message.reasons.first?.contains(reason) == true, "\(message.reasons)")
    }

    @Test func malformedJSONSaysWhere() {
        let message = Fixture.decode(Fixture.senml, #"[{"n":"PY-A/rain","v" 2}]"#)
        #expect(message.kinds == [.malformedJSON])
        #expect(message.reasons.first?.contains("character") == true, "\(message.reasons)")
        #expect(message.reasons.first?.contains("near") == true, "\(message.reasons)")
    }

    /// Problems confined to one record: that record is rejected, the rest is kept.
    @Test(arguments: [
        (#"{"n":5,"v":1}"#, RejectionKind.malformedValue, "record 1 of 2: n must be a string, not the number 5"),
        (#"{"n":"PY-A/rain","v":true}"#, .nonNumeric, "v must be a number, not a boolean (true)"),
        (#"{"n":"PY-A/rain","v":[1]}"#, .malformedValue, "v must be a number, not an array"),
        (#"{"n":"PY-A/rain","v":1e400}"#, .malformedValue, "v is a number beyond the range of a double"),
        (#"{"n":"PY-A/rain","s":-1e-400}"#, .malformedValue, "s is a number beyond the range of a double"),
        (#"{"n":"PY-A/rain","v":"NaN"}"#, .nonFinite, "value NaN"),
        (#"{"n":"PY-A/rain","v":"-Infinity"}"#, .nonFinite, "value -inf"),
        (#"{"n":"PY-A/rain","v":null}"#, .missingValue, "no value (v or s)"),
        (#"{"n":"PY-A/rain","s":"x"}"#, .nonNumeric, "s must be a number, not a string ('x')"),
        (#"{"n":"PY-A/rain","v":1,"vs":"1"}"#, .malformedValue, "not several"),
        (#"{"n":"PY-A/rain","t":"now","v":1}"#, .badTimestamp, "t must be a number of seconds, not a string ('now')"),
        (#"{"n":"PY-A/rain","t":1e300,"v":1}"#, .badTimestamp, "outside the years 0001–9999"),
        (#"{"n":"PY-A/rain","t":-1e300,"v":1}"#, .badTimestamp, "time -1e+300 s after receipt is outside the years 0001–9999"),
        (#"{"n":"PY-A/rain","u":7,"v":1}"#, .malformedValue, "u must be a string, not the number 7"),
        (#"{"n":"PY-A/","v":1}"#, .unknownMetric, "the name has no metric after '/'"),
        (#"{"n":"/rain","v":1}"#, .unknownStation, "the name has no station before '/'"),
        (#"{"n":"PY-C/water_level","v":1}"#, .wrongGateway, "station PY-C is not assigned to any gateway, so GW-1 may not report it"),
        (#"{"bv":1.7976931348623157e308,"n":"PY-A/rain","v":1.7976931348623157e308}"#, .nonFinite, "value inf"),
        (#"{"n":"PY-A/rain","t":-34560001,"v":1}"#, .tooOld, "timestamp 2024-04-27T07:29:59Z is 400 days old, beyond the 400-day retention"),
        (#"7"#, .malformedJSON, "record 1 of 2: a record is a JSON object, not the number 7"),
        (#"{}"#, .unknownStation, "name '' has no '/'"),
    ])
    func recordRejections(record: String, kind: RejectionKind, reason: String) {
        // The last record resets bv, which one case sets.
        let message = Fixture.decode(Fixture.senml, "[\(record),{\"n\":\"PY-A/rain\",\"bv\":0,\"v\":9}]")
        #expect(message.simple == [R(7, Fixture.now.microseconds, 9)])
        #expect(message.kinds == [kind], "\(message.reasons)")
        #expect(message.reasons.first?.contains(reason) == true, "\(message.reasons)")
    }

    @Test func packsOverTheRecordLimitAreRejectedWhole() {
        func pack(_ count: Int) -> String {
            "[" + Array(repeating: #"{"n":"PY-A/rain","v":1}"#, count: count).joined(separator: ",") + "]"
        }
        let limits = IngestLimits(maxRecords: 10)
        let tooMany = Fixture.decode(Fixture.senml, pack(11), limits: limits)
        #expect(tooMany.readings.isEmpty)
        #expect(tooMany.rejections == [Rejection(.packTooLarge, "pack has 11 records, more than the 10 allowed; split it")])
        let justEnough = Fixture.decode(Fixture.senml, pack(10), limits: limits)
        #expect(justEnough.readings.count == 10)
    }

    @Test func unitSpellingsAreNotConversions() {
        let pack = #"[{"bn":"PY-A/","n":"pm2_5","u":"µg/m³","v":35},{"n":"pm2_5","u":"mg/m3","v":0.035},{"n":"temperature","u":"°C","v":31}]"#
        let message = Fixture.decode(Fixture.senml, pack)
        #expect(message.simple.map(\.value) == [35, 35, 31])
        #expect(message.conversions == 1)
    }
}
