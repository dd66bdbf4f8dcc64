import Foundation
import IOCCore
import Testing

@Suite("On-call rotas: who is on call, validation and the JSON form")
struct RotaTests {
    static func time(_ text: String) -> Timestamp {
        guard let time = Timestamp(rfc3339: text) else { fatalError("bad test time \(text)") }
        return time
    }

    /// Weekly from Monday 2 November 2026, handing off at 08:00 Vietnam time (01:00Z).
    static let weekly = Rota(name: "Trực ban PCTT", members: ["An", "Bình", "Chi"], rotationHours: 168,
                             handoffTime: "08:00", startDate: "2026-11-02")

    static func rota(_ hours: Int, _ members: [String], at handoff: String, from start: String, in zone: String = Rota.vietnam) -> Rota {
        Rota(name: "r", members: members, rotationHours: hours, handoffTime: handoff, timeZone: zone, startDate: start)
    }

    static func override(_ member: String, _ from: String, _ to: String) -> Rota.Override {
        Rota.Override(member: member, from: time(from), to: time(to))
    }

    static let withOverrides: Rota = {
        var rota = weekly
        rota.overrides = [
            override("Em", "2026-11-12T00:00:00Z", "2026-11-13T00:00:00Z"),
            override("Dũng", "2026-11-10T08:00:00+07:00", "2026-11-17T08:00:00+07:00"),
            override("Giang", "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"),
            override("Hà", "2026-11-20T00:00:00Z", "2026-11-20T12:00:00Z"),
            override("Khánh", "2026-10-01T00:00:00Z", "2026-10-02T00:00:00Z"),
        ]
        return rota
    }()

    @Test("who is on call", arguments: [
        (weekly, "2026-11-02T01:00:00Z", "An", "the first hand-off, 08:00 +07:00"),
        (weekly, "2026-10-01T00:00:00Z", "An", "before the start, members[0]"),
        (weekly, "2026-11-09T00:59:59Z", "An", "one second before the second hand-off"),
        (weekly, "2026-11-09T01:00:00Z", "Bình", "the second hand-off"),
        (weekly, "2026-11-09T08:00:00+07:00", "Bình", "the same instant written in local time"),
        (weekly, "2026-11-15T23:59:59+07:00", "Bình", "late on Sunday, local time"),
        (weekly, "2026-11-16T01:00:00Z", "Chi", "a week later"),
        (weekly, "2026-11-23T01:00:00Z", "An", "back to the first member"),
        (weekly, "2099-12-28T00:59:59Z", "An", "far future: turn 3816"),
        (weekly, "2099-12-28T01:00:00Z", "Bình", "far future: turn 3817"),
        (rota(72, ["An", "Bình"], at: "07:30", from: "2026-11-02"), "2026-11-05T00:29:59Z", "An", "three-day turns"),
        (rota(72, ["An", "Bình"], at: "07:30", from: "2026-11-02"), "2026-11-05T00:30:00Z", "Bình", "three-day turns"),
        (rota(72, ["An", "Bình"], at: "07:30", from: "2026-11-02"), "2026-11-08T00:30:00Z", "An", "three-day turns"),
        (rota(12, ["An", "Bình", "Chi"], at: "07:00", from: "2026-11-02"), "2026-11-02T12:00:00Z", "Bình", "12-hour shifts"),
        (rota(12, ["An", "Bình", "Chi"], at: "07:00", from: "2026-11-02"), "2026-11-03T00:00:00Z", "Chi", "12-hour shifts"),
        (rota(12, ["An", "Bình", "Chi"], at: "07:00", from: "2026-11-02"), "2026-11-03T11:59:59Z", "Chi", "12-hour shifts"),
        (rota(12, ["An", "Bình", "Chi"], at: "07:00", from: "2026-11-02"), "2026-11-03T12:00:00Z", "An", "12-hour shifts"),
        (rota(24, ["An", "Bình"], at: "00:00", from: "2026-12-31"), "2026-12-31T16:59:59Z", "An", "midnight hand-off, 23:59:59 local"),
        (rota(24, ["An", "Bình"], at: "00:00", from: "2026-12-31"), "2026-12-31T17:00:00Z", "Bình", "midnight hand-off into the new year"),
        // Berlin moves to summer time on 29 March 2026: 08:00 is 07:00Z before it, 06:00Z after.
        (rota(24, ["A", "B"], at: "08:00", from: "2026-03-27", in: "Europe/Berlin"), "2026-03-28T07:00:00Z", "B", "daily, winter time"),
        (rota(24, ["A", "B"], at: "08:00", from: "2026-03-27", in: "Europe/Berlin"), "2026-03-29T05:59:59Z", "B", "just before 08:00 summer time"),
        (rota(24, ["A", "B"], at: "08:00", from: "2026-03-27", in: "Europe/Berlin"), "2026-03-29T06:00:00Z", "A", "08:00 summer time, not 24 h after the last hand-off"),
        (withOverrides, "2026-11-10T00:59:59Z", "Bình", "before the override"),
        (withOverrides, "2026-11-10T01:00:00Z", "Dũng", "an override wins from its start"),
        (withOverrides, "2026-11-12T06:00:00Z", "Em", "of two overrides, the one that started later wins, whatever the order listed"),
        (withOverrides, "2026-11-13T00:00:00Z", "Dũng", "an override ends at to, exclusive"),
        (withOverrides, "2026-11-17T01:00:00Z", "Chi", "the rotation resumes after the override"),
        (withOverrides, "2026-11-20T06:00:00Z", "Hà", "overrides starting together: the later listed wins"),
        (withOverrides, "2026-10-01T12:00:00Z", "Khánh", "an override before the start of the rota"),
    ] as [(Rota, String, String, String)])
    func onCall(rota: Rota, at: String, expected: String, why: String) {
        #expect(rota.onCall(at: Self.time(at)) == expected, "\(why)")
    }

    @Test("hand-offs and turns")
    func handoffs() {
        let rota = Self.weekly
        #expect(rota.handoff(0) == Self.time("2026-11-02T01:00:00Z"))
        #expect(rota.handoff(1) == Self.time("2026-11-09T08:00:00+07:00"))
        #expect(rota.handoff(-1) == Self.time("2026-10-26T01:00:00Z"))
        #expect(rota.turn(at: Self.time("2026-11-02T00:59:59Z")) == -1)
        #expect(rota.turn(at: Self.time("2026-11-02T01:00:00Z")) == 0)
        #expect(rota.turn(at: Self.time("2099-12-28T01:00:00Z")) == 3817)
    }

    @Test("a rota that does not validate has nobody on call, unless overridden", arguments: [
        (Rota(name: "r", members: [], startDate: "2026-11-02"), nil),
        (Rota(name: "r", members: ["An"], timeZone: "Mars/Olympus", startDate: "2026-11-02"), nil),
        (Rota(name: "r", members: ["An"], handoffTime: "8h", startDate: "2026-11-02"), nil),
        (Rota(name: "r", members: ["An"], startDate: "2026-02-30"), nil),
        (Rota(name: "r", members: ["An"], rotationHours: 0, startDate: "2026-11-02"), nil),
        (Rota(name: "r", members: [], startDate: "2026-11-02",
              overrides: [override("Dũng", "2026-11-01T00:00:00Z", "2026-11-30T00:00:00Z")]), "Dũng"),
    ] as [(Rota, String?)])
    func invalidOnCall(rota: Rota, expected: String?) {
        #expect(!rota.problems.isEmpty)
        #expect(rota.onCall(at: Self.time("2026-11-10T00:00:00Z")) == expected)
    }

    @Test("the JSON form of a rota")
    func jsonShape() throws {
        var rota = Self.weekly
        rota.id = 2
        rota.overrides = [Self.override("Dũng", "2026-11-10T08:00:00+07:00", "2026-11-11T08:00:00+07:00")]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(rota), as: UTF8.self)
        #expect(json == #"{"handoff_time":"08:00","id":2,"members":["An","Bình","Chi"],"name":"Trực ban PCTT","#
            + #""overrides":[{"from":"2026-11-10T01:00:00Z","member":"Dũng","to":"2026-11-11T01:00:00Z"}],"#
            + #""rotation_hours":168,"start_date":"2026-11-02","time_zone":"Asia\/Ho_Chi_Minh"}"#)
        #expect(try JSONDecoder().decode(Rota.self, from: Data(json.utf8)) == rota)
    }

    @Test("time_zone and overrides may be left out; override times may carry an offset")
    func defaults() throws {
        let json = #"""
        {"name":"Trực ban PCTT","members":["An","Bình","Chi"],"rotation_hours":168,"handoff_time":"08:00","start_date":"2026-11-02"}
        """#
        #expect(try JSONDecoder().decode(Rota.self, from: Data(json.utf8)) == Self.weekly)
        let override = #"{"member":"Dũng","from":"2026-11-10T08:00:00+07:00","to":"2026-11-11T01:00:00Z"}"#
        #expect(try JSONDecoder().decode(Rota.Override.self, from: Data(override.utf8))
            == Self.override("Dũng", "2026-11-10T01:00:00Z", "2026-11-11T01:00:00Z"))
    }

    @Test("an override time that is not RFC 3339 says so", arguments: [
        (#"{"member":"Dũng","from":"2026-11-10 08:00","to":"2026-11-11T01:00:00Z"}"#, "'2026-11-10 08:00' is not a time: expected RFC 3339"),
        (#"{"member":"Dũng","from":"2026-11-10T01:00:00Z","to":"2026-11-11T08:00:00"}"#, "no time zone; add Z (UTC) or an offset such as +07:00"),
    ])
    func badOverride(json: String, expected: String) {
        #expect {
            try JSONDecoder().decode(Rota.Override.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    static func weekly(_ change: (inout Rota) -> Void) -> Rota {
        var rota = weekly
        change(&rota)
        return rota
    }

    static let bad: [(Rota, field: String, message: String)] = [
        (weekly { $0.name = "" }, "name", "must not be empty"),
        (weekly { $0.members = [] }, "members", "must list at least one contact name"),
        (weekly { $0.members = ["An", "Bình", "An"] }, "members[2]", "'An' is listed twice"),
        (weekly { $0.members = ["An", " "] }, "members[1]", "must not be empty"),
        (weekly { $0.rotationHours = 0 }, "rotation_hours", "0 must be above 0: the length of a turn in hours"),
        (weekly { $0.rotationHours = -24 }, "rotation_hours", "-24 must be above 0"),
        (weekly { $0.handoffTime = "8:00" }, "handoff_time", "'8:00' is not a time of day; expected HH:mm on a 24-hour clock, like 08:00"),
        (weekly { $0.handoffTime = "24:00" }, "handoff_time", "'24:00' is not a time of day"),
        (weekly { $0.handoffTime = "08:60" }, "handoff_time", "'08:60' is not a time of day"),
        (weekly { $0.handoffTime = "08:00:00" }, "handoff_time", "is not a time of day"),
        (weekly { $0.timeZone = "ICT" }, "time_zone", "'ICT' is not a time zone; use an IANA identifier like Asia/Ho_Chi_Minh"),
        (weekly { $0.timeZone = "" }, "time_zone", "is not a time zone"),
        (weekly { $0.startDate = "2026-02-29" }, "start_date", "'2026-02-29' is not a date; expected YYYY-MM-DD"),
        (weekly { $0.startDate = "02/11/2026" }, "start_date", "is not a date"),
        (weekly { $0.startDate = "2026-11-2" }, "start_date", "is not a date"),
        (weekly { $0.startDate = "2026-13-01" }, "start_date", "is not a date"),
        (weekly { $0.overrides = [override("", "2026-11-10T00:00:00Z", "2026-11-11T00:00:00Z")] }, "overrides[0].member", "must not be empty"),
        (weekly { $0.overrides = [override("Dũng", "2026-11-10T00:00:00Z", "2026-11-10T00:00:00Z")] }, "overrides[0].to",
         "2026-11-10T00:00:00Z is not after from (2026-11-10T00:00:00Z); an override ends after it starts"),
    ]

    @Test("invalid rotas name the field and say what is expected", arguments: bad)
    func invalid(rota: Rota, field: String, message: String) throws {
        let first = try #require(rota.problems.first)
        #expect(first.field == field)
        #expect(first.message.contains(message), "\(first)")
        #expect(throws: first) { try rota.validate() }
    }

    @Test("valid rotas, a leap day among them, have no problems", arguments: [
        weekly, withOverrides,
        rota(24, ["An"], at: "23:59", from: "2028-02-29"),
        rota(8, ["A", "B", "C"], at: "06:00", from: "2026-01-01", in: "Europe/Berlin"),
    ])
    func valid(rota: Rota) throws {
        #expect(rota.problems == [])
        try rota.validate()
    }
}
