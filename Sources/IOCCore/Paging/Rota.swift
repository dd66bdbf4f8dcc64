import Foundation

/// An on-call rotation: `members` take turns of `rotationHours`, handing off at `handoffTime`
/// local time in `timeZone`; the first turn, members[0]'s, starts on `startDate`. An override
/// puts somebody else on call for a while (leave, a swap), whether a member or not.
///
/// The JSON form uses snake_case names, local times as `HH:mm` and `YYYY-MM-DD`, and override
/// times as RFC 3339. `RotaTests` pins the exact shape.
public struct Rota: Sendable, Hashable, Codable {
    /// The database id; nil until the rota is stored.
    public var id: Int64?
    /// Unique; escalation policies refer to the rota by it.
    public var name: String
    /// Contact names, in the order they take turns.
    public var members: [String]
    /// The length of a turn: 24 daily, 168 weekly. A multiple of 24 hands off at `handoffTime`
    /// local time even across a daylight-saving change; other lengths count elapsed hours.
    public var rotationHours: Int
    /// `HH:mm`, local time in `timeZone`.
    public var handoffTime: String
    /// An IANA time zone identifier.
    public var timeZone: String
    /// `YYYY-MM-DD`: the date of the first hand-off, to members[0].
    public var startDate: String
    public var overrides: [Override]

    public static let vietnam = "Asia/Ho_Chi_Minh"

    enum CodingKeys: String, CodingKey {
        case id, name, members, overrides
        case rotationHours = "rotation_hours"
        case handoffTime = "handoff_time"
        case timeZone = "time_zone"
        case startDate = "start_date"
    }

    public init(
        id: Int64? = nil, name: String, members: [String], rotationHours: Int = 168, handoffTime: String = "08:00",
        timeZone: String = Rota.vietnam, startDate: String, overrides: [Override] = []
    ) {
        self.id = id
        self.name = name
        self.members = members
        self.rotationHours = rotationHours
        self.handoffTime = handoffTime
        self.timeZone = timeZone
        self.startDate = startDate
        self.overrides = overrides
    }

    /// `member` is on call from `from` (inclusive) to `to` (exclusive), instead of the rotation.
    public struct Override: Sendable, Hashable, Codable {
        public var member: String
        public var from: Timestamp
        public var to: Timestamp

        enum CodingKeys: String, CodingKey {
            case member, from, to
        }

        public init(member: String, from: Timestamp, to: Timestamp) {
            self.member = member
            self.from = from
            self.to = to
        }

        public func covers(_ time: Timestamp) -> Bool { from <= time && time < to }
    }

    /// Who is on call at `time`: the override covering it (the latest-starting one if several,
    /// the later listed if they start together); otherwise the member whose turn it is, members[0]
    /// before the first hand-off. Nil only for a rota that does not validate (no members, or
    /// rotation_hours, handoff_time, time_zone or start_date unusable).
    public func onCall(at time: Timestamp) -> String? {
        var override: Override?
        for candidate in overrides where candidate.covers(time) {
            if override.map({ candidate.from >= $0.from }) ?? true { override = candidate }
        }
        if let override { return override.member }
        guard !members.isEmpty, let turn = turn(at: time) else { return nil }
        return members[max(turn, 0) % members.count]
    }

    /// The number of hand-offs at or before `time`, less one: 0 during members[0]'s first turn,
    /// negative before it. Nil when the rota's time settings do not parse.
    public func turn(at time: Timestamp) -> Int? {
        guard rotationHours > 0, let schedule = HandoffSchedule(self) else { return nil }
        let period = Double(rotationHours) * 3600
        let estimate = ((time.seconds - schedule.first.seconds) / period).rounded(.down)
        guard estimate.magnitude < 1e12 else { return nil }
        var turn = Int(estimate)
        // The estimate counts elapsed hours; a daylight-saving change moves local hand-offs by
        // an hour, so step to the right turn.
        while let start = schedule.handoff(turn), start > time { turn -= 1 }
        while let next = schedule.handoff(turn + 1), next <= time { turn += 1 }
        return turn
    }

    /// The instant of hand-off `turn` (0: the first), in UTC. Nil when the rota's time settings
    /// do not parse.
    public func handoff(_ turn: Int) -> Timestamp? {
        guard rotationHours > 0 else { return nil }
        return HandoffSchedule(self)?.handoff(turn)
    }

    /// `HH:mm` as hour and minute.
    static func timeOfDay(_ text: String) -> (hour: Int, minute: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 && $0.allSatisfy(\.isASCIIDigit) }),
              let hour = Int(parts[0]), let minute = Int(parts[1]), hour < 24, minute < 60
        else { return nil }
        return (hour, minute)
    }

    /// `YYYY-MM-DD` as a calendar date that exists.
    static func calendarDate(_ text: String) -> (year: Int, month: Int, day: Int)? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, zip(parts, [4, 2, 2]).allSatisfy({ $0.count == $1 && $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        let civil = Timestamp.civil(fromDays: Int64(Timestamp.daysFromCivil(year: year, month: month, day: day)))
        guard (1...12).contains(month), civil == (Int64(year), Int64(month), Int64(day)) else { return nil }
        return (year, month, day)
    }
}

/// The hand-offs of a rota in its time zone.
private struct HandoffSchedule {
    var calendar: Calendar
    var first: Timestamp
    var rotationHours: Int

    init?(_ rota: Rota) {
        guard let zone = TimeZone(identifier: rota.timeZone), let clock = Rota.timeOfDay(rota.handoffTime),
              let date = Rota.calendarDate(rota.startDate)
        else { return nil }
        calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        guard let first = calendar.date(from: DateComponents(
            year: date.year, month: date.month, day: date.day, hour: clock.hour, minute: clock.minute))
        else { return nil }
        self.first = Timestamp(first)
        rotationHours = rota.rotationHours
    }

    func handoff(_ turn: Int) -> Timestamp? {
        if rotationHours.isMultiple(of: 24) {
            let (days, overflow) = turn.multipliedReportingOverflow(by: rotationHours / 24)
            guard !overflow else { return nil }
            return calendar.date(byAdding: .day, value: days, to: first.date).map { Timestamp(date: $0) }
        }
        return first.adding(seconds: Double(turn) * Double(rotationHours) * 3600)
    }
}
