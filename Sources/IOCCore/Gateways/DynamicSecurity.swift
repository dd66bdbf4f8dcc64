import Foundation

/// One command of Mosquitto's dynamic-security plugin (`$CONTROL/dynamic-security/v1`; see
/// mosquitto_ctrl_dynsec(1) and https://mosquitto.org/documentation/dynamic-security/).
public enum DynamicSecurityCommand: Sendable, Equatable {
    case createRole(role: String, textName: String)
    case addRoleACL(role: String, aclType: String, topic: String, allow: Bool)
    case createClient(username: String, password: String, textName: String, roles: [String])
    case deleteClient(username: String)
    case disableClient(username: String)
    case enableClient(username: String)
    case setClientPassword(username: String, password: String)
    case getClient(username: String)
    case listClients

    public var name: String {
        switch self {
        case .createRole: "createRole"
        case .addRoleACL: "addRoleACL"
        case .createClient: "createClient"
        case .deleteClient: "deleteClient"
        case .disableClient: "disableClient"
        case .enableClient: "enableClient"
        case .setClientPassword: "setClientPassword"
        case .getClient: "getClient"
        case .listClients: "listClients"
        }
    }

    /// The command as the plugin reads it; its answer carries `correlationData` back.
    struct Wire: Encodable {
        struct RoleReference: Encodable { var rolename: String }
        var command: String
        var username: String?
        var password: String?
        var rolename: String?
        var textname: String?
        var acltype: String?
        var topic: String?
        var allow: Bool?
        var roles: [RoleReference]?
        var verbose: Bool?
        var count: Int?
        var correlationData: String
    }

    func wire(correlationData: String) -> Wire {
        var wire = Wire(command: name, correlationData: correlationData)
        switch self {
        case .createRole(let role, let textName):
            wire.rolename = role; wire.textname = textName
        case .addRoleACL(let role, let aclType, let topic, let allow):
            wire.rolename = role; wire.acltype = aclType; wire.topic = topic; wire.allow = allow
        case .createClient(let username, let password, let textName, let roles):
            wire.username = username; wire.password = password; wire.textname = textName
            wire.roles = roles.map { Wire.RoleReference(rolename: $0) }
        case .deleteClient(let username), .disableClient(let username), .enableClient(let username), .getClient(let username):
            wire.username = username
        case .setClientPassword(let username, let password):
            wire.username = username; wire.password = password
        case .listClients:
            // count -1: every client, not the first 10.
            wire.verbose = true; wire.count = -1
        }
        return wire
    }

    /// `{"commands":[…]}` with `correlationIDs[i]` as the correlation data of `commands[i]`. The
    /// plugin runs them in order and answers them all in one message on `…/v1/response`.
    public static func payload(_ commands: [DynamicSecurityCommand], correlationIDs: [String]) -> Data {
        precondition(commands.count == correlationIDs.count, "one correlation id per command")
        struct Envelope: Encodable { var commands: [Wire] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Only strings, booleans and integers: encoding cannot fail.
        return (try? encoder.encode(Envelope(commands: zip(commands, correlationIDs).map { $0.wire(correlationData: $1) }))) ?? Data()
    }
}

/// A client as the plugin describes it (`getClient`, `listClients` with `verbose`).
public struct DynamicSecurityClientInfo: Sendable, Equatable, Decodable {
    public var username: String
    public var disabled: Bool
    public var roles: [String]

    public init(username: String, disabled: Bool = false, roles: [String] = []) {
        self.username = username
        self.disabled = disabled
        self.roles = roles
    }

    enum CodingKeys: String, CodingKey { case username, disabled, roles }
    struct RoleReference: Decodable { var rolename: String }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        username = try c.decode(String.self, forKey: .username)
        // The plugin writes "disabled" only when true.
        disabled = try c.decodeIfPresent(Bool.self, forKey: .disabled) ?? false
        roles = try (c.decodeIfPresent([RoleReference].self, forKey: .roles) ?? []).map(\.rolename)
    }
}

/// One answer of the plugin: `error` is set when the command failed.
public struct DynamicSecurityResponse: Sendable, Equatable, Decodable {
    public var command: String
    public var correlationData: String?
    public var error: String?
    public var client: DynamicSecurityClientInfo?
    public var clients: [DynamicSecurityClientInfo]?

    public init(command: String, correlationData: String? = nil, error: String? = nil,
                client: DynamicSecurityClientInfo? = nil, clients: [DynamicSecurityClientInfo]? = nil) {
        self.command = command
        self.correlationData = correlationData
        self.error = error
        self.client = client
        self.clients = clients
    }

    enum CodingKeys: String, CodingKey { case command, correlationData, error, data }
    enum DataKeys: String, CodingKey { case client, clients }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        command = try c.decode(String.self, forKey: .command)
        correlationData = try c.decodeIfPresent(String.self, forKey: .correlationData)
        error = try c.decodeIfPresent(String.self, forKey: .error)
        if c.contains(.data), try !c.decodeNil(forKey: .data) {
            let data = try c.nestedContainer(keyedBy: DataKeys.self, forKey: .data)
            client = try data.decodeIfPresent(DynamicSecurityClientInfo.self, forKey: .client)
            clients = try data.decodeIfPresent([DynamicSecurityClientInfo].self, forKey: .clients)
        }
    }

    /// The answers in a message of `…/v1/response`; nil for anything that is not such a message.
    public static func parse(_ payload: Data) -> [DynamicSecurityResponse]? {
        struct Envelope: Decodable { var responses: [DynamicSecurityResponse] }
        return try? JSONDecoder().decode(Envelope.self, from: payload).responses
    }
}

/// Why a change of a gateway's broker account did not happen.
public struct GatewayAccountError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The broker has no client of that name.
        case notFound
        /// The broker already has a client of that name.
        case alreadyExists
        /// No connection, no answer in time, or a connection refused: nothing is known to have changed.
        case unavailable
        /// The plugin answered with an error.
        case refused
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Sends commands to the dynamic-security plugin and returns its answers, in the order of the
/// commands. The ingest module's `DynamicSecurityClient` does it over MQTT.
public protocol DynamicSecurityTransport: Sendable {
    func execute(_ commands: [DynamicSecurityCommand]) async throws(GatewayAccountError) -> [DynamicSecurityResponse]
}

/// What the broker knows of a gateway's account.
public enum BrokerAccountState: String, Sendable, Equatable {
    case active, disabled
    /// No client of that name: the gateway cannot connect.
    case missing
    /// The broker could not be asked.
    case unknown
}

/// The broker accounts of gateways: role `gateway-CODE` may publish only under `ioc/v1/CODE/#`,
/// client `CODE` has that role.
public struct GatewayAccounts: Sendable {
    public let transport: any DynamicSecurityTransport

    public init(transport: any DynamicSecurityTransport) {
        self.transport = transport
    }

    public static func roleName(_ code: String) -> String { "gateway-\(code)" }
    public static func topicFilter(_ code: String) -> String { "ioc/v1/\(code)/#" }

    /// The commands that create the account; a role or ACL left over from an earlier attempt is
    /// reused (see `provisionTolerates`).
    public static func provisionCommands(code: String, password: String, disabled: Bool) -> [DynamicSecurityCommand] {
        let role = roleName(code)
        var commands: [DynamicSecurityCommand] = [
            .createRole(role: role, textName: "Gateway \(code): publishes under ioc/v1/\(code)/"),
            .addRoleACL(role: role, aclType: "publishClientSend", topic: topicFilter(code), allow: true),
            .createClient(username: code, password: password, textName: "Gateway \(code)", roles: [role]),
        ]
        if disabled { commands.append(.disableClient(username: code)) }
        return commands
    }

    /// Errors that mean "already as wanted" for the command named.
    static let tolerated: [String: Set<String>] = [
        "createRole": ["Role already exists"],
        "addRoleACL": ["ACL with this topic already exists"],
    ]

    /// The first answer that is an error (other than a tolerated one), as a `GatewayAccountError`;
    /// also checks that every command was answered.
    public static func check(_ responses: [DynamicSecurityResponse], for commands: [DynamicSecurityCommand], code: String) throws(GatewayAccountError) {
        guard responses.count == commands.count else {
            throw GatewayAccountError(.refused, "the dynamic-security plugin answered \(responses.count) of \(commands.count) commands")
        }
        for (command, response) in zip(commands, responses) {
            guard let error = response.error else { continue }
            if tolerated[command.name]?.contains(error) == true { continue }
            switch error {
            case "Client not found":
                throw GatewayAccountError(.notFound, "the broker has no account for gateway \(code)")
            case "Client already exists":
                throw GatewayAccountError(.alreadyExists, "the broker already has an account for gateway \(code)")
            default:
                throw GatewayAccountError(.refused, "the broker's dynamic-security plugin refused \(command.name) for gateway \(code): \(error)")
            }
        }
    }

    private func run(_ commands: [DynamicSecurityCommand], code: String) async throws(GatewayAccountError) -> [DynamicSecurityResponse] {
        let responses = try await transport.execute(commands)
        try Self.check(responses, for: commands, code: code)
        return responses
    }

    /// Creates the account (disabled at once when `disabled`). Fails with `.alreadyExists` when
    /// the client exists: its password is then left as it was.
    public func provision(code: String, password: String, disabled: Bool = false) async throws(GatewayAccountError) {
        _ = try await run(Self.provisionCommands(code: code, password: password, disabled: disabled), code: code)
    }

    /// Disabling also disconnects the gateway if it is connected.
    public func setDisabled(code: String, _ disabled: Bool) async throws(GatewayAccountError) {
        _ = try await run([disabled ? .disableClient(username: code) : .enableClient(username: code)], code: code)
    }

    /// The old password stops working at once.
    public func setPassword(code: String, password: String) async throws(GatewayAccountError) {
        _ = try await run([.setClientPassword(username: code, password: password)], code: code)
    }

    public func state(code: String) async throws(GatewayAccountError) -> BrokerAccountState {
        let commands: [DynamicSecurityCommand] = [.getClient(username: code)]
        let responses = try await transport.execute(commands)
        if responses.first?.error == "Client not found" { return .missing }
        try Self.check(responses, for: commands, code: code)
        return responses.first?.client?.disabled == true ? .disabled : .active
    }

    /// Every client's state by user name (gateways and the IOC's own account).
    public func states() async throws(GatewayAccountError) -> [String: BrokerAccountState] {
        let responses = try await run([.listClients], code: "*")
        return Self.states(from: responses.first?.clients ?? [])
    }

    public static func states(from clients: [DynamicSecurityClientInfo]) -> [String: BrokerAccountState] {
        Dictionary(clients.map { ($0.username, $0.disabled ? BrokerAccountState.disabled : .active) }, uniquingKeysWith: { first, _ in first })
    }
}
