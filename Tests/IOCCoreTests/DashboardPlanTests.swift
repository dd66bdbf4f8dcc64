import IOCCore
import Testing

@Suite("History plans, station cursors and alarm level standings")
struct DashboardPlanTests {
    static let minute: Int64 = 60_000_000
    static let hour: Int64 = 3_600_000_000
    static let day: Int64 = 86_400_000_000

    static func time(_ text: String) -> Timestamp { Timestamp(rfc3339: text)! }

    @Test("auto picks the finest step that keeps a series at or under 2000 buckets", arguments: [
        (hour, HistoryStep.minute),
        (2_000 * minute, .minute),
        (2_000 * minute + 1, .hour),
        (30 * day, .hour),
        (2_000 * hour, .hour),
        (2_000 * hour + 1, .day),
        (400 * day, .day),
    ])
    func automaticStep(range: Int64, expected: HistoryStep) {
        #expect(HistoryPlan.automaticStep(rangeMicroseconds: range) == expected)
    }

    static let refusals: [(String?, String?, String?, String?, String, String)] = [
        (nil, "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", nil, "sensor", "required"),
        ("12,x", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", nil, "sensor", "'x'"),
        ("0", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", nil, "sensor", "'0'"),
        ((1...51).map(String.init).joined(separator: ","), "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", nil, "sensor", "at most 50"),
        ("1", nil, "2026-01-02T00:00:00Z", nil, "from", "required"),
        ("1", "yesterday", "2026-01-02T00:00:00Z", nil, "from", "'yesterday'"),
        ("1", "2026-01-01T00:00:00Z", nil, nil, "to", "required"),
        ("1", "2026-01-02T00:00:00Z", "2026-01-01T00:00:00Z", nil, "to", "later than from"),
        ("1", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", nil, "to", "later than from"),
        ("1", "2025-01-01T00:00:00Z", "2026-02-06T00:00:00Z", nil, "to", "at most 400 days"),
        ("1", "2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z", "5m", "step", "'5m'"),
        ("1", "2026-01-01T00:00:00Z", "2026-01-03T00:00:01Z", "raw", "step", "at most 2 days"),
        ("1", "2026-01-01T00:00:00Z", "2026-01-21T00:00:00Z", "1m", "step", "28800 buckets"),
    ]

    @Test("bad requests name the parameter to fix", arguments: refusals)
    func refused(sensors: String?, from: String?, to: String?, step: String?, field: String, says: String) {
        guard case .failure(let error) = HistoryPlan.parse(sensors: sensors, from: from, to: to, step: step) else {
            Issue.record("accepted sensors=\(sensors ?? "nil") from=\(from ?? "nil") to=\(to ?? "nil") step=\(step ?? "nil")")
            return
        }
        #expect(error.field == field)
        #expect(error.message.contains(says), "\(error.message)")
    }

    @Test("a valid request: ids deduplicated in order, step resolved, bounds aligned to whole buckets")
    func accepted() throws {
        let plan = try HistoryPlan.parse(sensors: "7, 3,7", from: "2026-01-01T17:17:30+07:00", to: "2026-01-01T12:00:00Z", step: "1h").get()
        #expect(plan.sensorIDs == [7, 3])
        #expect(plan.step == .hour && !plan.automatic)
        #expect(plan.lowerBound == Self.time("2026-01-01T10:00:00Z"))
        #expect(plan.upperBound == Self.time("2026-01-01T12:00:00Z"))

        let later = try HistoryPlan.parse(sensors: "1", from: "2026-01-01T10:00:00Z", to: "2026-01-01T12:00:00.5Z", step: "1h").get()
        #expect(later.upperBound == Self.time("2026-01-01T13:00:00Z"))

        let daily = try HistoryPlan.parse(sensors: "1", from: "2025-03-01T05:00:00Z", to: "2026-01-01T00:00:00Z", step: nil).get()
        #expect(daily.step == .day && daily.automatic)
        #expect(daily.lowerBound == Self.time("2025-03-01T00:00:00Z"))

        let raw = try HistoryPlan.parse(sensors: "1", from: "2026-01-01T10:00:07Z", to: "2026-01-02T10:00:00Z", step: "raw").get()
        #expect(raw.lowerBound == raw.from && raw.upperBound == raw.to)

        let limit = try HistoryPlan.parse(sensors: (1...50).map(String.init).joined(separator: ","), from: "2025-01-01T00:00:00Z",
                                          to: "2026-02-05T00:00:00Z", step: "auto").get()
        #expect(limit.sensorIDs.count == 50 && limit.step == .day)
    }

    @Test("cursors round-trip any station code, and text that is no cursor is refused", arguments: [
        "PY-SBA-PHULAM", "Trạm sông Ba ?>", "a", "~~~~", "\u{10FFFF}",
    ])
    func cursorRoundTrip(code: String) throws {
        let encoded = StationCursor(afterCode: code).encoded
        #expect(encoded.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" })
        #expect(StationCursor(encoded: encoded)?.afterCode == code)
    }

    @Test("not cursors", arguments: ["", "a", "_w", "ab/c", "a+b", "====", "gA==", String(repeating: "A", count: 1025)])
    func notCursors(text: String) {
        #expect(StationCursor(encoded: text) == nil)
    }

    @Test("water levels against alarm levels I 1.7, II 2.7, III 3.7", arguments: [
        (1.0, nil, "I", 0.7),
        (1.7, "I", "II", 1.0),
        (2.9, "II", "III", 0.8),
        (3.7, "III", nil, nil),
        (5.0, "III", nil, nil),
    ] as [(Double, String?, String?, Double?)])
    func standing(value: Double, reached: String?, next: String?, margin: Double?) throws {
        let standing = try #require(AlarmLevelStanding(value: value, thresholds: [1.7, 2.7, 3.7]))
        #expect(standing.reachedLevel == reached)
        #expect(standing.nextLevel == next)
        if let margin {
            #expect(abs(standing.marginToNext! - margin) < 1e-9)
        } else {
            #expect(standing.marginToNext == nil)
        }
    }

    @Test("thresholds that are not three increasing levels give no standing")
    func invalidThresholds() {
        #expect(AlarmLevelStanding(value: 1, thresholds: [1, 2]) == nil)
        #expect(AlarmLevelStanding(value: 1, thresholds: [1, 3, 2]) == nil)
        #expect(AlarmLevelStanding(value: 1, thresholds: [1, 1, 2]) == nil)
    }

    @Test("the worse standing: a higher level, then closer to the next level, then further above III")
    func ordering() throws {
        func s(_ value: Double, _ levels: [Double] = [1.7, 2.7, 3.7]) -> AlarmLevelStanding { AlarmLevelStanding(value: value, thresholds: levels)! }
        #expect(s(2.8).isWorse(than: s(2.6)))
        #expect(!s(2.6).isWorse(than: s(2.8)))
        // Both at II: 0.1 below III is worse than 0.5 below another station's III.
        #expect(s(3.6).isWorse(than: s(7.5, [5, 7, 8])))
        #expect(s(4.5).isWorse(than: s(3.9)))
        #expect(!s(2.0).isWorse(than: s(2.0)))
    }
}
