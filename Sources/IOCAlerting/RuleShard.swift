import Dispatch
import IOCCore
import Logging

/// A `SerialExecutor` that runs an actor's jobs on one serial `DispatchQueue`: the shard's code
/// runs in order on its own queue, and the compiler still checks its isolation.
final class DispatchQueueExecutor: SerialExecutor, @unchecked Sendable {
    // @unchecked: `queue` is immutable and DispatchQueue is thread-safe.
    let queue: DispatchQueue

    init(label: String) {
        queue = DispatchQueue(label: label, qos: .userInitiated)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedSerialExecutor()
        queue.async { job.runSynchronously(on: executor) }
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}

/// One shard of the rule pipeline: the sensors whose id maps to it, every rule bound to them, and
/// the alerts they open. Evaluation is synchronous on the shard's queue; the changes it produces
/// are written by a chain of tasks, in order, so that a slow database delays alerts but never
/// reorders or loses them.
actor RuleShard {
    nonisolated let executor: DispatchQueueExecutor
    nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    let index: Int
    private(set) var state = ShardState()
    /// The station- and gateway-wide no-data rules; only the first shard has any.
    private(set) var groups = GroupState()
    private var catalog = SensorCatalog()
    /// Writes changes (and queues their notifications); returns how many notifications it queued.
    typealias Persist = @Sendable ([AlertChange], [Int64: AlertRule], SensorCatalog) async throws -> Int
    private let persistChanges: Persist
    private let logger: Logger
    /// The write of the changes produced last; the next write waits for it.
    private var lastWrite: Task<Void, Never>?
    private var pendingWrites = 0
    /// Called after changes that queued notifications are committed (wakes the dispatcher).
    private let onNotificationsQueued: @Sendable () -> Void

    init(index: Int, logger: Logger, persist: @escaping Persist, onNotificationsQueued: @escaping @Sendable () -> Void) {
        self.index = index
        self.executor = DispatchQueueExecutor(label: "ioc.rules.shard\(index)")
        self.persistChanges = persist
        self.logger = logger
        self.onNotificationsQueued = onNotificationsQueued
    }

    var counters: (evaluated: Int, late: Int, pendingWrites: Int) { (state.evaluated, state.late, pendingWrites) }

    /// Replaces the rules and sensors, keeping the live state of every unchanged pair, and returns
    /// the open alerts of pairs that no longer exist.
    func install(_ next: ShardState, groups nextGroups: GroupState, catalog: SensorCatalog) -> [(ruleID: Int64, subject: AlertSubject)] {
        var next = next
        next.carryOver(from: state)
        var nextGroups = nextGroups
        nextGroups.carryOver(from: groups)
        let orphans = next.orphans(of: state) + nextGroups.orphans(of: groups)
        state = next
        groups = nextGroups
        self.catalog = catalog
        return orphans
    }

    /// The newest reading evaluated of each of `sensorIDs` (those on this shard).
    func newest(of sensorIDs: [Int32]) -> [Int32: Timestamp] {
        state.newest(of: sensorIDs)
    }

    func tickGroups(now: Timestamp, newest: [Int32: Timestamp], offlineSince: [String: Timestamp]) {
        var changes: [AlertChange] = []
        groups.tick(now: now, newest: newest, offlineSince: offlineSince, into: &changes)
        write(changes)
    }

    /// Writes changes produced outside (by seeding a new state before it was installed).
    func record(_ changes: [AlertChange]) {
        write(changes)
    }

    func evaluate(_ readings: [Reading]) {
        var changes: [AlertChange] = []
        state.evaluate(readings, into: &changes)
        write(changes)
    }

    func tick(now: Timestamp) {
        var changes: [AlertChange] = []
        state.tick(now: now, into: &changes)
        write(changes)
    }

    /// An operator's acknowledgement or resolve: the change is written before this returns.
    func apply(_ event: AlertStateMachine.Event, ruleID: Int64, subject: AlertSubject, actor: String, at time: Timestamp) async -> AlertChange? {
        let change = switch subject {
        case .sensor(let sensorID): state.apply(event, ruleID: ruleID, sensorID: sensorID, actor: actor, at: time)
        case .station, .gateway: groups.apply(event, ruleID: ruleID, subject: subject, actor: actor, at: time)
        }
        guard let change else { return nil }
        await write([change])?.value
        return change
    }

    /// Waits until every change produced so far is written.
    func flush() async {
        await lastWrite?.value
    }

    @discardableResult
    private func write(_ changes: [AlertChange]) -> Task<Void, Never>? {
        guard !changes.isEmpty else { return nil }
        let previous = lastWrite
        let rules = groups.rules.isEmpty ? state.rules : state.rules.merging(groups.rules) { mine, _ in mine }
        let catalog = catalog
        pendingWrites += 1
        let task = Task {
            await previous?.value
            await persist(changes, rules: rules, catalog: catalog)
            pendingWrites -= 1
        }
        lastWrite = task
        return task
    }

    /// Writes until it succeeds: an alert is never dropped because the database was away.
    private func persist(_ changes: [AlertChange], rules: [Int64: AlertRule], catalog: SensorCatalog) async {
        var delay = Duration.milliseconds(100)
        while true {
            do {
                let queued = try await persistChanges(changes, rules, catalog)
                if queued > 0 { onNotificationsQueued() }
                return
            } catch {
                logger.error("alert changes not written; retrying", metadata: ["shard": "\(index)", "changes": "\(changes.count)", "error": "\(String(reflecting: error))", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
