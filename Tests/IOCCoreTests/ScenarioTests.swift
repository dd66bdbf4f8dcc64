import Foundation
import IOCCore
import Testing

/// The shipped rules, read from `deploy/sample/rules.json`.
private let shippedRules: [AlertRule] = {
    struct RuleSet: Decodable { var rules: [AlertRule] }
    guard let data = try? Data(contentsOf: SampleProvince.repository.appendingPathComponent("deploy/sample/rules.json")),
          let set = try? JSONDecoder().decode(RuleSet.self, from: data) else { return [] }
    // Ids, as the rule store gives them: the state machines and bindings key on them.
    return set.rules.enumerated().map { index, rule in
        var rule = rule
        rule.id = Int64(index + 1)
        return rule
    }
}()

/// Plays a scenario through the same pure functions IOC runs — derived values as `IOCDerived`
/// computes them from the readings, then every shipped rule as the rule shards evaluate it — in
/// real time (K = 1: the wall clock is the readings' time), and reports every alert opened. The
/// station's gateway is assumed to stay alive through its other stations (gateway no-data rules
/// are not modelled).
struct ScenarioPlayback {
    struct Alert: CustomStringConvertible {
        var rule: AlertRule
        var station: String
        var fired = false
        var closedAt: Timestamp?
        var level: String?
        var severity: AlertRule.Severity

        var description: String { "\(rule.name) · \(station) · \(level ?? "-") · \(severity.rawValue)\(fired ? "" : " (never fired)")\(closedAt == nil ? " (still open)" : "")" }

        /// Severity first, then the level's place in the rule.
        func rank(_ level: String?, _ severity: AlertRule.Severity) -> (Int, Int) {
            var names: [String] = []
            if case .levels(let levels) = rule.condition { names = levels.levels.map(\.name) }
            return (AlertRule.Severity.allCases.firstIndex(of: severity) ?? 0, level.flatMap { names.firstIndex(of: $0) } ?? -1)
        }

        mutating func note(_ level: String?, _ severity: AlertRule.Severity) {
            if rank(level, severity) > rank(self.level, self.severity) { (self.level, self.severity) = (level, severity) }
        }
    }

    struct Sample { var time: Timestamp; var value: Double }

    let scenario: Scenario
    let start: Timestamp
    var end: Timestamp { start.adding(seconds: scenario.duration) }

    /// Every series, measured and derived, by (station, metric).
    func series() -> [String: [String: [Sample]]] {
        var measured: [String: [String: [Sample]]] = [:]
        for pack in scenario.packs {
            for value in pack.values {
                measured[pack.station, default: [:]][value.metric, default: []].append(Sample(time: start.adding(seconds: pack.offset), value: value.value))
            }
        }
        var all = measured
        for station in scenario.stations {
            let inputs = measured[station.code] ?? [:]
            let attributes = DerivedAttributes(alarmLevels: station.alarmLevels, deadLevel: station.numbers["dead_water_level"],
                                               normalLevel: station.numbers["normal_water_level"], freeFlowKmh: station.numbers["free_flow_kmh"])
            let outputs = Set(DerivedMetric.applicable(measured: Set(station.sensors.map(\.metric)), attributes: attributes))
            var derived: [DerivedValue] = []
            for sample in inputs["water_level"] ?? [] {
                let hour = (inputs["water_level"] ?? []).filter { $0.time <= sample.time && $0.time >= sample.time.adding(seconds: -3600) }
                derived += DerivedComputation.waterLevel(samples: hour.map { ($0.time, $0.value) }, attributes: attributes, outputs: outputs)
            }
            for sample in inputs["rain"] ?? [] {
                let increments = (inputs["rain"] ?? []).filter { $0.time <= sample.time }.map { (time: $0.time, mm: $0.value) }
                derived += DerivedComputation.rain(increments: increments, at: sample.time)
            }
            for sample in inputs["speed"] ?? [] {
                let occupancy = inputs["occupancy"]?.last { $0.time <= sample.time && $0.time > sample.time.adding(seconds: -900) }?.value
                derived += DerivedComputation.traffic(speed: (sample.time, sample.value), occupancy: occupancy, attributes: attributes)
            }
            if outputs.contains(.vnAQI) {
                // Hourly means; an hour is computed once the station has reported past its end.
                var sums: [AQIPollutant: [Int64: (sum: Double, count: Double)]] = [:]
                var newest = start
                for (metric, samples) in inputs {
                    guard let pollutant = AQIPollutant(rawValue: metric) else { continue }
                    for sample in samples {
                        let hour = DerivedComputation.hourStart(sample.time)
                        let old = sums[pollutant]?[hour] ?? (0, 0)
                        sums[pollutant, default: [:]][hour] = (old.sum + sample.value, old.count + 1)
                        newest = max(newest, sample.time)
                    }
                }
                let means = sums.mapValues { $0.mapValues { $0.sum / $0.count } }
                let hours = Set(means.values.flatMap(\.keys)).filter { $0 + DerivedComputation.hour <= newest.microseconds }.sorted()
                derived += DerivedComputation.airQuality(hourlyMeans: means, hours: hours)
            }
            for value in derived where outputs.contains(value.metric) {
                all[station.code, default: [:]][value.metric.rawValue, default: []].append(Sample(time: value.time, value: value.value))
            }
        }
        return all.mapValues { $0.mapValues { $0.sorted { $0.time < $1.time } } }
    }

    func play(rules: [AlertRule]) -> [Alert] {
        let series = series()
        var contexts: [SensorContext] = []
        var samples: [Int32: [Sample]] = [:]
        for station in scenario.stations {
            for (metric, list) in (series[station.code] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let id = Int32(contexts.count + 1)
                contexts.append(SensorContext(sensorID: id, stationCode: station.code, metric: metric, domain: station.domain,
                                              unitPath: [], attributes: station.numbers, gatewayCode: station.gateway))
                samples[id] = list
            }
        }
        var alerts: [Alert] = []
        func apply(_ actions: [AlertStateMachine.Action], rule: AlertRule, station: String, at time: Timestamp) {
            for action in actions {
                switch action {
                case .open(let snapshot):
                    alerts.append(Alert(rule: rule, station: station, level: snapshot.level, severity: snapshot.severity))
                case .transition(_, let to, _):
                    switch to {
                    case .pending(_, let level, let severity): alerts[alerts.count - 1].note(level, severity)
                    case .firing(_, let level, let severity, _, _):
                        alerts[alerts.count - 1].note(level, severity)
                        alerts[alerts.count - 1].fired = true
                    case .inactive: break
                    }
                case .close: alerts[alerts.count - 1].closedAt = time
                case .notify, .rejected, .rearmed: break
                }
            }
        }
        // Each rule on each sensor: readings in order, with the timers (for_seconds, silence) in between.
        for binding in RuleBinding.bind(rules: rules, sensors: contexts) {
            let rule = rules[binding.ruleIndex]
            guard let station = contexts.first(where: { $0.sensorID == binding.sensorID })?.stationCode else { continue }
            var evaluator = RuleEvaluator(condition: rule.condition, thresholds: binding.thresholds, since: start)
            var machine = AlertStateMachine(rule: rule)
            var silentSince: Timestamp?
            let events = (samples[binding.sensorID] ?? []).map(Optional.some) + [nil]
            for sample in events {
                let until = sample?.time ?? end
                while true {
                    var deadline = machine.nextDeadline
                    if silentSince == nil, let silence = evaluator.noDataDeadline { deadline = min(deadline ?? silence, silence) }
                    guard let due = deadline, due < until || (sample == nil && due <= until) else { break }
                    if due == machine.nextDeadline {
                        apply(machine.process(.tick(now: due)), rule: rule, station: station, at: due)
                    } else {
                        silentSince = due
                        if let check = evaluator.check(now: due), let event = AlertStateMachine.Event(check, at: due) {
                            apply(machine.process(event), rule: rule, station: station, at: due)
                        }
                    }
                }
                guard let sample else { break }
                let evaluation = evaluator.evaluate(Reading(sensorID: binding.sensorID, time: sample.time, value: sample.value))
                silentSince = nil
                if case .normal = evaluation, machine.isQuiet { continue }
                if let event = AlertStateMachine.Event(evaluation, at: sample.time) {
                    apply(machine.process(event), rule: rule, station: station, at: sample.time)
                }
            }
        }
        // Whole stations silent (no-data per station); gateways stay alive through their other stations.
        for group in GroupBinding.bind(rules: rules, sensors: contexts) {
            guard case .station(let code) = group.subject, case .noData(let noData) = rules[group.ruleIndex].condition else { continue }
            let rule = rules[group.ruleIndex]
            var machine = AlertStateMachine(rule: rule)
            let times = group.sensorIDs.flatMap { samples[$0] ?? [] }.map(\.time).sorted()
            var newest: Timestamp?
            for time in times.map(Optional.some) + [nil] {
                let until = time ?? end
                let silentAt = (newest ?? start).adding(seconds: noData.afterSeconds)
                if silentAt < until || (time == nil && silentAt <= until) {
                    let observation = GroupSilence.observe(afterSeconds: noData.afterSeconds, now: silentAt, since: start, newestReading: newest, hasSensors: true)
                    apply(machine.process(.condition(observation)), rule: rule, station: code, at: silentAt)
                }
                guard let time else { break }
                newest = time
                let observation = GroupSilence.observe(afterSeconds: noData.afterSeconds, now: time, since: start, newestReading: newest, hasSensors: true)
                if case .normal = observation, machine.isQuiet { continue }
                apply(machine.process(.condition(observation)), rule: rule, station: code, at: time)
            }
        }
        return alerts
    }
}

@Suite("Simulation: every scenario raises exactly the alerts it declares")
struct ScenarioDeclarationTests {
    @Test("the shipped rules and the sample registry are there")
    func fixtures() {
        #expect(shippedRules.count >= 10)
        #expect(SampleProvince.stations.count >= 30)
    }

    /// Played from several minutes past the hour, so the hourly VN_AQI sees the scenario cut into
    /// hours in different places.
    @Test("played in real time through the derived values and the shipped rules", arguments: ScenarioCatalog.names, [0.0, 17, 41])
    func declaredAlerts(name: String, minutesPastTheHour: Double) throws {
        let scenario = try ScenarioCatalog.scenario(named: name, stations: SampleProvince.byCode)
        let ruleNames = Set(shippedRules.map(\.name))
        for expected in scenario.expectedAlerts {
            #expect(ruleNames.contains(expected.rule), "\(name) expects rule \(expected.rule), which deploy/sample/rules.json does not have")
        }
        let start = Timestamp(seconds: 1_800_000_000 - 1_800_000_000.truncatingRemainder(dividingBy: 3600) + minutesPastTheHour * 60)
        let playback = ScenarioPlayback(scenario: scenario, start: start)
        let alerts = playback.play(rules: shippedRules)
        for expected in scenario.expectedAlerts {
            let matching = alerts.filter { $0.rule.name == expected.rule && $0.station == expected.station }
            #expect(matching.count == 1, "\(name): \(expected) opened \(matching.count) times: \(matching)")
            guard let alert = matching.first else { continue }
            #expect(alert.fired, "\(name): \(expected) never fired")
            #expect(alert.level == expected.level && alert.severity == expected.severity, "\(name): \(expected) reached \(alert.level ?? "-") · \(alert.severity)")
            let closed = try #require(alert.closedAt, "\(name): \(expected) still open at the end")
            // Hourly VN_AQI reaches the rules of a replayed station one to two hours late (an
            // hour is first computed from its part that has arrived), so it must clear with room.
            let room: Double = if case .metric("vn_aqi", _, _) = alert.rule.scope { 3 * 3600 } else { 0 }
            #expect(closed < playback.end.adding(seconds: -room), "\(name): \(expected) cleared only at \(closed), too close to the end")
        }
        let unexpected = alerts.filter { alert in !scenario.expectedAlerts.contains { $0.rule == alert.rule.name && $0.station == alert.station } }
        #expect(unexpected.isEmpty, "\(name) raises alerts it does not declare: \(unexpected)")
    }

    @Test("packs are in order, within the scenario and each sensor's range, at stations with gateways", arguments: ScenarioCatalog.names)
    func packs(name: String) throws {
        let scenario = try ScenarioCatalog.scenario(named: name, stations: SampleProvince.byCode)
        #expect(!scenario.packs.isEmpty && !scenario.expectedAlerts.isEmpty && !scenario.summary.isEmpty)
        #expect(scenario.packs.map(\.offset) == scenario.packs.map(\.offset).sorted())
        #expect(scenario.packs.last?.offset == scenario.duration, "the last pack marks the end")
        let stations = Dictionary(uniqueKeysWithValues: scenario.stations.map { ($0.code, $0) })
        for station in scenario.stations { #expect(!station.gateway.isEmpty && scenario.headline[station.code] != nil) }
        for pack in scenario.packs {
            #expect((0...scenario.duration).contains(pack.offset))
            let station = try #require(stations[pack.station])
            for value in pack.values {
                let sensor = try #require(station.sensor(value.metric), "\(pack.station) has no \(value.metric)")
                #expect(value.value.isFinite && value.value >= (sensor.min ?? -.infinity) && value.value <= (sensor.max ?? .infinity))
            }
        }
        for alert in scenario.expectedAlerts { #expect(stations[alert.station] != nil) }
    }

    @Test("the flood crest follows the registry's alarm levels: Củng Sơn over III, Phú Lâm over II and under III")
    func floodLevels() throws {
        let scenario = try ScenarioCatalog.scenario(named: "flood-crest", stations: SampleProvince.byCode)
        func highest(_ code: String) -> Double { scenario.packs.filter { $0.station == code }.compactMap { $0.value(of: "water_level") }.max() ?? 0 }
        #expect(highest("PY-SBA-CUNGSON") > 34.5 + 0.3)
        #expect(highest("PY-SBA-PHULAM") > 2.7 + 0.3 && highest("PY-SBA-PHULAM") < 3.7 - 0.3)
        var registry = SampleProvince.byCode
        registry["PY-SBA-CUNGSON"]?.numbers["alarm_levels.III"] = 36.0
        let moved = try ScenarioCatalog.scenario(named: "flood-crest", stations: registry)
        #expect((moved.packs.filter { $0.station == "PY-SBA-CUNGSON" }.compactMap { $0.value(of: "water_level") }.max() ?? 0) > 36.3)
    }

    @Test("an unknown name lists the scenarios; a registry without the station says which")
    func errors() {
        #expect { try ScenarioCatalog.scenario(named: "tsunami", stations: SampleProvince.byCode) } throws: { error in
            "\(error)".contains("unknown scenario \"tsunami\"") && ScenarioCatalog.names.allSatisfy { "\(error)".contains($0) }
        }
        var registry = SampleProvince.byCode
        registry["PY-AIR-HOAHIEP"] = nil
        #expect { try ScenarioCatalog.scenario(named: "pollution-episode", stations: registry) } throws: { "\($0)".contains("PY-AIR-HOAHIEP") }
        registry = SampleProvince.byCode
        registry["PY-SBA-PHULAM"]?.numbers["alarm_levels.II"] = nil
        #expect { try ScenarioCatalog.scenario(named: "flood-crest", stations: registry) } throws: { "\($0)".contains("alarm_levels") }
    }

    @Test("the playback can fail: a rule that fires at ordinary levels shows up as an undeclared alert")
    func playbackCanFail() throws {
        let scenario = try ScenarioCatalog.scenario(named: "rush-hour-jam", stations: SampleProvince.byCode)
        let strict = AlertRule(id: 99, name: "any slowing", scope: .metric(name: "congestion", domain: nil, unitCode: nil),
                               condition: .levels(.init(levels: [.init(name: "slow", severity: .info, threshold: .value(1))])))
        let alerts = ScenarioPlayback(scenario: scenario, start: Timestamp(seconds: 1_800_000_000)).play(rules: shippedRules + [strict])
        #expect(alerts.contains { $0.rule.name == "any slowing" && $0.station == "PY-TRF-QL1A-DARANG" })
    }
}
