import ArgumentParser
import Foundation
import IOCCore
import IOCIngest
import IOCStorage

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish realistic readings for every sensor of a registry through MQTT, as the gateways would.",
        discussion: """
        Each gateway connects with its own credentials (a JSON file of gateway code to password) and \
        publishes its stations' readings with QoS 1, in SenML, compact JSON and raw form (--format mixed \
        rotates through all three). Values follow a daily cycle with noise. With --malformed N it also \
        sends N bad messages of many kinds, each of which IOC must dead-letter with its reason. \
        The last line reports what was published and acknowledged by the broker.
        """
    )

    /// `mixed` rotates all three; `packs` only SenML and compact JSON, whose readings carry their own
    /// time, so a redelivered message is stored once (a raw reading is stamped when received).
    enum Format: String, ExpressibleByArgument, CaseIterable { case mixed, packs, senml, json, raw }

    @Option(help: "Registry JSON file whose stations and sensors are simulated.")
    var registry = "deploy/sample/registry.json"

    @Option(help: "JSON file of gateway code → MQTT password (env IOC_SIM_CREDENTIALS).")
    var credentials: String?

    @Option(name: .customLong("mqtt-url"), help: "Broker mqtt://host:port; user names come from the gateways (env IOC_SIM_MQTT_URL; default mqtt://127.0.0.1:1883).")
    var mqttURL: String?

    @Option(help: "Readings per second over all sensors.")
    var rate: Double = 100

    @Option(help: "Stop after this many readings (default: run until interrupted or --duration).")
    var count: Int?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "Payload format: \(Format.allCases.map(\.rawValue).joined(separator: ", ")).")
    var format: Format = .mixed

    @Option(help: "Also publish this many malformed messages, spread among the good ones.")
    var malformed: Int = 0

    @Option(help: "Seconds between progress lines.")
    var progress: Double = 5

    @Option(help: "Random seed (same seed, same values).")
    var seed: UInt64 = 1

    @Option(name: .customLong("client-prefix"), help: "Prefix of the MQTT client ids (one persistent session per gateway).")
    var clientPrefix = "ioc-sim"

    func validate() throws {
        guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be a positive number of readings per second") }
        if let count, count < 0 { throw ValidationError("--count must not be negative") }
        guard malformed >= 0 else { throw ValidationError("--malformed must not be negative") }
    }

    func run() async throws {
        let file = try RegistryFile.load(path: registry)
        let stations = file.stations.filter { $0.gateway != nil && !($0.sensors ?? []).isEmpty }
        guard !stations.isEmpty else { throw ValidationError("\(registry) has no station with a gateway and sensors to simulate") }
        let passwords = try loadCredentials(credentials ?? ProcessInfo.processInfo.environment["IOC_SIM_CREDENTIALS"])
        let base = try MQTTEndpoint(url: setting(mqttURL, env: "IOC_SIM_MQTT_URL", default: "mqtt://127.0.0.1:1883"))

        var publishers: [String: GatewayPublisher] = [:]
        for gateway in Set(stations.compactMap(\.gateway)).sorted() {
            guard let password = passwords[gateway] else {
                throw ValidationError("no password for gateway \(gateway) in the credentials file; gateways publish with their own accounts")
            }
            let endpoint = MQTTEndpoint(host: base.host, port: base.port, username: gateway, password: password)
            let publisher = try GatewayPublisher(gateway: gateway, endpoint: endpoint, clientID: "\(clientPrefix)-\(gateway)")
            try publisher.start()
            publishers[gateway] = publisher
        }
        for publisher in publishers.values { try await publisher.waitUntilConnected() }
        for (gateway, publisher) in publishers {
            try await publisher.publish(topic: "ioc/v1/\(gateway)/status", payload: Data("online".utf8), retain: true)
        }
        print("simulate: \(stations.count) stations, \(stations.reduce(0) { $0 + ($1.sensors?.count ?? 0) }) sensors, \(publishers.count) gateways, \(rate) readings/s, format \(format.rawValue)")

        var model = ProvinceModel(stations: stations, seed: seed)
        var malformedKit = MalformedMessages(stations: stations, seed: seed)
        let started = ContinuousClock.now
        var readings = 0, messages = 0, bad = 0
        var lastProgress = started
        let tick = Duration.milliseconds(100)
        var next = started
        var stationIndex = 0
        var budget = 0.0
        var round = 0
        let totalGood = count ?? Int.max
        // Bad messages are spread evenly over the good ones (or sent at the end when there are none).
        let badEvery = malformed > 0 && count != nil ? max(1, totalGood / (malformed + 1)) : 1

        loop: while readings < totalGood || bad < malformed {
            if let duration, ContinuousClock.now - started > .seconds(duration) { break }
            budget += rate * 0.1
            while budget >= 1 && (readings < totalGood || bad < malformed) {
                if bad < malformed && (readings >= totalGood || readings >= (bad + 1) * badEvery) {
                    let message = malformedKit.next()
                    try await publishers[message.gateway]!.publish(topic: message.topic, payload: message.payload)
                    bad += 1; messages += 1; budget -= 1
                    continue
                }
                let station = stations[stationIndex % stations.count]
                stationIndex += 1
                if stationIndex % stations.count == 0 { round += 1 }
                let gateway = station.gateway!
                let now = Timestamp.now
                var values = model.sample(station: station, at: now, limit: totalGood - readings)
                let format: Format
                switch self.format {
                case .mixed: format = [Format.senml, .json, .raw][(stationIndex + round) % 3]
                case .packs: format = [Format.senml, .json][(stationIndex + round) % 2]
                default: format = self.format
                }
                switch format {
                case .senml, .mixed, .packs:
                    let records = values.map { (metric: $0.metric, time: $0.time, value: $0.value, unit: Optional($0.unit)) }
                    try await publishers[gateway]!.publish(topic: "ioc/v1/\(gateway)/senml", payload: SenMLEncoder.encode(station: station.code, records: records))
                    messages += 1
                case .json:
                    // One object per distinct time; usually one.
                    let time = values.map(\.time).max() ?? now
                    for i in values.indices { values[i].time = time }
                    model.bump(station: station.code, to: time, metrics: values.map(\.metric))
                    try await publishers[gateway]!.publish(topic: "ioc/v1/\(gateway)/json",
                                                           payload: CompactJSONEncoder.encode(station: station.code, time: time, values: values.map { ($0.metric, $0.value) }))
                    messages += 1
                case .raw:
                    for v in values {
                        try await publishers[gateway]!.publish(topic: "ioc/v1/\(gateway)/raw/\(station.code)/\(v.metric)", payload: Data(Self.decimal(v.value).utf8))
                        messages += 1
                    }
                    // The IOC stamps raw readings on receipt; keep distinct times per sensor.
                    try await Task.sleep(for: .milliseconds(1))
                }
                readings += values.count
                budget -= Double(values.count)
            }
            let now = ContinuousClock.now
            if now - lastProgress >= .seconds(progress) {
                let elapsed = Double((now - started).components.seconds) + Double((now - started).components.attoseconds) / 1e18
                print("simulate: \(readings) readings in \(messages) messages (\(bad) malformed), \(Int(Double(readings) / max(elapsed, 0.001))) readings/s")
                lastProgress = now
            }
            next += tick
            if next > ContinuousClock.now { try await Task.sleep(until: next) } else { next = ContinuousClock.now }
            if Task.isCancelled { break loop }
        }
        for publisher in publishers.values { try await publisher.drain() }
        for publisher in publishers.values { await publisher.stop() }
        let acknowledged = publishers.values.reduce(0) { $0 + $1.acknowledgedCount } - publishers.count // minus the status messages
        print("simulate: published \(readings) readings in \(messages) messages (\(bad) malformed); \(acknowledged) acknowledged by the broker")
    }

    static func decimal(_ value: Double) -> String {
        String(format: "%.3f", value)
    }
}


/// Values with a daily cycle and noise, kept inside each sensor's valid range, with strictly
/// increasing times per sensor so every published reading is distinct.
struct ProvinceModel {
    struct Value { var metric: String; var unit: String; var time: Timestamp; var value: Double }

    var rng: SplitMix64
    var lastTime: [String: Timestamp] = [:]
    let stations: [RegistryFile.Station]

    init(stations: [RegistryFile.Station], seed: UInt64) {
        self.stations = stations
        self.rng = SplitMix64(seed: seed)
    }

    mutating func sample(station: RegistryFile.Station, at now: Timestamp, limit: Int) -> [Value] {
        var values: [Value] = []
        let hour = Double((now.microseconds / 1_000_000 + 7 * 3600) % 86_400) / 3600 // Asia/Ho_Chi_Minh
        for sensor in (station.sensors ?? []).prefix(max(0, limit)) {
            let key = "\(station.code)/\(sensor.metric)"
            // Milliseconds, what the payloads carry; truncate before comparing, or two visits in
            // the same millisecond would give one sensor the same time twice.
            var time = Timestamp(microseconds: now.microseconds / 1000 * 1000)
            if let last = lastTime[key], time <= last { time = Timestamp(microseconds: last.microseconds + 1000) }
            lastTime[key] = time
            let lo = sensor.min ?? 0, hi = sensor.max ?? 100
            let (base, amplitude, peakHour) = Self.profile(metric: sensor.metric, lo: lo, hi: hi)
            let cycle = cos((hour - peakHour) / 24 * 2 * .pi)
            let noise = (Double(rng.next() % 10_000) / 10_000 - 0.5) * 0.04 * (hi - lo)
            var v = base + amplitude * cycle + noise
            if sensor.metric == "rain" { v = max(0, Double(rng.next() % 100) < 15 ? Double(rng.next() % 60) / 10 : 0) }
            v = min(max(v, lo), hi)
            values.append(Value(metric: sensor.metric, unit: sensor.unit, time: time, value: (v * 1000).rounded() / 1000))
        }
        return values
    }

    /// Moves a station's last times forward after the caller aligned them to one time.
    mutating func bump(station: String, to time: Timestamp, metrics: [String]) {
        for metric in metrics { lastTime["\(station)/\(metric)"] = time }
    }

    /// Typical level, daily swing and hour of the daily peak of a metric, within its range.
    static func profile(metric: String, lo: Double, hi: Double) -> (Double, Double, Double) {
        let span = hi - lo
        switch metric {
        case "vehicle_count": return (lo + span * 0.3, span * 0.25, 17.5)
        case "speed": return (lo + span * 0.5, span * 0.15, 3)
        case "o3": return (lo + span * 0.2, span * 0.12, 14)
        case "pm2_5", "pm10": return (lo + span * 0.08, span * 0.04, 22)
        case "temperature": return (lo + span * 0.55, span * 0.1, 14)
        case "humidity": return (lo + span * 0.75, span * 0.12, 4)
        case "water_level": return (lo + span * 0.2, span * 0.02, 6)
        default: return (lo + span * 0.3, span * 0.05, 12)
        }
    }
}

/// Bad messages of many kinds; each is built to produce exactly one dead letter.
struct MalformedMessages {
    struct Message { var gateway: String; var topic: String; var payload: Data }
    let stations: [RegistryFile.Station]
    var rng: SplitMix64
    var n = 0

    init(stations: [RegistryFile.Station], seed: UInt64) {
        self.stations = stations
        self.rng = SplitMix64(seed: seed ^ 0xBAD)
    }

    mutating func next() -> Message {
        n += 1
        let station = stations[Int(rng.next() % UInt64(stations.count))]
        let gateway = station.gateway!
        let sensor = station.sensors![0]
        let nowMs = Timestamp.now.microseconds / 1000
        let senml = "ioc/v1/\(gateway)/senml", json = "ioc/v1/\(gateway)/json"
        let raw = "ioc/v1/\(gateway)/raw/\(station.code)/\(sensor.metric)"
        switch n % 11 {
        case 0: return Message(gateway: gateway, topic: senml, payload: Data("[{\"bn\":\"\(station.code)/\",\"n\":\"\(sensor.metric)\",\"v\":".utf8))
        case 1: return Message(gateway: gateway, topic: json, payload: Data([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D]))
        case 2: return Message(gateway: gateway, topic: senml, payload: Data("[{\"bn\":\"PY-NO-SUCH-STATION/\",\"n\":\"\(sensor.metric)\",\"v\":1}]".utf8))
        case 3: return Message(gateway: gateway, topic: raw, payload: Data("NaN".utf8))
        case 4: return Message(gateway: gateway, topic: raw, payload: Data("twelve".utf8))
        case 5: return Message(gateway: gateway, topic: json, payload: Data("{\"station\":\"\(station.code)\",\"ts\":\(nowMs + 3 * 3_600_000),\"values\":{\"\(sensor.metric)\":1}}".utf8))
        case 6: return Message(gateway: gateway, topic: senml, payload: Data("[{\"bn\":\"\(station.code)/\",\"n\":\"no_such_metric\",\"v\":1}]".utf8))
        case 7: return Message(gateway: gateway, topic: senml, payload: Data("[{\"bn\":\"\(station.code)/\",\"n\":\"\(sensor.metric)\",\"u\":\"degF\",\"v\":1}]".utf8))
        case 8: return Message(gateway: gateway, topic: senml, payload: Data("[{\"bn\":\"\(station.code)/\",\"n\":\"\(sensor.metric)\",\"vs\":\"broken\"}]".utf8))
        case 9: return Message(gateway: gateway, topic: raw, payload: Data(String((sensor.max ?? 1e6) * 10 + 1000).utf8))
        default:
            // Over the 256 KiB limit.
            return Message(gateway: gateway, topic: senml, payload: Data(repeating: 0x20, count: 300 * 1024))
        }
    }
}
