import Foundation
import IOCCore
import IOCStorage
import Logging
import Metrics
import PostgresNIO
import ServiceLifecycle
import Synchronization

public struct PipelineConfiguration: Sendable {
    /// Shards, each on its own serial queue; a sensor always lands on the same one.
    public var shards: Int
    /// How often timers run: no-data checks and `for` durations fire within this of their time.
    public var tickInterval: Duration
    /// How often the rules' and registry's versions are checked for changes.
    public var reloadInterval: Duration

    public init(shards: Int = 2, tickInterval: Duration = .seconds(1), reloadInterval: Duration = .seconds(2)) {
        self.shards = max(1, shards)
        self.tickInterval = tickInterval
        self.reloadInterval = reloadInterval
    }
}

/// An operator's action refused by the alert's state ("already acknowledged by lan").
public struct AlertActionError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case notFound, conflict }
    public var code: Code
    public var message: String
    public var description: String { message }
}

/// The rule pipeline: committed readings in, alerts out. Readings reach it after their batch is
/// committed (`submit`, from the writer's `onCommit`); each shard evaluates its slice on its own
/// serial queue. Rules and the registry are reloaded when their version changes; window state is
/// rebuilt from `readings` and open alerts are resumed from `alerts` at start, so a restart
/// neither loses nor duplicates alerts.
public final class AlertPipeline: Service, Sendable {
    public let configuration: PipelineConfiguration
    let client: PostgresClient
    let store: AlertStore
    let logger: Logger
    let shards: [RuleShard]
    private let ready = ReadyGate()
    private let versions = Mutex<(rules: Int64, registry: Int64)>((-1, -1))
    private let loaded = Mutex<(rules: [Int64: AlertRule], catalog: SensorCatalog)>(([:], SensorCatalog()))
    /// What the group tick needs: the sensors of watched stations and gateways, per shard, and the
    /// gateways whose status counts.
    private let watched = Mutex<(sensors: [[Int32]], gateways: [String])>(([], []))
    /// The last gateway statuses read, used when reading them fails.
    private let offline = Mutex<[String: Timestamp]>([:])
    private let evaluatedCounter = Counter(label: "ioc_rules_readings_evaluated_total")
    private let lateCounter = Counter(label: "ioc_rules_readings_late_total")
    private let bindingsGauge = Gauge(label: "ioc_rules_bindings")
    /// What the counters above have been moved to so far.
    private let reported = Mutex<(evaluated: Int, late: Int)>((0, 0))

    public init(
        client: PostgresClient, configuration: PipelineConfiguration = .init(), pager: Pager, logger: Logger,
        onNotificationsQueued: @escaping @Sendable () -> Void = {}
    ) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
        let store = AlertStore(client: client, logger: logger)
        self.store = store
        self.shards = (0..<configuration.shards).map {
            RuleShard(index: $0, logger: logger, persist: { changes, rules, catalog in
                try await store.persist(changes, rules: rules, catalog: catalog, pager: pager)
            }, onNotificationsQueued: onNotificationsQueued)
        }
    }

    func shard(of sensorID: Int32) -> RuleShard {
        shards[Int(UInt32(bitPattern: sensorID) % UInt32(shards.count))]
    }

    // MARK: - Input

    /// Evaluates a committed batch: each shard gets its slice, the shards run in parallel.
    /// Waits for the first load of the rules (a batch committed while starting is not skipped).
    public func submit(_ readings: [Reading]) async {
        await ready.wait()
        if shards.count == 1 {
            await shards[0].evaluate(readings)
            return
        }
        var slices = Array(repeating: [Reading](), count: shards.count)
        for reading in readings {
            slices[Int(UInt32(bitPattern: reading.sensorID) % UInt32(shards.count))].append(reading)
        }
        await withTaskGroup(of: Void.self) { group in
            for (index, slice) in slices.enumerated() where !slice.isEmpty {
                let shard = shards[index]
                group.addTask { await shard.evaluate(slice) }
            }
        }
    }

    /// Runs the timers now (tests and benchmarks; `run` does it every `tickInterval`).
    public func tick(now: Timestamp = Timestamp.now) async {
        for shard in shards { await shard.tick(now: now) }
        let (sensors, gateways) = watched.withLock { $0 }
        guard sensors.contains(where: { !$0.isEmpty }) || !gateways.isEmpty else { return }
        var newest: [Int32: Timestamp] = [:]
        for (index, ids) in sensors.enumerated() where !ids.isEmpty && index < shards.count {
            newest.merge(await shards[index].newest(of: ids)) { $1 }
        }
        var offlineSince = offline.withLock { $0 }
        if !gateways.isEmpty {
            do {
                offlineSince = try await gatewaysOffline(gateways)
                offline.withLock { $0 = offlineSince }
            } catch {
                logger.warning("gateway statuses not read; using the last ones", metadata: ["error": "\(String(reflecting: error))"])
            }
        }
        await shards[0].tickGroups(now: now, newest: newest, offlineSince: offlineSince)
    }

    /// The gateways among `codes` whose status is offline, and since when.
    private func gatewaysOffline(_ codes: [String]) async throws -> [String: Timestamp] {
        let rows = try await client.query("""
            SELECT code, COALESCE(status_changed_at, updated_at) FROM gateways WHERE code = ANY(\(codes)) AND status = 'offline'
            """, logger: logger)
        var result: [String: Timestamp] = [:]
        for try await (code, since) in rows.decode((String, Timestamp).self) { result[code] = since }
        return result
    }

    /// Waits until every change produced so far is written.
    public func flush() async {
        for shard in shards { await shard.flush() }
    }

    // MARK: - Operators' actions

    public func acknowledge(alertID: Int64, by actor: String) async throws -> AlertRecord {
        try await act(alertID: alertID, actor: actor) { .acknowledge(by: actor, at: $0) }
    }

    public func resolve(alertID: Int64, by actor: String) async throws -> AlertRecord {
        try await act(alertID: alertID, actor: actor) { .resolve(by: actor, at: $0) }
    }

    private func act(alertID: Int64, actor: String, _ event: (Timestamp) -> AlertStateMachine.Event) async throws -> AlertRecord {
        await ready.wait()
        guard let pair = try await store.pair(of: alertID) else {
            throw AlertActionError(code: .notFound, message: "no alert \(alertID)")
        }
        guard pair.state != "resolved" else {
            throw AlertActionError(code: .conflict, message: "alert \(alertID) is already resolved")
        }
        let owner = pair.subject.sensorID.map(shard(of:)) ?? shards[0]
        guard let ruleID = pair.ruleID,
              let change = await owner.apply(event(Timestamp.now), ruleID: ruleID, subject: pair.subject, actor: actor, at: Timestamp.now)
        else {
            throw AlertActionError(code: .conflict, message: "alert \(alertID) belongs to a rule that is no longer evaluated")
        }
        for action in change.actions {
            if case .rejected(let reason) = action {
                throw AlertActionError(code: .conflict, message: "alert \(alertID): \(reason)")
            }
        }
        guard let record = try await store.get(alertID) else {
            throw AlertActionError(code: .notFound, message: "no alert \(alertID)")
        }
        return record
    }

    // MARK: - Running

    public func run() async throws {
        await reloadWithRetry()
        // Stopped before the rules were loaded: nothing was evaluated, nothing to flush.
        if Task.isCancelled { ready.open(); return }
        ready.open()
        await withDiscardingTaskGroup { group in
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: configuration.tickInterval) } catch { return }
                    await tick()
                    await updateCounters()
                }
            }
            group.addTask { [self] in
                while !Task.isCancelled {
                    do { try await Task.sleep(for: configuration.reloadInterval) } catch { return }
                    do { try await reloadIfChanged() } catch {
                        logger.error("rules not reloaded", metadata: ["error": "\(String(reflecting: error))"])
                    }
                }
            }
            try? await gracefulShutdown()
            group.cancelAll()
        }
        await flush()
    }

    /// Moves the Prometheus counters by what the shards counted since the last tick.
    private func updateCounters() async {
        let now = await counters()
        let previous = reported.withLock { reported in
            defer { reported = now }
            return reported
        }
        evaluatedCounter.increment(by: Int64(max(0, now.evaluated - previous.evaluated)))
        lateCounter.increment(by: Int64(max(0, now.late - previous.late)))
    }

    /// Readings evaluated and readings skipped as late, over all shards.
    public func counters() async -> (evaluated: Int, late: Int) {
        var evaluated = 0, late = 0
        for shard in shards {
            let counters = await shard.counters
            evaluated += counters.evaluated
            late += counters.late
        }
        return (evaluated, late)
    }

    private func reloadWithRetry() async {
        var delay = Duration.milliseconds(200)
        while true {
            do {
                try await reload(force: true)
                return
            } catch {
                // Stopping while the first load runs is not a failure to report.
                if Task.isCancelled { return }
                logger.error("rules not loaded; retrying", metadata: ["error": "\(String(reflecting: error))"])
                do { try await Task.sleep(for: delay) } catch { return }
                delay = min(delay * 2, .seconds(5))
            }
        }
    }

    /// Reloads when the rules or the registry changed (tests call this to apply a change now).
    public func reloadIfChanged() async throws {
        try await reload(force: false)
    }

    private func reload(force: Bool) async throws {
        let rulesVersion = try await version("SELECT version FROM rules_version")
        let registryVersion = try await RegistryStore(client: client, logger: logger).version()
        let previous = versions.withLock { $0 }
        guard force || previous != (rulesVersion, registryVersion) else { return }

        let rules = try await RuleStore(client: client, logger: logger).list(enabledOnly: true)
        let catalog = try await SensorCatalog.load(client: client, logger: logger)
        let (oldRules, oldCatalog) = loaded.withLock { $0 }
        let firstLoad = previous.rules < 0
        let openAlerts = firstLoad ? try await store.openAlerts() : []
        var resume: [Int64: [AlertSubject: AlertStateMachine.State]] = [:]
        for alert in openAlerts { resume[alert.ruleID, default: [:]][alert.subject] = alert.state }
        // Pairs resolved by hand whose condition has not been normal since.
        var held: Set<AlertStore.Pair> = []
        if firstLoad {
            held = try await store.held()
        } else {
            let current = Dictionary(rules.compactMap { rule in rule.id.map { ($0, rule) } }, uniquingKeysWith: { first, _ in first })
            let changed = oldRules.filter { current[$0.key] != $0.value }.map(\.key)
            try await store.release(ruleIDs: Array(changed))
        }

        let now = Timestamp.now
        let contexts = catalog.sensors.values.map(\.context).sorted { $0.sensorID < $1.sensorID }
        let bindings = RuleBinding.bind(rules: rules, sensors: contexts)
        var states = Array(repeating: ShardState(), count: shards.count)
        var groups = GroupState()
        var watchedSensors = Array(repeating: [Int32](), count: shards.count)
        for binding in GroupBinding.bind(rules: rules, sensors: contexts, gateways: Set(catalog.gateways.keys)) {
            let rule = rules[binding.ruleIndex]
            guard let ruleID = rule.id else { continue }
            let subject = AlertSubject(binding.subject)
            groups.bind(rule: rule, binding: binding, since: now, state: resume[ruleID]?[subject] ?? .inactive,
                        awaitingNormal: held.contains(.init(ruleID: ruleID, subject: subject)))
        }
        for sensor in groups.sensorIDs.sorted() {
            let index = Int(UInt32(bitPattern: sensor) % UInt32(shards.count))
            states[index].watch(sensorID: sensor)
            watchedSensors[index].append(sensor)
        }
        /// Sensors whose new pairs need history (a new or changed rule, or a new sensor): how far
        /// back, and for which rules.
        var seedSeconds: [Int32: Double] = [:]
        var seedRules: [Int32: Set<Int64>] = [:]
        for binding in bindings {
            let rule = rules[binding.ruleIndex]
            guard let ruleID = rule.id else { continue }
            let index = Int(UInt32(bitPattern: binding.sensorID) % UInt32(shards.count))
            states[index].bind(rule: rule, sensorID: binding.sensorID, thresholds: binding.thresholds, since: now,
                               state: resume[ruleID]?[.sensor(binding.sensorID)] ?? .inactive,
                               awaitingNormal: held.contains(.init(ruleID: ruleID, subject: .sensor(binding.sensorID))))
            let isNew = firstLoad || oldRules[ruleID] != rule || oldCatalog.sensors[binding.sensorID] == nil
            if isNew {
                let seconds = RuleEvaluator(condition: rule.condition, since: now).seedSeconds
                seedSeconds[binding.sensorID] = max(seedSeconds[binding.sensorID] ?? 0, seconds)
                seedRules[binding.sensorID, default: []].insert(ruleID)
            }
        }
        // The newest reading of every watched group member, for the group tick.
        for sensor in groups.sensorIDs where seedSeconds[sensor] == nil {
            seedSeconds[sensor] = 0
            seedRules[sensor] = []
        }
        let seeded = try await seed(&states, seconds: seedSeconds, rules: seedRules, now: now)

        var orphans: [(ruleID: Int64, subject: AlertSubject)] = []
        for (index, shard) in shards.enumerated() {
            orphans += await shard.install(states[index], groups: index == 0 ? groups : GroupState(), catalog: catalog)
            await shard.record(seeded[index])
        }
        watched.withLock { $0 = (watchedSensors, groups.gatewayCodes.sorted()) }
        for orphan in orphans {
            try await store.closeOrphan(ruleID: orphan.ruleID, subject: orphan.subject,
                                        reason: "closed: the rule was disabled, deleted or changed")
        }
        loaded.withLock { $0 = (Dictionary(uniqueKeysWithValues: rules.compactMap { rule in rule.id.map { ($0, rule) } }), catalog) }
        versions.withLock { $0 = (rulesVersion, registryVersion) }
        bindingsGauge.record(bindings.count)
        logger.info("rules loaded", metadata: [
            "rules": "\(rules.count)", "bindings": "\(bindings.count)", "seeded_sensors": "\(seedSeconds.count)",
            "resumed_alerts": "\(openAlerts.count)", "closed_orphans": "\(orphans.count)",
        ])
    }

    /// Feeds each new pair's evaluator its sensor's stored readings: the newest one for every
    /// sensor (levels reached, time of the last reading for no-data), the whole window for
    /// window and rate rules.
    private func seed(_ states: inout [ShardState], seconds: [Int32: Double], rules: [Int32: Set<Int64>], now: Timestamp) async throws -> [[AlertChange]] {
        var changes = Array(repeating: [AlertChange](), count: states.count)
        guard !seconds.isEmpty else { return changes }
        var history: [Int32: [Reading]] = [:]
        let ids = Array(seconds.keys)
        let latest = try await client.query("SELECT sensor_id, ts, value FROM latest_values WHERE sensor_id = ANY(\(ids))", logger: logger)
        for try await (sensor, time, value) in latest.decode((Int32, Timestamp, Double).self) {
            history[sensor] = [Reading(sensorID: sensor, time: time, value: value)]
        }
        // One query per distinct window length (rules share a handful of windows).
        let byWindow = Dictionary(grouping: seconds.filter { $0.value > 0 }, by: \.value)
        for (window, sensors) in byWindow {
            let since = now.adding(seconds: -window - 60)
            let rows = try await client.query("""
                SELECT sensor_id, ts, value FROM readings WHERE sensor_id = ANY(\(sensors.map(\.key))) AND ts >= \(since) ORDER BY sensor_id, ts
                """, logger: logger)
            var windowed: [Int32: [Reading]] = [:]
            for try await (sensor, time, value) in rows.decode((Int32, Timestamp, Double).self) {
                windowed[sensor, default: []].append(Reading(sensorID: sensor, time: time, value: value))
            }
            for (sensor, readings) in windowed where readings.count > (history[sensor]?.count ?? 0) {
                history[sensor] = readings
            }
        }
        for (sensor, readings) in history {
            let index = Int(UInt32(bitPattern: sensor) % UInt32(shards.count))
            states[index].seed(sensorID: sensor, ruleIDs: rules[sensor], history: readings, into: &changes[index])
        }
        return changes
    }

    private func version(_ sql: String) async throws -> Int64 {
        let rows = try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        for try await version in rows.decode(Int64.self) { return version }
        throw StorageError(.database, "\(sql): no row; run `ioc migrate`")
    }
}

/// Opens once; waiters resume then.
final class ReadyGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        if state.withLock({ $0.open }) { return }
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

