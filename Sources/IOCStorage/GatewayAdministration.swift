import IOCCore
import Logging

/// Registers gateways and keeps their broker accounts in step, for `ioc gateway` and
/// `/api/v1/gateways`; every change goes to the audit log (never a password).
///
/// The registry (PostgreSQL) and the broker cannot change in one transaction. The order leaves a
/// state that running the same command again completes:
/// - add: ask the broker first (nothing changes if it is unreachable or already has the
///   account), then register the row, then create the account. If the last step fails, the
///   gateway is registered without an account (it cannot connect; `list` shows `missing`), and
///   `add` again creates it.
/// - disable: broker first, then the row: a gateway is never enabled at the broker while the
///   registry says disabled. enable: the same order. If the row update fails, run it again.
/// - rotate: the broker only; the registry holds no password.
public struct GatewayAdministration: Sendable {
    public let store: GatewayStore
    public let accounts: GatewayAccounts
    let audit: AuditLog?
    let logger: Logger

    public init(store: GatewayStore, accounts: GatewayAccounts, audit: AuditLog?, logger: Logger) {
        self.store = store
        self.accounts = accounts
        self.audit = audit
        self.logger = logger
    }

    public struct Listed: Sendable {
        public var gateway: GatewayRecord
        public var broker: BrokerAccountState
    }

    /// A gateway with its new password: shown once, stored nowhere by the IOC.
    public struct WithPassword: Sendable {
        public var gateway: GatewayRecord
        public var broker: BrokerAccountState
        public var password: String
    }

    /// Every registered gateway with its broker account (`unknown` for all when the broker cannot
    /// be asked: the list still answers).
    public func list() async throws -> [Listed] {
        let gateways = try await store.list()
        let states: [String: BrokerAccountState]?
        do {
            states = try await accounts.states()
        } catch {
            logger.warning("gateway list without broker account states", metadata: ["error": "\(error)"])
            states = nil
        }
        var listed: [Listed] = []
        for gateway in gateways {
            listed.append(Listed(gateway: gateway, broker: states.map { $0[gateway.code] ?? .missing } ?? .unknown))
        }
        return listed
    }

    public func add(_ request: GatewayRequest, actor: String) async throws -> WithPassword {
        try request.validate()
        switch try await accounts.state(code: request.code) {
        case .active, .disabled:
            throw GatewayAccountError(.alreadyExists, "gateway \(request.code) already has a broker account; rotate its password (ioc gateway rotate \(request.code), POST /api/v1/gateways/\(request.code)/rotate) for a new one")
        case .missing, .unknown:
            break
        }
        let (before, after) = try await store.register(request)
        let password = GatewayPassword.generate()
        let state: BrokerAccountState = after.enabled ? .active : .disabled
        do {
            try await accounts.provision(code: request.code, password: password, disabled: !after.enabled)
        } catch {
            try await record(actor: actor, action: before == nil ? "create" : "update", key: request.code,
                             before: before?.auditJSON(broker: .missing), after: after.auditJSON(broker: .missing))
            throw GatewayAccountError(error.kind == .alreadyExists ? .alreadyExists : .unavailable,
                                      "gateway \(request.code) is registered, but its broker account was not created: \(error.message); run the same add again once the broker answers")
        }
        try await record(actor: actor, action: before == nil ? "create" : "provision", key: request.code,
                         before: before?.auditJSON(broker: .missing), after: after.auditJSON(broker: state))
        logger.notice("gateway broker account created", metadata: ["gateway": "\(request.code)", "actor": "\(actor)"])
        return WithPassword(gateway: after, broker: state, password: password)
    }

    /// Disables (the broker disconnects it at once and refuses it from then on) or enables.
    public func setEnabled(code: String, _ enabled: Bool, actor: String) async throws -> Listed {
        guard let before = try await store.get(code: code) else { throw GatewayNotFoundError(code: code) }
        let beforeState = try await accounts.state(code: code)
        var state = beforeState
        if beforeState != .missing {
            try await accounts.setDisabled(code: code, !enabled)
            state = enabled ? .active : .disabled
        }
        guard let after = try await store.setEnabled(code: code, enabled) else { throw GatewayNotFoundError(code: code) }
        try await record(actor: actor, action: enabled ? "enable" : "disable", key: code,
                         before: before.auditJSON(broker: beforeState), after: after.auditJSON(broker: state))
        return Listed(gateway: after, broker: state)
    }

    /// A new password; the old one stops working at once (a connected gateway is disconnected).
    public func rotate(code: String, actor: String) async throws -> WithPassword {
        guard let gateway = try await store.get(code: code) else { throw GatewayNotFoundError(code: code) }
        let state = try await accounts.state(code: code)
        guard state != .missing else {
            throw GatewayAccountError(.notFound, "gateway \(code) has no broker account to rotate; add creates one (ioc gateway add \(code) --unit …, POST /api/v1/gateways)")
        }
        let password = GatewayPassword.generate()
        try await accounts.setPassword(code: code, password: password)
        try await record(actor: actor, action: "rotate", key: code, before: gateway.auditJSON(broker: state), after: gateway.auditJSON(broker: state))
        logger.notice("gateway password rotated", metadata: ["gateway": "\(code)", "actor": "\(actor)"])
        return WithPassword(gateway: gateway, broker: state, password: password)
    }

    private func record(actor: String, action: String, key: String, before: String?, after: String?) async throws {
        try await audit?.record(actor: actor, action: action, entity: "gateway", key: key, before: before, after: after)
    }
}
