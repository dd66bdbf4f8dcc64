import Foundation
import IOCCore
import Testing

@Suite("Escalation policies: matching, the page schedule, validation and the JSON form")
struct EscalationPolicyTests {
    typealias Policy = EscalationPolicy

    /// Floods in Sơn Hòa: the on-call officer at once, the deputy by SMS after 15 minutes, the
    /// director after 30; twice more, an hour apart, until somebody acknowledges.
    static let sonHoaFlood = Policy(
        id: 4, name: "Lũ – Sơn Hòa",
        match: .init(units: ["PY-SONHOA"], domains: ["hydrology"], minSeverity: .warning),
        steps: [
            .init(afterMinutes: 0, targets: [.rota("Trực ban PCTT")]),
            .init(afterMinutes: 15, targets: [.contact("Phó ban", channels: [.sms])]),
            .init(afterMinutes: 30, targets: [.contact("Giám đốc", channels: [.sms, .email]), .rota("Trực ban PCTT")]),
        ],
        repeatCount: 2, repeatAfterMinutes: 30)

    static func steps(_ minutes: [Int], repeat count: Int = 0, after gap: Int? = nil) -> Policy {
        Policy(name: "p", steps: minutes.map { .init(afterMinutes: $0, targets: [.contact("An")]) },
               repeatCount: count, repeatAfterMinutes: gap)
    }

    @Test("the page schedule, repeats included", arguments: [
        (steps([0]), [(0, 0.0)]),
        (steps([0, 15, 30]), [(0, 0), (1, 900), (2, 1800)]),
        (steps([0, 15, 30], repeat: 1), [(0, 0), (1, 900), (2, 1800), (0, 3600), (1, 4500), (2, 5400)]),
        (steps([0, 10], repeat: 2, after: 5), [(0, 0), (1, 600), (0, 900), (1, 1500), (0, 1800), (1, 2400)]),
        (steps([0], repeat: 3, after: 60), [(0, 0), (0, 3600), (0, 7200), (0, 10_800)]),
        (steps([5, 5], repeat: 1, after: 60), [(0, 300), (1, 300), (0, 4200), (1, 4200)]),
        (steps([]), []),
    ] as [(Policy, [(Int, Double)])])
    func schedule(policy: Policy, expected: [(Int, Double)]) {
        var pages: [(Int, Double)] = []
        while let page = policy.page(pages.count), pages.count < 100 {
            pages.append(page)
        }
        #expect(pages.map(\.0) == expected.map(\.0))
        #expect(pages.map(\.1) == expected.map(\.1))
        #expect(policy.page(-1) == nil)
    }

    @Test("pages due by a time, its own included")
    func pagesThrough() throws {
        let fired = try #require(Timestamp(rfc3339: "2026-11-27T07:05:00Z"))
        func due(_ minutes: Double) -> [String] {
            Self.sonHoaFlood.pages(firedAt: fired, through: fired.adding(seconds: minutes * 60))
                .map { "\($0.index) \($0.step) \($0.at.rfc3339)" }
        }
        #expect(due(-1) == [])
        #expect(due(0) == ["0 0 2026-11-27T07:05:00Z"])
        #expect(due(29.99) == ["0 0 2026-11-27T07:05:00Z", "1 1 2026-11-27T07:20:00Z"])
        #expect(due(60) == ["0 0 2026-11-27T07:05:00Z", "1 1 2026-11-27T07:20:00Z", "2 2 2026-11-27T07:35:00Z",
                            "3 0 2026-11-27T08:05:00Z"])
        #expect(due(10_000).count == 9)
        #expect(due(10_000).last == "8 2 2026-11-27T09:35:00Z")
    }

    static let everything = Policy(name: "Toàn tỉnh", steps: [.init(afterMinutes: 0, targets: [.rota("Trực ban")])])

    @Test("which alerts a policy matches", arguments: [
        (sonHoaFlood, ["PY-SONHOA", "PY"], "hydrology", AlertRule.Severity.critical, true),
        (sonHoaFlood, ["PY-SONHOA", "PY"], "hydrology", .warning, true),
        (sonHoaFlood, ["PY-SONHOA", "PY"], "hydrology", .info, false),
        (sonHoaFlood, ["PY-TUYHOA", "PY"], "hydrology", .critical, false),
        (sonHoaFlood, ["PY-SONHOA", "PY"], "air", .critical, false),
        (sonHoaFlood, [], "hydrology", .critical, false),
        (Policy(name: "Tỉnh", match: .init(units: ["PY"]), steps: []), ["PY-SONHOA", "PY"], "air", .info, true),
        (Policy(name: "Hai huyện", match: .init(units: ["PY-TUYAN", "PY-SONHOA"]), steps: []), ["PY-SONHOA", "PY"], "air", .info, true),
        (Policy(name: "Khí", match: .init(domains: ["air", "weather"]), steps: []), ["PY-TUYHOA", "PY"], "weather", .info, true),
        (everything, [], "traffic", .info, true),
    ] as [(Policy, [String], String, AlertRule.Severity, Bool)])
    func matching(policy: Policy, unitPath: [String], domain: String, severity: AlertRule.Severity, expected: Bool) {
        #expect(policy.matches(unitPath: unitPath, domain: domain, severity: severity) == expected)
    }

    @Test("routing takes every enabled policy that matches, in order")
    func routing() {
        var off = Self.everything
        off.name = "Tắt"
        off.enabled = false
        let air = Policy(name: "Không khí", match: .init(domains: ["air"]), steps: [])
        let policies = [off, Self.sonHoaFlood, air, Self.everything]
        func route(_ unitPath: [String], _ domain: String, _ severity: AlertRule.Severity) -> [String] {
            Policy.route(policies: policies, unitPath: unitPath, domain: domain, severity: severity).map(\.name)
        }
        #expect(route(["PY-SONHOA", "PY"], "hydrology", .critical) == ["Lũ – Sơn Hòa", "Toàn tỉnh"])
        #expect(route(["PY-SONHOA", "PY"], "hydrology", .info) == ["Toàn tỉnh"])
        #expect(route(["PY-TUYHOA", "PY"], "air", .warning) == ["Không khí", "Toàn tỉnh"])
        #expect(Policy.route(policies: [off], unitPath: ["PY"], domain: "air", severity: .critical) == [])
    }

    @Test("the JSON form of a policy")
    func jsonShape() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(Self.sonHoaFlood), as: UTF8.self)
        #expect(json == #"{"enabled":true,"id":4,"match":{"domains":["hydrology"],"min_severity":"warning","units":["PY-SONHOA"]},"#
            + #""name":"Lũ – Sơn Hòa","repeat":2,"repeat_after_minutes":30,"steps":["#
            + #"{"after_minutes":0,"targets":[{"rota":"Trực ban PCTT"}]},"#
            + #"{"after_minutes":15,"targets":[{"channels":["sms"],"contact":"Phó ban"}]},"#
            + #"{"after_minutes":30,"targets":[{"channels":["sms","email"],"contact":"Giám đốc"},{"rota":"Trực ban PCTT"}]}]}"#)
        #expect(try JSONDecoder().decode(Policy.self, from: Data(json.utf8)) == Self.sonHoaFlood)
    }

    @Test("fields left out take their defaults")
    func defaults() throws {
        let json = #"{"name":"Toàn tỉnh","steps":[{"after_minutes":0,"targets":[{"rota":"Trực ban"}]}]}"#
        let policy = try JSONDecoder().decode(Policy.self, from: Data(json.utf8))
        #expect(policy == Self.everything)
        #expect(policy.enabled && policy.repeatCount == 0 && policy.repeatAfterMinutes == nil)
        #expect(policy.match == Policy.Match(units: [], domains: [], minSeverity: .info))
        let match = try JSONDecoder().decode(Policy.Match.self, from: Data(#"{"domains":["air"]}"#.utf8))
        #expect(match == Policy.Match(domains: ["air"]))
    }

    @Test("a target that is not one contact or one rota is refused", arguments: [
        #"{"contact":"An","rota":"Trực ban"}"#,
        #"{"channels":["sms"]}"#,
    ])
    func badTarget(json: String) {
        #expect {
            try JSONDecoder().decode(Policy.Target.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(#"a target needs exactly one of "contact" (a contact's name) or "rota""#)
        }
    }

    static func flood(_ change: (inout Policy) -> Void) -> Policy {
        var policy = sonHoaFlood
        change(&policy)
        return policy
    }

    static let bad: [(Policy, field: String, message: String)] = [
        (flood { $0.name = " " }, "name", "must not be empty"),
        (flood { $0.match.units = ["PY", ""] }, "match.units[1]", "must be an administrative unit code"),
        (flood { $0.match.domains = [""] }, "match.domains[0]", "must be a station domain"),
        (steps([]), "steps", "must list at least one step"),
        (steps([-1]), "steps[0].after_minutes", "-1 must be from 0 to 10080 (7 days)"),
        (steps([0, 10_081]), "steps[1].after_minutes", "10081 must be from 0 to 10080"),
        (steps([0, 15, 10]), "steps[2].after_minutes", "10 is before the 15 of steps[1]; steps run in order, so after_minutes must not decrease"),
        (flood { $0.steps[1].targets = [] }, "steps[1].targets", "must list at least one target"),
        (flood { $0.steps[2].targets[1] = .rota("") }, "steps[2].targets[1].rota", "must not be empty; name a rota"),
        (flood { $0.steps[1].targets[0] = .contact("  ") }, "steps[1].targets[0].contact", "must not be empty; name a contact"),
        (flood { $0.steps[1].targets[0].channels = [] }, "steps[1].targets[0].channels", "must list at least one channel type"),
        (flood { $0.repeatCount = -1 }, "repeat", "-1 must be from 0 to 100"),
        (flood { $0.repeatCount = 101 }, "repeat", "101 must be from 0 to 100"),
        (flood { $0.repeatAfterMinutes = -5 }, "repeat_after_minutes", "-5 must be from 0 to 10080"),
        (flood { $0.repeatAfterMinutes = 0 }, "repeat_after_minutes", "is 0; with repeat 2 it must be above 0"),
        (steps([0], repeat: 1), "repeat_after_minutes", "is left out, so it is the last step's after_minutes, 0; with repeat 1 it must be above 0"),
    ]

    @Test("invalid policies name the field and say what is expected", arguments: bad)
    func invalid(policy: Policy, field: String, message: String) throws {
        let first = try #require(policy.problems.first)
        #expect(first.field == field)
        #expect(first.message.contains(message), "\(first)")
        #expect(throws: first) { try policy.validate() }
    }

    @Test("valid policies have no problems", arguments: [
        sonHoaFlood, everything, steps([0, 0, 10]), steps([0], repeat: 0, after: 0), steps([0, 30], repeat: 100),
    ])
    func valid(policy: Policy) throws {
        #expect(policy.problems == [])
        try policy.validate()
    }
}
