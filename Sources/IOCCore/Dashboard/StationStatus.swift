/// What a wall display shows for a station, decided in this order:
/// - `offline`: the station's gateway said it is offline (its MQTT will message or status topic),
///   whatever data arrived before;
/// - `unknown`: no reading of any of its sensors was ever stored;
/// - `stale`: its newest reading (over all its sensors) is older than the staleness threshold
///   (15 minutes unless the request or the server says otherwise);
/// - `online`: otherwise — recent data and a gateway that is not known to be offline.
public enum StationStatus: String, Sendable, CaseIterable, Codable {
    case online, offline, stale, unknown

    /// The staleness threshold when nothing else is configured.
    public static let defaultStaleAfterSeconds = 900
    /// The thresholds a request may ask for: one minute to one week.
    public static let staleAfterRange = 60...604_800
}
