import IOCCore
import Testing

@Suite("Silence of a whole station or gateway")
struct GroupSilenceTests {
    static let t0 = Timestamp(seconds: 1_790_000_000)
    static func at(_ seconds: Double) -> Timestamp { t0.adding(seconds: seconds) }

    /// after 600 s; watching since t0. `newest` and `offline` are seconds after t0 (nil: none).
    @Test("observations", arguments: [
        // name, now, newest reading, has sensors, offline since, expected
        ("no reading yet, not long enough", 599.0, nil, true, nil, "normal"),
        ("no reading since watching began", 600, nil, true, nil, "active 600"),
        ("a recent reading from any sensor", 900, 400, true, nil, "normal"),
        ("the newest reading is too old", 1000, 400, true, nil, "active 600"),
        ("offline, not long enough; readings recent", 700, 650, true, 660, "normal"),
        ("offline long enough and nothing since", 1300, 650, true, 660, "active 650"),
        ("offline long enough but a reading came after: it is back", 1300, 1200, true, 660, "normal"),
        ("offline counts from its notice, silence from the reading: the earlier wins", 1300, 100, true, 660, "active 1200"),
        ("a gateway without sensors: status alone", 5000, nil, false, nil, "normal"),
        ("a gateway without sensors, offline long enough", 5000, nil, false, 4000, "active 1000"),
        ("a gateway without sensors, offline too briefly", 5000, nil, false, 4500, "normal"),
    ] as [(String, Double, Double?, Bool, Double?, String)])
    func observations(_ name: String, now: Double, newest: Double?, hasSensors: Bool, offline: Double?, expected: String) {
        let observation = GroupSilence.observe(
            afterSeconds: 600, now: Self.at(now), since: Self.t0, newestReading: newest.map(Self.at),
            hasSensors: hasSensors, offlineSince: offline.map(Self.at))
        let shown = switch observation {
        case .normal: "normal"
        case .active(_, _, let value, let time): time == Self.at(now) ? "active \(Int(value))" : "active at a wrong time"
        }
        #expect(shown == expected, "\(name)")
    }
}
