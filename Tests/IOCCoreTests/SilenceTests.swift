import Foundation
import IOCCore
import Testing

@Suite("Silences: which alerts a maintenance window mutes, and when")
struct SilenceTests {
    static let t0 = Timestamp(seconds: 1_780_000_000)
    static let subject = Silence.Subject(
        rule: "Báo động lũ", station: "PY-SBA-CUNGSON", metric: "water_level",
        unitPath: ["PY-SONHOA", "PY"], labels: ["team": "pctt", "river": "Ba"])

    static func silence(_ matchers: Silence.Matchers, from: Double = -60, to: Double = 3600) -> Silence {
        Silence(matchers: matchers, startsAt: t0.adding(seconds: from), endsAt: t0.adding(seconds: to), createdBy: "Bình")
    }

    @Test("every given matcher must hold; those left out match anything", arguments: [
        (Silence.Matchers(station: "PY-SBA-CUNGSON"), true),
        (Silence.Matchers(station: "PY-SBA-PHULAM"), false),
        (Silence.Matchers(rule: "Báo động lũ", metric: "water_level"), true),
        (Silence.Matchers(rule: "Mưa lớn"), false),
        (Silence.Matchers(metric: "rain"), false),
        (Silence.Matchers(unit: "PY"), true),
        (Silence.Matchers(unit: "PY-SONHOA"), true),
        (Silence.Matchers(unit: "PY-TUYHOA"), false),
        (Silence.Matchers(labels: ["team": "pctt"]), true),
        (Silence.Matchers(labels: ["team": "pctt", "river": "Ba"]), true),
        (Silence.Matchers(labels: ["team": "giao-thong"]), false),
        (Silence.Matchers(labels: ["missing": "x"]), false),
        (Silence.Matchers(station: "PY-SBA-CUNGSON", unit: "PY-TUYHOA"), false),
        (Silence.Matchers(), false),
        (Silence.Matchers(labels: [:]), false),
    ])
    func matching(matchers: Silence.Matchers, expected: Bool) {
        #expect(Self.silence(matchers).matches(Self.subject) == expected)
    }

    @Test("active from its start (inclusive) to its end (exclusive)", arguments: [
        (-61.0, false), (-60.0, true), (0.0, true), (3599.0, true), (3600.0, false),
    ])
    func window(offset: Double, expected: Bool) {
        let silence = Self.silence(.init(station: "PY-SBA-CUNGSON"))
        #expect(silence.suppresses(Self.subject, at: Self.t0.adding(seconds: offset)) == expected)
    }

    @Test("problems name the field", arguments: [
        (Silence.Matchers(), 0.0, 10.0, "Bình", "matchers"),
        (Silence.Matchers(station: " "), 0.0, 10.0, "Bình", "matchers.station"),
        (Silence.Matchers(station: "X"), 10.0, 10.0, "Bình", "ends_at"),
        (Silence.Matchers(station: "X"), 0.0, 10.0, "", "created_by"),
    ])
    func problems(matchers: Silence.Matchers, from: Double, to: Double, by: String, field: String) {
        let silence = Silence(matchers: matchers, startsAt: Self.t0.adding(seconds: from), endsAt: Self.t0.adding(seconds: to), createdBy: by)
        #expect(silence.problems.map(\.field) == [field])
    }

    @Test("a valid silence has no problems and round-trips through JSON with RFC 3339 times")
    func valid() throws {
        let silence = Self.silence(.init(unit: "PY-SONHOA", labels: ["team": "pctt"]))
        #expect(silence.problems.isEmpty)
        let json = try JSONEncoder().encode(silence)
        #expect(String(decoding: json, as: UTF8.self).contains(#""starts_at":"2026-05-28T"#))
        #expect(try JSONDecoder().decode(Silence.self, from: json) == silence)
    }
}
