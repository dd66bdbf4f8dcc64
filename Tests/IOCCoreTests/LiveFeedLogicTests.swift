import IOCCore
import Testing

@Suite("The live feed's subscriptions, slow-client mailbox and alert-event cursor")
struct LiveFeedLogicTests {
    // MARK: Subscriptions

    @Test("a subscription matches by unit subtree, domains and stations, all at once, within its token's scope", arguments: [
        (LiveSubscription(), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], true),
        (LiveSubscription(unit: "PY"), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], true),
        (LiveSubscription(unit: "PY-TUYHOA"), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], true),
        (LiveSubscription(unit: "PY-SONGCAU"), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], false),
        (LiveSubscription(domains: ["air", "hydrology"]), "PY-A", "hydrology", ["PY"], true),
        (LiveSubscription(domains: ["air"]), "PY-A", "hydrology", ["PY"], false),
        (LiveSubscription(domains: ["air"]), nil, nil, ["PY"], false),
        (LiveSubscription(stations: ["PY-A"]), "PY-A", "hydrology", ["PY"], true),
        (LiveSubscription(stations: ["PY-B"]), "PY-A", "hydrology", ["PY"], false),
        (LiveSubscription(stations: ["PY-A"]), nil, "hydrology", ["PY"], false),
        (LiveSubscription(unit: "PY", domains: ["hydrology"], stations: ["PY-A"]), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], true),
        (LiveSubscription(unit: "PY-SONGCAU", domains: ["hydrology"], stations: ["PY-A"]), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], false),
        // A token's scope bounds everything the subscription asks.
        (LiveSubscription(scope: "PY-TUYHOA"), "PY-A", "hydrology", ["PY-TUYHOA", "PY"], true),
        (LiveSubscription(scope: "PY-TUYHOA"), "PY-B", "hydrology", ["PY-SONGCAU", "PY"], false),
        (LiveSubscription(scope: "PY-TUYHOA"), "PY-C", "hydrology", ["PY"], false),
        (LiveSubscription(unit: "PY", scope: "PY-TUYHOA"), "PY-B", "hydrology", ["PY-SONGCAU", "PY"], false),
        (LiveSubscription(stations: ["PY-B"], scope: "PY-TUYHOA"), "PY-B", "hydrology", ["PY-SONGCAU", "PY"], false),
        (LiveSubscription(scope: "PY-TUYHOA"), nil, nil, ["PY-TUYHOA", "PY"], true),
        (LiveSubscription(scope: "PY-TUYHOA"), nil, nil, ["PY"], false),
    ] as [(LiveSubscription, String?, String?, [String], Bool)])
    func subscription(_ subscription: LiveSubscription, station: String?, domain: String?, path: [String], expected: Bool) {
        #expect(subscription.matches(station: station, domain: domain, unitPath: path) == expected)
    }

    // MARK: Mailbox

    typealias Box = LiveMailbox<String>

    /// Pushes, in order: `r:a,b` reading frames, `e:x` an event, `h:x` a heartbeat, `n` takes the next.
    /// Returns what each step said: `c` coalesced, `-` not, `ok`/`over` for events, or what `n` took.
    static func run(_ steps: [String], readings: Int = 3, events: Int = 2) -> String {
        var box = Box(maxReadingFrames: readings, maxEventFrames: events)
        var said: [String] = []
        for step in steps {
            let parts = step.split(separator: ":", maxSplits: 1).map(String.init)
            switch parts[0] {
            case "r": said.append(box.push(readings: parts[1].split(separator: ",").map(String.init)) ? "c" : "-")
            case "e": said.append(box.push(event: parts[1]) ? "ok" : "over")
            case "h": box.push(heartbeat: parts[1]); said.append("h")
            default:
                switch box.next() {
                case .snapshot: said.append("SNAP")
                case .frame(let frame): said.append(frame)
                case nil: said.append("empty")
                }
            }
        }
        return said.joined(separator: " ")
    }

    @Test("mailbox", arguments: [
        ("frames go out in order", ["r:a", "e:x", "r:b", "n", "n", "n", "n"], "- ok - a x b empty"),
        ("a client keeping up never coalesces", ["r:a,b", "n", "n", "r:c,d", "n", "n"], "- a b - c d"),
        ("too many reading frames become one snapshot; events stay, in order",
         ["r:a,b", "e:x", "r:c,d", "n", "n", "n"], "- ok c SNAP x empty"),
        ("while a snapshot is pending, new readings are left to it", ["r:a,b,c,d", "r:e", "n", "n"], "c - SNAP empty"),
        ("after the snapshot, frames queue again", ["r:a,b,c,d", "n", "r:e", "n"], "c SNAP - e"),
        ("events overflow: the client must go, nothing more is queued", ["e:x", "e:y", "e:z", "r:a", "n"], "ok ok over - empty"),
        ("one heartbeat waits at most", ["h:1", "h:2", "n", "n", "h:3", "n"], "h h 1 empty h 3"),
    ])
    func mailbox(_ name: String, steps: [String], expected: String) {
        #expect(Self.run(steps) == expected, "\(name)")
    }

    // MARK: Event cursor

    @Test("the cursor delivers each event once, waits for ids that commit late, and gives up on gaps after the grace")
    func cursor() {
        var cursor = EventCursor(floor: 10, grace: 5)
        #expect(cursor.accept([11, 12], now: 0) == [11, 12])
        #expect(cursor.floor == 12)
        // 14 committed before 13: 13 is waited for.
        #expect(cursor.accept([14], now: 1) == [14])
        #expect(cursor.floor == 12)
        // The next poll asks from the floor again: 14 is not delivered twice, 13 arrives late.
        #expect(cursor.accept([13, 14, 15], now: 2) == [13, 15])
        #expect(cursor.floor == 15)
        // 16 never comes (rolled back): after the grace the floor moves past it.
        #expect(cursor.accept([17], now: 3) == [17])
        #expect(cursor.floor == 15)
        #expect(cursor.accept([17], now: 7) == [])
        #expect(cursor.floor == 15, "4 s: still waiting for 16")
        #expect(cursor.accept([17], now: 8.5) == [])
        #expect(cursor.floor == 17)
        #expect(cursor.accept([], now: 9) == [])
        #expect(cursor.accept([12], now: 9) == [], "an id at or below the floor is old")
    }
}
