/// Everything paging needs, as one file: who can be paged, the on-call rotas and the escalation
/// policies, which refer to contacts and rotas by name.
///
/// `{"contacts": [...], "rotas": [...], "escalation_policies": [...]}`; a list left out is empty.
public struct PagingConfiguration: Sendable, Hashable, Codable {
    public var contacts: [Contact]
    public var rotas: [Rota]
    public var escalationPolicies: [EscalationPolicy]

    enum CodingKeys: String, CodingKey {
        case contacts, rotas
        case escalationPolicies = "escalation_policies"
    }

    public init(contacts: [Contact] = [], rotas: [Rota] = [], escalationPolicies: [EscalationPolicy] = []) {
        self.contacts = contacts
        self.rotas = rotas
        self.escalationPolicies = escalationPolicies
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        contacts = try container.decodeIfPresent([Contact].self, forKey: .contacts) ?? []
        rotas = try container.decodeIfPresent([Rota].self, forKey: .rotas) ?? []
        escalationPolicies = try container.decodeIfPresent([EscalationPolicy].self, forKey: .escalationPolicies) ?? []
    }

    /// Throws the first of `problems`, the one a person fixes first.
    public func validate() throws(PagingValidationError) {
        if let first = problems.first { throw first }
    }

    /// Every problem of every entry, and every name that refers to nothing, in file order
    /// (contacts, rotas, policies); empty when the configuration is valid.
    public var problems: [PagingValidationError] {
        var found = PagingProblems()
        let contactsByName = Dictionary(contacts.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let rotasByName = Dictionary(rotas.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let contactNames = contacts.map(\.name), rotaNames = rotas.map(\.name), policyNames = escalationPolicies.map(\.name)

        for (index, contact) in contacts.enumerated() {
            found.add("contacts[\(index)]", contact.problems)
            found.unique("contacts", index, contactNames)
        }
        for (index, rota) in rotas.enumerated() {
            let path = "rotas[\(index)]"
            found.add(path, rota.problems)
            found.unique("rotas", index, rotaNames)
            for (number, member) in rota.members.enumerated() where contactsByName[member] == nil && !member.isBlank {
                found.add("\(path).members[\(number)]", Self.unknown("contact", member))
            }
            for (number, override) in rota.overrides.enumerated() where contactsByName[override.member] == nil && !override.member.isBlank {
                found.add("\(path).overrides[\(number)].member", Self.unknown("contact", override.member))
            }
        }
        for (index, policy) in escalationPolicies.enumerated() {
            let path = "escalation_policies[\(index)]"
            found.add(path, policy.problems)
            found.unique("escalation_policies", index, policyNames)
            for (stepIndex, step) in policy.steps.enumerated() {
                for (number, target) in step.targets.enumerated() {
                    let targetPath = "\(path).steps[\(stepIndex)].targets[\(number)]"
                    // The contacts the target may page, to check that its channels reach them.
                    let reached: [Contact]
                    switch target.recipient {
                    case .contact(let name):
                        guard let contact = contactsByName[name] else {
                            if !name.isBlank { found.add("\(targetPath).contact", Self.unknown("contact", name)) }
                            continue
                        }
                        reached = [contact]
                    case .rota(let name):
                        guard let rota = rotasByName[name] else {
                            if !name.isBlank { found.add("\(targetPath).rota", Self.unknown("rota", name)) }
                            continue
                        }
                        reached = (rota.members + rota.overrides.map(\.member)).compactMap { contactsByName[$0] }
                    }
                    guard let kinds = target.channels, !kinds.isEmpty else { continue }
                    var reported: Set<String> = []
                    for contact in reached where !contact.channels.contains(where: { kinds.contains($0.kind) }) {
                        guard reported.insert(contact.name).inserted else { continue }
                        let listed = kinds.map(\.rawValue).joined(separator: " or ")
                        found.add("\(targetPath).channels", "contact '\(contact.name)' has no \(listed) channel, so this target cannot reach them; add one to the contact or allow another type here")
                    }
                }
            }
        }
        return found.list
    }

    private static func unknown(_ what: String, _ name: String) -> String {
        "'\(name)' is not the name of any \(what); add it to the \(what)s or correct the name"
    }
}
