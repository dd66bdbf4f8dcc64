import Foundation
import IOCCore
import Testing

@Suite("The paging configuration file: every entry and every name checked together")
struct PagingConfigurationTests {
    static let file = #"""
    {
      "contacts": [
        {"name": "Nguyễn Văn An", "channels": [{"type": "sms", "phone": "+84901234567"}, {"type": "email", "address": "an@phuyen.gov.vn"}]},
        {"name": "Trần Thị Bình", "channels": [{"type": "sms", "phone": "0912345678"}, {"type": "telegram", "chat_id": "@binh_tran"}]},
        {"name": "Lê Văn Chi", "language": "en", "channels": [{"type": "email", "address": "chi@phuyen.gov.vn"}, {"type": "sms", "phone": "0987654321"}]},
        {"name": "Phòng điều hành", "channels": [{"type": "webhook", "url": "https://ops.phuyen.gov.vn/hooks/ioc", "secret": "s3cret-s3cret-s3cret"}]}
      ],
      "rotas": [
        {"name": "Trực ban PCTT", "members": ["Nguyễn Văn An", "Trần Thị Bình"], "rotation_hours": 168,
         "handoff_time": "08:00", "start_date": "2026-11-02",
         "overrides": [{"member": "Lê Văn Chi", "from": "2026-11-10T08:00:00+07:00", "to": "2026-11-11T08:00:00+07:00"}]}
      ],
      "escalation_policies": [
        {"name": "Lũ – toàn tỉnh", "match": {"domains": ["hydrology"], "min_severity": "warning"},
         "steps": [
           {"after_minutes": 0, "targets": [{"rota": "Trực ban PCTT", "channels": ["sms"]}, {"contact": "Phòng điều hành"}]},
           {"after_minutes": 20, "targets": [{"contact": "Lê Văn Chi"}]}
         ],
         "repeat": 2, "repeat_after_minutes": 40}
      ]
    }
    """#

    @Test("a valid file decodes, validates and round-trips")
    func valid() throws {
        let configuration = try JSONDecoder().decode(PagingConfiguration.self, from: Data(Self.file.utf8))
        #expect(configuration.problems == [])
        try configuration.validate()
        #expect(configuration.contacts.map(\.name) == ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Chi", "Phòng điều hành"])
        #expect(configuration.contacts[2].language == .en)
        #expect(configuration.rotas[0].timeZone == "Asia/Ho_Chi_Minh")
        #expect(configuration.rotas[0].onCall(at: Timestamp(rfc3339: "2026-11-10T02:00:00Z")!) == "Lê Văn Chi")
        #expect(configuration.escalationPolicies[0].page(2)?.offsetSeconds == 3600, "a run of 20 + 40 minutes")
        let data = try JSONEncoder().encode(configuration)
        #expect(try JSONDecoder().decode(PagingConfiguration.self, from: data) == configuration)
    }

    @Test("lists left out are empty")
    func empty() throws {
        let configuration = try JSONDecoder().decode(PagingConfiguration.self, from: Data("{}".utf8))
        #expect(configuration == PagingConfiguration())
        #expect(configuration.problems == [])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        #expect(String(decoding: try encoder.encode(configuration), as: UTF8.self) == #"{"contacts":[],"escalation_policies":[],"rotas":[]}"#)
    }

    static func contact(_ name: String, _ channels: [ContactChannel] = [.sms(phone: "0901234567")]) -> Contact {
        Contact(name: name, channels: channels)
    }

    static func override(_ member: String) -> Rota.Override {
        Rota.Override(member: member, from: Timestamp(rfc3339: "2026-11-10T00:00:00Z")!, to: Timestamp(rfc3339: "2026-11-11T00:00:00Z")!)
    }

    @Test("every problem, each entry's own and every name that refers to nothing, in file order")
    func allProblems() {
        let configuration = PagingConfiguration(
            contacts: [
                Self.contact("An"),
                Self.contact("Bình", [.email(address: "binh@phuyen.gov.vn")]),
                Self.contact("An", [.sms(phone: "12")]),
            ],
            rotas: [
                Rota(name: "Trực ban", members: ["An", "Bình", "Chi"], startDate: "2026-11-02", overrides: [Self.override("Dũng")]),
                Rota(name: "Trực ban", members: ["An"], timeZone: "Hanoi", startDate: "2026-11-02"),
            ],
            escalationPolicies: [
                EscalationPolicy(name: "Lũ", steps: [
                    .init(afterMinutes: 0, targets: [.rota("Trực ban", channels: [.email]), .contact("Em")]),
                    .init(afterMinutes: 10, targets: [.rota("Không có")]),
                    .init(afterMinutes: 20, targets: [.contact("An", channels: [.telegram, .webhook]), .contact("Bình", channels: [.email])]),
                ]),
                EscalationPolicy(name: "Lũ", steps: []),
            ])
        #expect(configuration.problems.map(\.description) == [
            "contacts[2].channels[0].phone: '12' is not a phone number; write digits only, in E.164 like +84901234567 or as a Vietnamese number like 0901234567",
            "contacts[2].name: 'An' is already the name of contacts[0]; names must be unique, since other entries refer to them by name",
            "rotas[0].members[2]: 'Chi' is not the name of any contact; add it to the contacts or correct the name",
            "rotas[0].overrides[0].member: 'Dũng' is not the name of any contact; add it to the contacts or correct the name",
            "rotas[1].time_zone: 'Hanoi' is not a time zone; use an IANA identifier like Asia/Ho_Chi_Minh",
            "rotas[1].name: 'Trực ban' is already the name of rotas[0]; names must be unique, since other entries refer to them by name",
            "escalation_policies[0].steps[0].targets[0].channels: contact 'An' has no email channel, so this target cannot reach them; add one to the contact or allow another type here",
            "escalation_policies[0].steps[0].targets[1].contact: 'Em' is not the name of any contact; add it to the contacts or correct the name",
            "escalation_policies[0].steps[1].targets[0].rota: 'Không có' is not the name of any rota; add it to the rotas or correct the name",
            "escalation_policies[0].steps[2].targets[0].channels: contact 'An' has no telegram or webhook channel, so this target cannot reach them; add one to the contact or allow another type here",
            #"escalation_policies[1].steps: must list at least one step, like {"after_minutes":0,"targets":[{"rota":"Trực ban PCTT"}]}"#,
            "escalation_policies[1].name: 'Lũ' is already the name of escalation_policies[0]; names must be unique, since other entries refer to them by name",
        ])
        #expect(throws: configuration.problems[0]) { try configuration.validate() }
    }

    @Test("a rota target's channels must reach every member and every override member")
    func rotaChannels() {
        var rota = Rota(name: "Trực ban", members: ["An", "Bình"], startDate: "2026-11-02")
        let configuration = { (rota: Rota) in
            PagingConfiguration(
                contacts: [Self.contact("An"), Self.contact("Bình"), Self.contact("Chi", [.email(address: "chi@phuyen.gov.vn")])],
                rotas: [rota],
                escalationPolicies: [EscalationPolicy(name: "p", steps: [.init(afterMinutes: 0, targets: [.rota("Trực ban", channels: [.sms])])])])
        }
        #expect(configuration(rota).problems == [])
        rota.overrides = [Self.override("Chi")]
        #expect(configuration(rota).problems.map(\.field) == ["escalation_policies[0].steps[0].targets[0].channels"])
        #expect(configuration(rota).problems.first?.message.hasPrefix("contact 'Chi' has no sms channel") == true)
    }

    @Test("a blank name is reported once, where it is written")
    func blankNames() {
        let configuration = PagingConfiguration(
            contacts: [Self.contact("An")],
            rotas: [Rota(name: "R", members: ["An", ""], startDate: "2026-11-02")],
            escalationPolicies: [EscalationPolicy(name: "p", steps: [.init(afterMinutes: 0, targets: [.contact(" ")])])])
        #expect(configuration.problems.map(\.field) == ["rotas[0].members[1]", "escalation_policies[0].steps[0].targets[0].contact"])
    }

    @Test("JSON that is not a configuration points at the entry")
    func badJSON() {
        let json = #"{"contacts":[{"name":"An","channels":[{"type":"pager","number":"1"}]}]}"#
        #expect {
            try JSONDecoder().decode(PagingConfiguration.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains("unknown channel type 'pager'") && "\(error)".contains("contacts")
        }
    }
}
