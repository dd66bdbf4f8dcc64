import Foundation
import IOCCore
import Synchronization
import Testing

@Suite("Gateway codes and the broker's dynamic-security commands")
struct GatewayAccountsTests {
    @Test("gateway codes, table-driven", arguments: [
        ("GW-PY-HYDRO-01", true), ("gw.a_b-9", true), ("A", true), (String(repeating: "x", count: 64), true),
        ("", false), (String(repeating: "x", count: 65), false), ("ioc", false),
        ("GW/A", false), ("GW+", false), ("GW#", false), ("$SYS", false), ("GW A", false), ("Cầu", false), ("GW\u{0}", false),
    ])
    func codes(code: String, valid: Bool) {
        let accepted = (try? GatewayRequest.validate(code: code)) != nil
        #expect(accepted == valid, "\(code)")
    }

    @Test("a request needs a unit and a short name")
    func request() {
        #expect(throws: GatewayValidationError.self) { try GatewayRequest(code: "GW-1", unit: "").validate() }
        #expect(throws: GatewayValidationError.self) { try GatewayRequest(code: "GW-1", unit: "PY", name: String(repeating: "n", count: 201)).validate() }
        #expect(throws: Never.self) { try GatewayRequest(code: "GW-1", unit: "PY", name: "Trạm Sông Ba").validate() }
        #expect((try? GatewayRequest(code: "a/b", unit: "PY").validate()) == nil)
    }

    @Test("passwords are 48 hex digits and differ")
    func passwords() {
        let a = GatewayPassword.generate(), b = GatewayPassword.generate()
        #expect(a.count == 48 && a.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(a != b)
    }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    @Test("commands as the plugin reads them, table-driven", arguments: [
        (DynamicSecurityCommand.createRole(role: "gateway-G", textName: "t"), #"{"command":"createRole","correlationData":"c","rolename":"gateway-G","textname":"t"}"#),
        (.addRoleACL(role: "gateway-G", aclType: "publishClientSend", topic: "ioc/v1/G/#", allow: true),
         #"{"acltype":"publishClientSend","allow":true,"command":"addRoleACL","correlationData":"c","rolename":"gateway-G","topic":"ioc/v1/G/#"}"#),
        (.createClient(username: "G", password: "p\"w", textName: "Gateway G", roles: ["gateway-G"]),
         #"{"command":"createClient","correlationData":"c","password":"p\"w","roles":[{"rolename":"gateway-G"}],"textname":"Gateway G","username":"G"}"#),
        (.disableClient(username: "G"), #"{"command":"disableClient","correlationData":"c","username":"G"}"#),
        (.enableClient(username: "G"), #"{"command":"enableClient","correlationData":"c","username":"G"}"#),
        (.setClientPassword(username: "G", password: "x"), #"{"command":"setClientPassword","correlationData":"c","password":"x","username":"G"}"#),
        (.getClient(username: "G"), #"{"command":"getClient","correlationData":"c","username":"G"}"#),
        (.deleteClient(username: "G"), #"{"command":"deleteClient","correlationData":"c","username":"G"}"#),
        (.listClients, #"{"command":"listClients","correlationData":"c","count":-1,"verbose":true}"#),
    ])
    func commandJSON(command: DynamicSecurityCommand, expected: String) {
        let payload = String(decoding: DynamicSecurityCommand.payload([command], correlationIDs: ["c"]), as: UTF8.self)
        #expect(payload == #"{"commands":["# + expected + "]}")
    }

    @Test("provisioning: role, its one ACL, the client with the role; disabled at once when asked")
    func provisionCommands() {
        let commands = GatewayAccounts.provisionCommands(code: "GW-A", password: "pw", disabled: false)
        #expect(commands.map(\.name) == ["createRole", "addRoleACL", "createClient"])
        #expect(commands[1] == .addRoleACL(role: "gateway-GW-A", aclType: "publishClientSend", topic: "ioc/v1/GW-A/#", allow: true))
        #expect(commands[2] == .createClient(username: "GW-A", password: "pw", textName: "Gateway GW-A", roles: ["gateway-GW-A"]))
        #expect(GatewayAccounts.provisionCommands(code: "GW-A", password: "pw", disabled: true).last == .disableClient(username: "GW-A"))
    }

    @Test("answers of the plugin")
    func parse() throws {
        let payload = Data(#"""
            {"responses":[
              {"command":"getClient","data":{"client":{"username":"GW-B","textname":"x","disabled":true,"roles":[{"rolename":"gateway-GW-B"}],"groups":[]}},"correlationData":"c1"},
              {"command":"disableClient","correlationData":"c2"},
              {"command":"getClient","error":"Client not found","correlationData":"c3"},
              {"command":"listClients","data":{"totalCount":2,"clients":[{"username":"GW-A","roles":[]},{"username":"GW-B","disabled":true}]},"correlationData":"c4"}
            ]}
            """#.utf8)
        let responses = try #require(DynamicSecurityResponse.parse(payload))
        #expect(responses.count == 4)
        #expect(responses[0].client == DynamicSecurityClientInfo(username: "GW-B", disabled: true, roles: ["gateway-GW-B"]))
        #expect(responses[1] == DynamicSecurityResponse(command: "disableClient", correlationData: "c2"))
        #expect(responses[2].error == "Client not found")
        #expect(GatewayAccounts.states(from: responses[3].clients ?? []) == ["GW-A": .active, "GW-B": .disabled])
        #expect(DynamicSecurityResponse.parse(Data("online".utf8)) == nil)
        #expect(DynamicSecurityResponse.parse(Data(#"{"commands":[]}"#.utf8)) == nil)
    }

    @Test("errors of the plugin, table-driven", arguments: [
        ("createRole", "Role already exists", nil),
        ("addRoleACL", "ACL with this topic already exists", nil),
        ("createClient", "Client already exists", GatewayAccountError.Kind.alreadyExists),
        ("disableClient", "Client not found", .notFound),
        ("createRole", "Client not found", .notFound),
        ("setClientPassword", "Internal error", .refused),
        ("createClient", "Role already exists", .refused),
    ] as [(String, String, GatewayAccountError.Kind?)])
    func errors(command: String, error: String, kind: GatewayAccountError.Kind?) {
        let commands: [DynamicSecurityCommand] = switch command {
        case "createRole": [.createRole(role: "r", textName: "")]
        case "addRoleACL": [.addRoleACL(role: "r", aclType: "publishClientSend", topic: "t", allow: true)]
        case "createClient": [.createClient(username: "G", password: "p", textName: "", roles: [])]
        case "disableClient": [.disableClient(username: "G")]
        default: [.setClientPassword(username: "G", password: "p")]
        }
        let responses = [DynamicSecurityResponse(command: command, correlationData: "c", error: error)]
        do {
            try GatewayAccounts.check(responses, for: commands, code: "G")
            #expect(kind == nil)
        } catch {
            #expect(error.kind == kind)
        }
    }

    @Test("a missing answer is an error")
    func missingAnswer() {
        #expect(throws: GatewayAccountError.self) {
            try GatewayAccounts.check([], for: [.getClient(username: "G")], code: "G")
        }
    }

    /// Answers scripted per command name; records what was sent.
    final class ScriptedTransport: DynamicSecurityTransport {
        let errors: [String: String]
        let getClient: DynamicSecurityClientInfo?
        let sent = Mutex<[DynamicSecurityCommand]>([])
        init(errors: [String: String] = [:], getClient: DynamicSecurityClientInfo? = nil) {
            self.errors = errors
            self.getClient = getClient
        }
        func execute(_ commands: [DynamicSecurityCommand]) async throws(GatewayAccountError) -> [DynamicSecurityResponse] {
            sent.withLock { $0 += commands }
            return commands.map { command in
                DynamicSecurityResponse(command: command.name, error: errors[command.name],
                                        client: command.name == "getClient" && errors["getClient"] == nil ? getClient : nil)
            }
        }
    }

    @Test("account states through a transport")
    func states() async throws {
        #expect(try await GatewayAccounts(transport: ScriptedTransport(errors: ["getClient": "Client not found"])).state(code: "G") == .missing)
        #expect(try await GatewayAccounts(transport: ScriptedTransport(getClient: .init(username: "G", disabled: true))).state(code: "G") == .disabled)
        #expect(try await GatewayAccounts(transport: ScriptedTransport(getClient: .init(username: "G"))).state(code: "G") == .active)
        let leftover = ScriptedTransport(errors: ["createRole": "Role already exists", "addRoleACL": "ACL with this topic already exists"])
        try await GatewayAccounts(transport: leftover).provision(code: "G", password: "p")
        #expect(leftover.sent.withLock { $0.count } == 3)
        await #expect(throws: GatewayAccountError.self) {
            try await GatewayAccounts(transport: ScriptedTransport(errors: ["setClientPassword": "Client not found"])).setPassword(code: "G", password: "p")
        }
    }
}
