extension EscalationPolicy {
    /// The latest a step or a repeat may come, in minutes: 7 days.
    public static let maximumMinutes = 7 * 24 * 60
    /// The most repeats a policy may have.
    public static let maximumRepeats = 100

    /// Throws the first of `problems`, the one a person fixes first.
    public func validate() throws(PagingValidationError) {
        if let first = problems.first { throw first }
    }

    /// Every problem of the policy, in the order of its fields; empty when it is valid. Whether
    /// targets name existing contacts and rotas is checked by `PagingConfiguration`.
    public var problems: [PagingValidationError] {
        var found = PagingProblems()
        found.name("name", name, example: "give the policy a name people recognise, like Lũ – Sơn Hòa")
        for (index, unit) in match.units.enumerated() where unit.isEmpty {
            found.add("match.units[\(index)]", "must be an administrative unit code such as PY-SONHOA; leave units empty to match the whole province")
        }
        for (index, domain) in match.domains.enumerated() where domain.isEmpty {
            found.add("match.domains[\(index)]", "must be a station domain such as hydrology; leave domains empty to match every domain")
        }
        if steps.isEmpty {
            found.add("steps", #"must list at least one step, like {"after_minutes":0,"targets":[{"rota":"Trực ban PCTT"}]}"#)
        }
        for (index, step) in steps.enumerated() {
            let path = "steps[\(index)]"
            if step.afterMinutes < 0 || step.afterMinutes > Self.maximumMinutes {
                found.add("\(path).after_minutes", "\(step.afterMinutes) must be from 0 to \(Self.maximumMinutes) (7 days): the minutes after the alert fires")
            } else if index > 0, step.afterMinutes < steps[index - 1].afterMinutes {
                found.add("\(path).after_minutes", "\(step.afterMinutes) is before the \(steps[index - 1].afterMinutes) of steps[\(index - 1)]; steps run in order, so after_minutes must not decrease")
            }
            if step.targets.isEmpty {
                found.add("\(path).targets", #"must list at least one target, like {"contact":"Nguyễn Văn An"} or {"rota":"Trực ban PCTT"}"#)
            }
            for (number, target) in step.targets.enumerated() {
                let targetPath = "\(path).targets[\(number)]"
                switch target.recipient {
                case .contact(let name): found.name("\(targetPath).contact", name, example: "name a contact")
                case .rota(let name): found.name("\(targetPath).rota", name, example: "name a rota")
                }
                if target.channels?.isEmpty == true {
                    found.add("\(targetPath).channels", "must list at least one channel type (webhook, email, sms, telegram), or be left out to use all of the contact's channels")
                }
            }
        }
        if repeatCount < 0 || repeatCount > Self.maximumRepeats {
            found.add("repeat", "\(repeatCount) must be from 0 to \(Self.maximumRepeats): how many more times the steps run while nobody acknowledges")
        }
        if let gap = repeatAfterMinutes, gap < 0 || gap > Self.maximumMinutes {
            found.add("repeat_after_minutes", "\(gap) must be from 0 to \(Self.maximumMinutes) (7 days): the minutes from the last step to the next run; or leave it out to use the last step's after_minutes")
        } else if repeatCount > 0, !steps.isEmpty, effectiveRepeatAfterMinutes == 0 {
            let source = repeatAfterMinutes == nil ? "left out, so it is the last step's after_minutes, 0" : "0"
            found.add("repeat_after_minutes", "is \(source); with repeat \(repeatCount) it must be above 0, or every repeat pages at the same moment as the last step")
        }
        return found.list
    }
}
