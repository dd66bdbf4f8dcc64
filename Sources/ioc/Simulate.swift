import ArgumentParser
import Foundation
import IOCCore
import IOCIngest
import IOCStorage

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a believable province through MQTT, as its gateways would, and play named scenarios.",
        discussion: """
        BACKGROUND. Every station of the registry reports, each gateway with its own MQTT account (a JSON \
        file of gateway code to password), QoS 1, in SenML, compact JSON and raw form (--format mixed \
        rotates them), --rate readings per second in all. Values follow an ordinary day in Vietnam's local \
        time (UTC+7) with sensor noise: traffic peaks around 07:00–08:30 and 16:30–18:30 (speed down to \
        about 0.7 of free flow, counts and occupancy up), ozone peaks in the afternoon, PM2.5 and PM10 are \
        highest at night and early morning, hydropower releases more for the evening peak, showers of a \
        few mm/h come and go, rivers and reservoirs stay well below their alarm and normal levels. A \
        normal day raises no alert by itself.

        --background realistic (the default) adds what real gateways do: a reading missing now and then \
        (--dropout-rate 0.003 of readings), packs published 2–8 minutes late with their original \
        timestamps (--late-rate 0.01, --late-minutes 2-8) and packs sent twice (--duplicate-rate 0.005), \
        an occasional bad message (--bad-rate 0.0005 per message; with --malformed N exactly N instead, \
        spread among the good ones, each of which IOC must dead-letter), and each gateway dropping off \
        for 2–12 minutes about every 4 hours (--outage-every-minutes 240, --outage-minutes 2-12; none in \
        the first --outage-after-minutes 10): its connection ends without a goodbye, so the broker publishes its last \
        will (offline), and it reconnects and says online when the outage is over. Set any rate to 0 to \
        turn that off. --background steady publishes the same values with none of these events (explicit \
        rates still apply); --background off publishes only the scenarios.

        SCENARIOS. --scenario NAME (repeatable) plays a named situation on a few stations, which the \
        background then leaves alone; --list-scenarios prints each with the alerts the shipped rules \
        (deploy/sample/rules.json) raise and clear because of it (--json for machines). --time-scale K \
        plays a scenario K times faster. A replay scenario keeps its own pace in its timestamps and ends \
        stamped now: it starts its duration back and catches up with the clock at the end, so rule windows, \
        rates, hourly VN_AQI and rain sums see it as it would happen, while wall-clock checks (no-data rules, \
        the timer that ends for_seconds) see readings up to its duration old. A live scenario is stamped \
        when sent, so its silences are K times shorter and so must be the no-data rules that measure them. \
        Replayed readings older than what a station already reported are stored but not evaluated by \
        rules: play replay scenarios on stations without newer data (a fresh database). Without \
        background the command ends when the scenarios do.

        A progress line every --progress seconds; the last lines report what was published, acknowledged \
        by the broker, and the background's events.
        """
    )

    /// `mixed` rotates all three; `packs` only SenML and compact JSON, whose readings carry their own
    /// time, so a redelivered message is stored once (a raw reading is stamped when received).
    enum Format: String, ExpressibleByArgument, CaseIterable { case mixed, packs, senml, json, raw }

    enum Background: String, ExpressibleByArgument, CaseIterable { case realistic, steady, off }

    @Option(help: "Registry JSON file whose stations and sensors are simulated.")
    var registry = "deploy/sample/registry.json"

    @Option(help: "JSON file of gateway code → MQTT password (env IOC_SIM_CREDENTIALS).")
    var credentials: String?

    @Option(name: .customLong("mqtt-url"), help: "Broker mqtt://host:port; user names come from the gateways (env IOC_SIM_MQTT_URL; default mqtt://127.0.0.1:1883).")
    var mqttURL: String?

    @Option(help: "Background readings per second over all sensors.")
    var rate: Double = 100

    @Option(help: "Stop after this many background readings (default: run until interrupted or --duration).")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Payload format of the background: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .mixed

    @Option(help: "Background: \(Background.allCases.map(\.rawValue).joined(separator: ", ")) (see the overview above).")
    var background: Background = .realistic

    @Option(name: .customLong("dropout-rate"), help: "Share of background readings left out (realistic: 0.003).")
    var dropoutRate: Double?

    @Option(name: .customLong("late-rate"), help: "Share of background packs published late (realistic: 0.01).")
    var lateRate: Double?

    @Option(name: .customLong("late-minutes"), help: "How late, a range in minutes (default 2-8).")
    var lateMinutes: String?

    @Option(name: .customLong("duplicate-rate"), help: "Share of background packs sent twice (realistic: 0.005).")
    var duplicateRate: Double?

    @Option(name: .customLong("bad-rate"), help: "Bad messages per good message (realistic: 0.0005; 0 with --malformed).")
    var badRate: Double?

    @Option(help: "Publish exactly this many malformed messages, spread among the good ones.")
    var malformed: Int = 0

    @Option(name: .customLong("outage-every-minutes"), help: "Mean minutes between one gateway's outages, 0 for none (realistic: 240).")
    var outageEveryMinutes: Double?

    @Option(name: .customLong("outage-minutes"), help: "How long an outage lasts, a range in minutes (default 2-12).")
    var outageMinutes: String?

    @Option(name: .customLong("outage-after-minutes"), help: "No outage in the first minutes of a run (default 10).")
    var outageAfterMinutes: Double?

    @Option(name: .customLong("scenario"), help: "Play this scenario (repeatable): \(ScenarioCatalog.names.joined(separator: ", ")).")
    var scenarios: [String] = []

    @Option(name: .customLong("time-scale"), help: "Play scenarios this many times faster than real time (≥ 1).")
    var timeScale: Double = 1

    @Flag(name: .customLong("list-scenarios"), help: "Print the scenarios (those of --scenario, else all) and the alerts each must raise, and exit.")
    var listScenarios = false

    @Flag(help: "With --list-scenarios: JSON.")
    var json = false

    @Option(help: "Seconds between progress lines.")
    var progress: Double = 5

    @Option(help: "Random seed of the background (same seed, same values); scenarios are the same every run.")
    var seed: UInt64 = 1

    @Option(name: .customLong("client-prefix"), help: "Prefix of the MQTT client ids (one persistent session per gateway).")
    var clientPrefix = "ioc-sim"

    func validate() throws {
        guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be a positive number of readings per second") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        guard malformed >= 0 else { throw ValidationError("--malformed must not be negative") }
        guard timeScale.isFinite, timeScale >= 1 else { throw ValidationError("--time-scale must be a number ≥ 1 (1 is real time)") }
        guard progress > 0, progress.isFinite else { throw ValidationError("--progress must be a positive number of seconds") }
        for (flag, value) in [("--dropout-rate", dropoutRate), ("--late-rate", lateRate), ("--duplicate-rate", duplicateRate), ("--bad-rate", badRate)] {
            if let value, !(0...1).contains(value) { throw ValidationError("\(flag) must be between 0 and 1, got \(value)") }
        }
        if let outageEveryMinutes, !(outageEveryMinutes.isFinite && outageEveryMinutes >= 0) {
            throw ValidationError("--outage-every-minutes must be a number of minutes ≥ 0 (0: no outages)")
        }
        if let outageAfterMinutes, !(outageAfterMinutes.isFinite && outageAfterMinutes >= 0) {
            throw ValidationError("--outage-after-minutes must be a number of minutes ≥ 0")
        }
        _ = try Self.minuteRange(lateMinutes, flag: "--late-minutes")
        _ = try Self.minuteRange(outageMinutes, flag: "--outage-minutes")
        var seen = Set<String>()
        for name in scenarios {
            guard ScenarioCatalog.names.contains(name) else {
                throw ValidationError("unknown scenario \"\(name)\"; the scenarios are: \(ScenarioCatalog.names.joined(separator: ", "))")
            }
            guard seen.insert(name).inserted else { throw ValidationError("--scenario \(name) is given twice") }
        }
        if background == .off && scenarios.isEmpty && !listScenarios {
            throw ValidationError("--background off publishes only scenarios: give at least one --scenario")
        }
    }

    /// "2-8" → 120...480 seconds; nil when not given.
    static func minuteRange(_ text: String?, flag: String) throws -> ClosedRange<Double>? {
        guard let text else { return nil }
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        let bounds: (Double, Double)? = switch parts.count {
        case 1: parts[0].map { ($0, $0) }
        case 2: parts[0].flatMap { low in parts[1].map { (low, $0) } }
        default: nil
        }
        guard let (low, high) = bounds, low.isFinite, high.isFinite, low >= 0, low <= high else {
            throw ValidationError("\(flag) must be minutes or a range of minutes such as 2-8, got \(text)")
        }
        return (low * 60)...(high * 60)
    }

    /// The background's events: the preset of --background, with every rate given on the command line instead.
    func resolvedEvents() throws -> BackgroundEvents {
        var events: BackgroundEvents = background == .realistic ? .realistic : .none
        if malformed > 0 { events.badRate = 0 }
        if let dropoutRate { events.dropoutRate = dropoutRate }
        if let lateRate { events.lateRate = lateRate }
        if let range = try Self.minuteRange(lateMinutes, flag: "--late-minutes") { events.lateDelay = range }
        if let duplicateRate { events.duplicateRate = duplicateRate }
        if let badRate { events.badRate = badRate }
        if let outageEveryMinutes { events.outageEvery = outageEveryMinutes * 60 }
        if let range = try Self.minuteRange(outageMinutes, flag: "--outage-minutes") { events.outageDuration = range }
        if let outageAfterMinutes { events.outageWarmUp = outageAfterMinutes * 60 }
        return events
    }

    /// The registry's stations that a gateway reports and that have sensors.
    func loadStations() throws -> [SimulatedStation] {
        let file = try RegistryFile.load(path: registry)
        return file.stations.compactMap(SimulatedStation.init)
    }

    /// The scenarios of --scenario, built on the registry.
    func loadScenarios(_ stations: [SimulatedStation], names: [String]) throws -> [Scenario] {
        let byCode = Dictionary(stations.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        var result: [Scenario] = []
        var owner: [String: String] = [:]
        for name in names {
            let scenario: Scenario
            do { scenario = try ScenarioCatalog.scenario(named: name, stations: byCode) } catch { throw ValidationError("\(error) (registry \(registry))") }
            for station in scenario.stations {
                if let other = owner[station.code] {
                    throw ValidationError("scenarios \(other) and \(name) both drive station \(station.code); play them one after the other")
                }
                owner[station.code] = name
            }
            result.append(scenario)
        }
        return result
    }

    func run() async throws {
        if listScenarios {
            try list(try loadScenarios(try loadStations(), names: scenarios.isEmpty ? ScenarioCatalog.names : scenarios))
            return
        }
        // A gateway's connection is dropped on purpose during outages: a write to its closed socket
        // must fail, not end the process.
        signal(SIGPIPE, SIG_IGN)
        let stations = try loadStations()
        let plays = try loadScenarios(stations, names: scenarios)
        let driven = Set(plays.flatMap { $0.stations.map(\.code) })
        // Every station, when there is a background; a scenario's stations are left to it until it ends.
        let backgroundStations = background == .off ? [] : stations
        var held = driven
        guard !backgroundStations.isEmpty || !plays.isEmpty else {
            throw ValidationError("\(registry) has no station with a gateway and sensors to simulate")
        }
        let events = try resolvedEvents()
        let passwords = try loadCredentials(credentials ?? ProcessInfo.processInfo.environment["IOC_SIM_CREDENTIALS"])
        let base = try MQTTEndpoint(url: setting(mqttURL, env: "IOC_SIM_MQTT_URL", default: "mqtt://127.0.0.1:1883"))
        let gateways = Set(backgroundStations.map(\.gateway) + plays.flatMap(\.gateways)).sorted()
        for gateway in gateways where passwords[gateway] == nil {
            throw ValidationError("no password for gateway \(gateway) in the credentials file; gateways publish with their own accounts")
        }
        var connections = GatewayConnections(base: base, passwords: passwords, clientPrefix: clientPrefix)
        for gateway in gateways { try connections.open(gateway) }
        try await connections.waitUntilConnected()
        for gateway in gateways { try await connections.publishStatus(gateway, online: true) }

        let sensorCount = backgroundStations.filter { !held.contains($0.code) }.reduce(0) { $0 + $1.sensors.count }
        if background == .off {
            say("simulate: background off; \(plays.count) scenario(s) on \(gateways.count) gateways")
        } else {
            say("simulate: \(backgroundStations.count - held.count) stations, \(sensorCount) sensors, \(gateways.count) gateways, \(rate) readings/s, format \(format.rawValue), background \(background.rawValue)")
            func minutes(_ range: ClosedRange<Double>) -> String { "\(ScenarioRun.number(range.lowerBound / 60))–\(ScenarioRun.number(range.upperBound / 60)) min" }
            let bad = malformed > 0 ? "exactly \(malformed)" : "\(events.badRate)"
            let outages = events.outageEvery > 0 ? "every ~\(ScenarioRun.number(events.outageEvery / 60)) min per gateway for \(minutes(events.outageDuration)), none in the first \(ScenarioRun.number(events.outageWarmUp / 60)) min" : "off"
            say("simulate: events: dropouts \(events.dropoutRate), late \(events.lateRate) (\(minutes(events.lateDelay))), duplicates \(events.duplicateRate), bad \(bad), outages \(outages)")
        }
        var runs = plays.map { ScenarioRun(scenario: $0, timeline: $0.timeline(timeScale: timeScale, start: .now)) }
        for run in runs { say(run.announcement) }

        var model = ProvinceModel(seed: seed)
        var random = SplitMix64(seed: seed ^ 0x5EED)
        let undriven = stations.filter { !driven.contains($0.code) }
        var malformedKit = MalformedMessages(stations: undriven.isEmpty ? stations : undriven, seed: seed)
        // Outages only on gateways that no scenario uses: a scenario decides its own silences.
        let scenarioGateways = Set(plays.flatMap(\.gateways))
        var outages: [String: OutageSchedule] = [:]
        for (index, gateway) in gateways.enumerated() where !scenarioGateways.contains(gateway) && events.outageEvery > 0 {
            outages[gateway] = OutageSchedule(events: events, start: .now, seed: seed &+ UInt64(index) &* 0x9E37)
        }
        var late: [LatePack] = []
        var tally = Tally()
        let started = ContinuousClock.now
        var lastProgress = started
        let tick = Duration.milliseconds(100)
        var next = started
        var stationIndex = 0
        var budget = 0.0
        var round = 0
        let totalGood = count ?? Int.max
        // Bad messages are spread evenly over the good ones (or sent at the end when there are none).
        let badEvery = malformed > 0 && count != nil ? max(1, totalGood / (malformed + 1)) : 1
        let backgroundDone = { (tally: Tally) in tally.backgroundReadings >= totalGood && tally.bad >= self.malformed }

        loop: while true {
            if let duration, ContinuousClock.now - started > .seconds(duration) { break }
            if Task.isCancelled { break }
            let now = Timestamp.now

            // Gateways dropping off and coming back.
            for gateway in outages.keys.sorted() {
                guard var schedule = outages[gateway], let outage = schedule.next else { continue }
                if !connections.isOffline(gateway), now >= outage.start, now < outage.end {
                    try await connections.drop(gateway)
                    tally.outages += 1
                    say("simulate: gateway \(gateway) offline for \(ScenarioRun.span(outage.end.seconds - now.seconds)) (connection dropped; the broker publishes its last will)")
                } else if now >= outage.end {
                    if connections.isOffline(gateway) {
                        try await connections.reconnect(gateway)
                        say("simulate: gateway \(gateway) back online")
                    }
                    schedule.advance()
                    outages[gateway] = schedule
                }
            }

            // Scenarios: every pack whose moment has come.
            for index in runs.indices {
                while let pack = runs[index].due(at: now) {
                    let (topic, payload, readings) = runs[index].encode(pack)
                    try await connections.publish(gateway: runs[index].gateway(of: pack), topic: topic, payload: payload)
                    tally.messages += 1
                    tally.scenarioReadings += readings
                    runs[index].advance()
                }
                if runs[index].isFinished && !runs[index].reportedFinished {
                    runs[index].reportedFinished = true
                    held.subtract(runs[index].scenario.stations.map(\.code))
                    say(runs[index].finishedLine)
                }
            }

            // Late packs whose time has come, once their gateway is back.
            var waiting: [LatePack] = []
            for pack in late {
                if pack.due <= now && !connections.isOffline(pack.gateway) {
                    try await connections.publish(gateway: pack.gateway, topic: pack.topic, payload: pack.payload)
                    tally.messages += 1
                } else {
                    waiting.append(pack)
                }
            }
            late = waiting

            // The background.
            if !backgroundStations.isEmpty && !backgroundDone(tally) {
                budget += rate * 0.1
                while budget >= 1 && !backgroundDone(tally) {
                    if tally.bad < malformed && (tally.backgroundReadings >= totalGood || tally.backgroundReadings >= (tally.bad + 1) * badEvery) {
                        let message = malformedKit.next()
                        budget -= 1
                        guard !connections.isOffline(message.gateway) else { continue }
                        try await connections.publish(gateway: message.gateway, topic: message.topic, payload: message.payload)
                        tally.bad += 1; tally.messages += 1
                        continue
                    }
                    guard held.count < backgroundStations.count else { break }
                    let station = backgroundStations[stationIndex % backgroundStations.count]
                    stationIndex += 1
                    if stationIndex % backgroundStations.count == 0 { round += 1 }
                    if held.contains(station.code) { continue }
                    let gateway = station.gateway
                    if connections.isOffline(gateway) {
                        // An offline gateway's readings are lost; the budget moves on.
                        budget -= Double(station.sensors.count)
                        continue
                    }
                    let now = Timestamp.now
                    var dropped = 0
                    var values = model.sample(station: station, at: now, limit: totalGood - tally.backgroundReadings) { _ in
                        let drop = events.dropoutRate > 0 && Self.uniform(&random) < events.dropoutRate
                        if drop { dropped += 1 }
                        return drop
                    }
                    tally.dropped += dropped
                    budget -= Double(values.count + dropped)
                    guard !values.isEmpty else { continue }
                    let format: Format
                    switch self.format {
                    case .mixed: format = [Format.senml, .json, .raw][(stationIndex + round) % 3]
                    case .packs: format = [Format.senml, .json][(stationIndex + round) % 2]
                    default: format = self.format
                    }
                    var pack: (topic: String, payload: Data)?
                    switch format {
                    case .senml, .mixed, .packs:
                        let records = values.map { (metric: $0.metric, time: $0.time, value: $0.value, unit: Optional($0.unit)) }
                        pack = ("ioc/v1/\(gateway)/senml", SenMLEncoder.encode(station: station.code, records: records))
                    case .json:
                        // One object per distinct time; usually one.
                        let time = values.map(\.time).max() ?? now
                        for i in values.indices { values[i].time = time }
                        model.bump(station: station.code, to: time, metrics: values.map(\.metric))
                        pack = ("ioc/v1/\(gateway)/json", CompactJSONEncoder.encode(station: station.code, time: time, values: values.map { ($0.metric, $0.value) }))
                    case .raw:
                        for v in values {
                            try await connections.publish(gateway: gateway, topic: "ioc/v1/\(gateway)/raw/\(station.code)/\(v.metric)", payload: Data(Self.decimal(v.value).utf8))
                            tally.messages += 1
                        }
                        // The IOC stamps raw readings on receipt; keep distinct times per sensor.
                        try await Task.sleep(for: .milliseconds(1))
                    }
                    tally.backgroundReadings += values.count
                    // Packs carry their own times, so they can arrive late or twice; raw values cannot.
                    if let pack {
                        if events.lateRate > 0 && Self.uniform(&random) < events.lateRate {
                            let delay = events.lateDelay.lowerBound + (events.lateDelay.upperBound - events.lateDelay.lowerBound) * Self.uniform(&random)
                            late.append(LatePack(due: now.adding(seconds: delay), gateway: gateway, topic: pack.topic, payload: pack.payload))
                            tally.late += 1
                        } else {
                            try await connections.publish(gateway: gateway, topic: pack.topic, payload: pack.payload)
                            tally.messages += 1
                            if events.duplicateRate > 0 && Self.uniform(&random) < events.duplicateRate {
                                try await connections.publish(gateway: gateway, topic: pack.topic, payload: pack.payload)
                                tally.messages += 1
                                tally.duplicated += 1
                            }
                        }
                    }
                    if malformed == 0 && events.badRate > 0 && Self.uniform(&random) < events.badRate {
                        let message = malformedKit.next()
                        if !connections.isOffline(message.gateway) {
                            try await connections.publish(gateway: message.gateway, topic: message.topic, payload: message.payload)
                            tally.bad += 1; tally.messages += 1
                        }
                    }
                }
            }

            let clock = ContinuousClock.now
            if clock - lastProgress >= .seconds(progress) {
                let elapsed = Double((clock - started).components.seconds) + Double((clock - started).components.attoseconds) / 1e18
                if !backgroundStations.isEmpty {
                    say("simulate: \(tally.backgroundReadings) readings in \(tally.messages) messages (\(tally.bad) malformed), \(Int(Double(tally.backgroundReadings) / max(elapsed, 0.001))) readings/s; \(tally.eventSummary)")
                }
                for run in runs where !run.isFinished { say(run.progressLine(at: .now)) }
                lastProgress = clock
            }
            let scenariosDone = runs.allSatisfy(\.isFinished)
            if backgroundStations.isEmpty ? scenariosDone : (count != nil && backgroundDone(tally) && scenariosDone) { break loop }
            next += tick
            if next > ContinuousClock.now { try await Task.sleep(until: next) } else { next = ContinuousClock.now }
        }
        // What is still held back goes out now, once its gateway is back.
        for gateway in connections.offlineGateways { try await connections.reconnect(gateway) }
        for pack in late {
            try await connections.publish(gateway: pack.gateway, topic: pack.topic, payload: pack.payload)
            tally.messages += 1
        }
        try await connections.drainAll()
        await connections.stopAll()
        say("simulate: published \(tally.backgroundReadings + tally.scenarioReadings) readings in \(tally.messages) messages (\(tally.bad) malformed); \(connections.acknowledged) acknowledged by the broker")
        if !backgroundStations.isEmpty { say("simulate: background events: \(tally.eventSummary)") }
        for run in runs { say(run.summaryLine) }
    }

    /// One line on standard output, written at once: `print` buffers when the output is a file, and
    /// the log of a long run (and the test that waits for "finished") must see each line as it happens.
    func say(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    static func decimal(_ value: Double) -> String {
        String(format: "%.3f", value)
    }

    /// In [0, 1).
    static func uniform(_ random: inout SplitMix64) -> Double {
        Double(random.next() >> 11) / Double(1 << 53)
    }

    /// What was published, and what went wrong on purpose.
    struct Tally {
        var backgroundReadings = 0, scenarioReadings = 0, messages = 0, bad = 0
        var dropped = 0, late = 0, duplicated = 0, outages = 0

        var eventSummary: String {
            "\(dropped) readings dropped, \(late) packs late, \(duplicated) packs duplicated, \(outages) gateway outages"
        }
    }

    /// A background pack held back to be published late.
    struct LatePack {
        var due: Timestamp
        var gateway: String
        var topic: String
        var payload: Data
    }
}
