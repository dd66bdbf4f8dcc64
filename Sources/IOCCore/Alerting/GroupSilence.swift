/// The no-data condition of a whole station or gateway at one moment, from the newest reading of
/// any of its sensors and, for a gateway, its own status (the `offline` its last will publishes).
/// Pure: the rule pipeline calls it on every timer tick.
public enum GroupSilence {
    /// - Parameters:
    ///   - afterSeconds: the rule's `after_seconds`.
    ///   - now: the tick's time.
    ///   - since: when watching began (rules loaded); silence counts from here before any reading.
    ///   - newestReading: the newest reading of any sensor of the group; nil when none yet.
    ///   - hasSensors: whether the group has sensors at all (a gateway may have none: then only
    ///     its status counts).
    ///   - offlineSince: when the gateway said it went offline, if that is its current status.
    ///     A reading newer than that shows it is back, whatever its status says.
    /// - Returns: active with the seconds of silence, counted from the earliest of the silent
    ///   reference points that have passed `afterSeconds`; otherwise normal.
    public static func observe(
        afterSeconds: Double, now: Timestamp, since: Timestamp, newestReading: Timestamp?,
        hasSensors: Bool, offlineSince: Timestamp? = nil
    ) -> AlertStateMachine.Observation {
        var silentFrom: Timestamp?
        if hasSensors {
            let reference = newestReading ?? since
            if now >= reference.adding(seconds: afterSeconds) { silentFrom = reference }
        }
        if let offline = offlineSince, newestReading.map({ $0 <= offline }) ?? true,
           now >= offline.adding(seconds: afterSeconds) {
            silentFrom = min(silentFrom ?? offline, offline)
        }
        guard let silentFrom else { return .normal(at: now) }
        return .active(level: nil, severity: nil, value: now.seconds - silentFrom.seconds, at: now)
    }
}
