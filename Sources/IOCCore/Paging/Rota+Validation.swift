import Foundation

extension Rota {
    /// Throws the first of `problems`, the one a person fixes first.
    public func validate() throws(PagingValidationError) {
        if let first = problems.first { throw first }
    }

    /// Every problem of the rota, in the order of its fields; empty when it is valid. Whether
    /// members and override members are contacts is checked by `PagingConfiguration`.
    public var problems: [PagingValidationError] {
        var found = PagingProblems()
        found.name("name", name, example: "give the rota a name people recognise, like Trực ban PCTT")
        if members.isEmpty {
            found.add("members", "must list at least one contact name, in the order they take turns")
        }
        found.distinctNames("members", members, what: "contact")
        if rotationHours <= 0 {
            found.add("rotation_hours", "\(rotationHours) must be above 0: the length of a turn in hours, like 24 (daily) or 168 (weekly)")
        }
        if Self.timeOfDay(handoffTime) == nil {
            found.add("handoff_time", "'\(handoffTime)' is not a time of day; expected HH:mm on a 24-hour clock, like 08:00")
        }
        if TimeZone(identifier: timeZone) == nil {
            found.add("time_zone", "'\(timeZone)' is not a time zone; use an IANA identifier like Asia/Ho_Chi_Minh")
        }
        if Self.calendarDate(startDate) == nil {
            found.add("start_date", "'\(startDate)' is not a date; expected YYYY-MM-DD, like 2026-11-02, the day of the first hand-off")
        }
        for (index, override) in overrides.enumerated() {
            let path = "overrides[\(index)]"
            found.name("\(path).member", override.member, example: "name the contact on call instead")
            if override.to <= override.from {
                found.add("\(path).to", "\(override.to.rfc3339) is not after from (\(override.from.rfc3339)); an override ends after it starts")
            }
        }
        return found.list
    }
}
