import Foundation
import IOCCore
import Testing

@Suite("Contacts: channels, validation and the JSON form")
struct ContactTests {
    static let an = Contact(id: 3, name: "Nguyễn Văn An", channels: [
        .sms(phone: "+84901234567"),
        .email(address: "an.nguyen@phuyen.gov.vn"),
        .telegram(chatID: "123456"),
        .webhook(url: "https://ops.phuyen.gov.vn/hooks/ioc", secret: "0123456789abcdef"),
    ])

    static func with(_ channel: ContactChannel) -> Contact {
        Contact(name: "Trực ban", channels: [channel])
    }

    static let good: [Contact] = [
        an,
        Contact(name: "Duty desk", language: .en, channels: [.email(address: "duty@example.com")]),
        with(.sms(phone: "0901234567")),
        with(.sms(phone: "+12025550123")),
        with(.telegram(chatID: "-1001234567890")),
        with(.telegram(chatID: "@trucban_py")),
        with(.webhook(url: "http://10.0.0.5:8080/hook", secret: "a very long shared secret")),
        with(.webhook(url: "HTTPS://Hooks.example.vn", secret: "0123456789abcdef")),
        with(.email(address: "trực.ban+ioc@phúyên.vn")),
    ]

    @Test("valid contacts have no problems", arguments: good)
    func valid(contact: Contact) throws {
        #expect(contact.problems == [])
        try contact.validate()
    }

    @Test("valid contacts round-trip through JSON", arguments: good)
    func roundTrip(contact: Contact) throws {
        let data = try JSONEncoder().encode(contact)
        #expect(try JSONDecoder().decode(Contact.self, from: data) == contact)
    }

    @Test("the JSON form of a contact")
    func jsonShape() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        #expect(String(decoding: try encoder.encode(Self.an), as: UTF8.self) == #"{"channels":["#
            + #"{"phone":"+84901234567","type":"sms"},{"address":"an.nguyen@phuyen.gov.vn","type":"email"},"#
            + #"{"chat_id":"123456","type":"telegram"},"#
            + #"{"secret":"0123456789abcdef","type":"webhook","url":"https://ops.phuyen.gov.vn/hooks/ioc"}],"#
            + #""id":3,"language":"vi","name":"Nguyễn Văn An"}"#)
    }

    @Test("language and id may be left out")
    func defaults() throws {
        let json = #"{"name":"An","channels":[{"type":"email","address":"an@phuyen.gov.vn"}]}"#
        let contact = try JSONDecoder().decode(Contact.self, from: Data(json.utf8))
        #expect(contact == Contact(name: "An", language: .vi, channels: [.email(address: "an@phuyen.gov.vn")]))
        #expect(contact.id == nil)
    }

    @Test("each channel has a kind and an address", arguments: [
        (ContactChannel.webhook(url: "https://a.vn/h", secret: "0123456789abcdef"), ContactChannel.Kind.webhook, "https://a.vn/h"),
        (.email(address: "a@b.vn"), .email, "a@b.vn"),
        (.sms(phone: "0901234567"), .sms, "0901234567"),
        (.telegram(chatID: "@trucban"), .telegram, "@trucban"),
    ])
    func kindAndAddress(channel: ContactChannel, kind: ContactChannel.Kind, address: String) {
        #expect(channel.kind == kind)
        #expect(channel.address == address)
    }

    @Test("JSON that is not a contact says what was expected", arguments: [
        (#"{"type":"fax","number":"0257"}"#, "unknown channel type 'fax'; expected webhook, email, sms or telegram"),
        (#"{"type":"webhook","url":"https://a.vn/h"}"#, "secret"),
        (#"{"type":"telegram","chat":"1"}"#, "chat_id"),
    ])
    func badJSON(json: String, expected: String) {
        #expect {
            try JSONDecoder().decode(ContactChannel.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    static let bad: [(Contact, field: String, message: String)] = [
        (Contact(name: " ", channels: [.sms(phone: "0901234567")]), "name", "must not be empty"),
        (Contact(name: String(repeating: "x", count: 201), channels: [.sms(phone: "0901234567")]), "name", "201 characters; at most 200"),
        (Contact(name: "An", channels: []), "channels", "at least one way to reach the contact"),
        (Contact(name: "An", channels: [.sms(phone: "0901234567"), .sms(phone: "0901234567")]), "channels[1]", "repeats channels[0]"),
        (with(.webhook(url: "ftp://ops.phuyen.gov.vn/ioc", secret: "0123456789abcdef")), "channels[0].url", "'ftp://ops.phuyen.gov.vn/ioc' is not a web address; expected http:// or https://"),
        (with(.webhook(url: "ops.phuyen.gov.vn/ioc", secret: "0123456789abcdef")), "channels[0].url", "is not a web address"),
        (with(.webhook(url: "https://", secret: "0123456789abcdef")), "channels[0].url", "is not a web address"),
        (with(.webhook(url: "https://ops.vn/a b", secret: "0123456789abcdef")), "channels[0].url", "is not a web address"),
        (with(.webhook(url: "https://ops.vn/ioc", secret: "0123456789abcde")), "channels[0].secret", "has 15 characters; use at least 16 random characters"),
        (with(.email(address: "an.phuyen.gov.vn")), "channels[0].address", "'an.phuyen.gov.vn' is not an e-mail address; expected one like trucban@phuyen.gov.vn"),
        (with(.email(address: "an@phuyen")), "channels[0].address", "is not an e-mail address"),
        (with(.email(address: "an@@phuyen.vn")), "channels[0].address", "is not an e-mail address"),
        (with(.email(address: "an nguyen@phuyen.vn")), "channels[0].address", "is not an e-mail address"),
        (with(.email(address: "an@phuyen..vn")), "channels[0].address", "is not an e-mail address"),
        (with(.email(address: "an@-phuyen.vn")), "channels[0].address", "is not an e-mail address"),
        (with(.email(address: "@phuyen.vn")), "channels[0].address", "is not an e-mail address"),
        (with(.sms(phone: "0901 234 567")), "channels[0].phone", "'0901 234 567' is not a phone number; write digits only, in E.164 like +84901234567 or as a Vietnamese number like 0901234567"),
        (with(.sms(phone: "84901234567")), "channels[0].phone", "is not a phone number"),
        (with(.sms(phone: "090123456")), "channels[0].phone", "is not a phone number"),
        (with(.sms(phone: "09012345678")), "channels[0].phone", "is not a phone number"),
        (with(.sms(phone: "+0901234567")), "channels[0].phone", "is not a phone number"),
        (with(.sms(phone: "+84")), "channels[0].phone", "is not a phone number"),
        (with(.sms(phone: "+8490123456789012")), "channels[0].phone", "is not a phone number"),
        (with(.sms(phone: "09O1234567")), "channels[0].phone", "is not a phone number"),
        (with(.telegram(chatID: "trucban")), "channels[0].chat_id", "'trucban' is not a Telegram chat; use the numeric chat id"),
        (with(.telegram(chatID: "@abc")), "channels[0].chat_id", "is not a Telegram chat"),
        (with(.telegram(chatID: "@1trucban")), "channels[0].chat_id", "is not a Telegram chat"),
        (with(.telegram(chatID: "12a")), "channels[0].chat_id", "is not a Telegram chat"),
        (with(.telegram(chatID: "-")), "channels[0].chat_id", "is not a Telegram chat"),
        (with(.telegram(chatID: "")), "channels[0].chat_id", "is not a Telegram chat"),
    ]

    @Test("invalid contacts name the field and say what is expected", arguments: bad)
    func invalid(contact: Contact, field: String, message: String) throws {
        let first = try #require(contact.problems.first)
        #expect(first.field == field)
        #expect(first.message.contains(message), "\(first)")
        #expect(throws: first) { try contact.validate() }
    }

    @Test("every problem is listed, in field order; a secret is never shown")
    func allProblems() {
        let contact = Contact(name: "", channels: [
            .webhook(url: "https://ops.vn/ioc", secret: "hunter2"),
            .sms(phone: "12345"),
            .telegram(chatID: "x"),
        ])
        #expect(contact.problems.map(\.field) == ["name", "channels[0].secret", "channels[1].phone", "channels[2].chat_id"])
        #expect(!contact.problems.contains { $0.message.contains("hunter2") })
    }
}
