import IOCCore
import IOCStorage
import Logging
import Metrics
import ServiceLifecycle
import Synchronization

/// How often and how far back derived values are computed.
public struct DerivedConfiguration: Sendable {
    /// Time between passes: how far a derived value may trail the readings it comes from.
    public var interval: Duration
    /// A reading older than this (seconds before now) no longer changes derived values.
    public var lateLimitSeconds: Double
    /// On start, and for a station new to the registry, the hours of the last `catchUpHours` are
    /// recomputed, so readings imported or stored while IOC was down get their derived values.
    public var catchUpHours: Int
    /// An hour (a day) whose station has not reported past its end is computed this long after
    /// its end, with what arrived.
    public var graceSeconds: Double
    public var congestion: CongestionThresholds

    public init(interval: Duration = .seconds(5), lateLimitSeconds: Double = 7 * 86_400, catchUpHours: Int = 24,
                graceSeconds: Double = 900, congestion: CongestionThresholds = .default) {
        self.interval = interval
        self.lateLimitSeconds = lateLimitSeconds
        self.graceSeconds = graceSeconds
        self.catchUpHours = max(0, catchUpHours)
        self.congestion = congestion
    }
}

/// Computes the derived metrics (`DerivedMetric`) of every station whose inputs changed: it is
/// told of each committed batch (`observe`, from the writer's `onCommit`), notes which stations and
/// hours the batch touched, and on each pass fetches their inputs, computes, and stores the
/// results as readings of the stations' derived sensors. What it stores is handed on like a
/// committed batch (rules, live feed). A late reading recomputes the hours it changes.
public final class DerivedService: Service, Sendable {
    /// What a station needs recomputed.
    struct Dirty: Sendable {
        /// Hour starts (µs) that received air-quality readings.
        var airHours: Set<Int64> = []
        /// Whether its water level, rain or traffic inputs received readings.
        var latest = false
    }

    struct State: Sendable {
        /// Input sensor → (station id, whether it is an air-quality input).
        var inputs: [Int32: (station: Int32, air: Bool)] = [:]
        var dirty: [Int32: Dirty] = [:]
        /// When an air-quality reading of each station last arrived (wall clock).
        var lastArrival: [Int32: Timestamp] = [:]
    }

    public let configuration: DerivedConfiguration
    private let store: DerivedStore
    private let registry: RegistryStore
    private let logger: Logger
    private let onStored: @Sendable ([Reading]) async -> Void
    private let state = Mutex(State())
    private let catalogState = Mutex(Catalog())
    private let startedAt = Timestamp.now

    private let valuesCounter = Counter(label: "ioc_derived_values_stored_total")
    private let stationsCounter = Counter(label: "ioc_derived_stations_computed_total")
    private let failureCounter = Counter(label: "ioc_derived_failures_total")
    private let passTimer = Timer(label: "ioc_derived_pass_duration_seconds")

    public init(store: DerivedStore, registry: RegistryStore, configuration: DerivedConfiguration = .init(), logger: Logger,
                onStored: @escaping @Sendable ([Reading]) async -> Void = { _ in }) {
        self.store = store
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        self.onStored = onStored
    }

    /// Notes the stations and hours a committed batch touched. Cheap: one dictionary lookup per reading.
    public func observe(_ readings: [Reading]) {
        state.withLock { state in
            guard !state.inputs.isEmpty else { return }
            let now = Timestamp.now
            for reading in readings {
                guard let input = state.inputs[reading.sensorID] else { continue }
                if input.air {
                    state.dirty[input.station, default: Dirty()].airHours.insert(DerivedComputation.hourStart(reading.time))
                    state.lastArrival[input.station] = now
                } else {
                    state.dirty[input.station, default: Dirty()].latest = true
                }
            }
        }
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await passLoggingFailures()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: self.configuration.interval) }
        }
        // The writer stops before this service (service order): derive from its last batches, once.
        await passLoggingFailures()
        logger.info("derived service stopped")
    }

    /// The stations with derived sensors, as of a registry version.
    struct Catalog: Sendable {
        var version: Int64?
        var stations: [Int32: DerivedStation] = [:]
    }

    private func passLoggingFailures() async {
        do {
            try await runOnce()
        } catch {
            failureCounter.increment()
            logger.warning("computing derived values failed; the next pass retries", metadata: ["error": "\(error)"])
        }
    }

    /// One pass: reload the catalog if the registry moved, then recompute every dirty station.
    /// Passes never overlap: `run()` makes them one after another (tests call this directly).
    public func runOnce() async throws {
        let started = ContinuousClock.now
        var catalog = catalogState.withLock { $0 }
        let now = Timestamp.now
        let version = try await registry.version()
        if version != catalog.version {
            let stations = try await store.stations()
            let previous = catalog.stations
            // Creating derived sensors moves the version again: the next pass reloads once more.
            catalog = Catalog(version: version, stations: Dictionary(uniqueKeysWithValues: stations.map { ($0.id, $0) }))
            catalogState.withLock { [catalog] in $0 = catalog }
            let catchUp = catchUpHours(now: now)
            state.withLock { state in
                state.inputs = [:]
                for station in stations {
                    for (metric, sensor) in station.inputs where station.isInput(metric) {
                        state.inputs[sensor] = (station.id, AQIPollutant(rawValue: metric) != nil)
                    }
                    if previous[station.id] == nil {
                        state.dirty[station.id, default: Dirty()].airHours.formUnion(station.hasAirQuality ? catchUp : [])
                        state.dirty[station.id, default: Dirty()].latest = true
                    }
                }
            }
            logger.debug("derived catalog loaded", metadata: ["stations": "\(stations.count)", "registry_version": "\(version)"])
        }
        let dirty = state.withLock { state in
            let taken = state.dirty
            state.dirty = [:]
            return taken
        }
        guard !dirty.isEmpty else { return }
        var pending: [Reading] = []
        do {
            for (id, work) in dirty {
                guard let station = catalog.stations[id] else { continue }
                pending.append(contentsOf: try await compute(station, work, now: now))
                stationsCounter.increment()
                if pending.count >= 2_000 { try await store(&pending) }
            }
            try await store(&pending)
        } catch {
            // Keep all of this pass's work for the next one: computing again and upserting is harmless.
            state.withLock { state in
                for (id, work) in dirty {
                    state.dirty[id, default: Dirty()].airHours.formUnion(work.airHours)
                    if work.latest { state.dirty[id, default: Dirty()].latest = true }
                }
            }
            throw error
        }
        let elapsed = (ContinuousClock.now - started).components
        passTimer.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
    }

    private func store(_ pending: inout [Reading]) async throws {
        guard !pending.isEmpty else { return }
        let changed = try await store.upsert(pending)
        pending.removeAll(keepingCapacity: true)
        valuesCounter.increment(by: changed.count)
        if !changed.isEmpty { await onStored(changed) }
    }

    private func catchUpHours(now: Timestamp) -> Set<Int64> {
        let current = DerivedComputation.hourStart(now)
        return Set((0..<configuration.catchUpHours).map { current - Int64($0) * DerivedComputation.hour })
    }

    /// The derived readings of one station for the work noted.
    func compute(_ station: DerivedStation, _ work: Dirty, now: Timestamp) async throws -> [Reading] {
        var values: [DerivedValue] = []
        if !work.airHours.isEmpty, station.hasAirQuality {
            let air = try await airQuality(station, touched: work.airHours, now: now)
            values.append(contentsOf: air.values)
            if !air.pending.isEmpty {
                state.withLock { $0.dirty[station.id, default: Dirty()].airHours.formUnion(air.pending) }
            }
        }
        if work.latest {
            let outputs = Set(station.outputs.keys)
            if let rain = station.inputs[DerivedMetric.rain], outputs.contains(.rain1h) {
                let samples = try await store.recent(of: rain, seconds: 48 * 3600)
                if let newest = samples.last {
                    values.append(contentsOf: DerivedComputation.rain(increments: samples.map { (time: $0.time, mm: $0.value) }, at: newest.time))
                }
            }
            if let level = station.inputs[DerivedMetric.waterLevel] {
                let samples = try await store.recent(of: level, seconds: 3600)
                values.append(contentsOf: DerivedComputation.waterLevel(samples: samples, attributes: station.attributes, outputs: outputs))
            }
            if let speedSensor = station.inputs[DerivedMetric.speed], outputs.contains(.congestion),
               let speed = try await store.recent(of: speedSensor, seconds: 0).last {
                var occupancy: Double?
                if let occupancySensor = station.inputs[DerivedMetric.occupancy] {
                    occupancy = try await store.reading(of: occupancySensor, atOrBefore: speed.time, within: 900)
                }
                values.append(contentsOf: DerivedComputation.traffic(speed: speed, occupancy: occupancy, attributes: station.attributes,
                                                                     thresholds: configuration.congestion))
            }
        }
        return values.compactMap { value in
            station.outputs[value.metric].map { Reading(sensorID: $0, time: value.time, value: value.value) }
        }
    }

    /// Hourly AQI of the hours the touched hours affect that are over, and daily AQI of the days
    /// over among them. Returns the values and the hours not over yet, which stay noted.
    private func airQuality(_ station: DerivedStation, touched: Set<Int64>, now: Timestamp) async throws -> (values: [DerivedValue], pending: Set<Int64>) {
        let hour = DerivedComputation.hour, day = DerivedComputation.day
        let grace = configuration.graceSeconds
        let affected = DerivedComputation.affectedHours(touched: touched, now: now, oldest: now.adding(seconds: -configuration.lateLimitSeconds))
        // Nothing can be over before its end: no query until then.
        guard let first = affected.first, let last = affected.last, first + hour <= now.microseconds else {
            return ([], Set(affected))
        }
        var sensors: [Int32: AQIPollutant] = [:]
        for pollutant in AQIPollutant.allCases {
            if let id = station.inputs[pollutant.rawValue] { sensors[id] = pollutant }
        }
        let from = min(first - 11 * hour, DerivedComputation.localDayStart(Timestamp(microseconds: first)) - 7 * hour)
        let to = max(last + hour, DerivedComputation.localDayStart(Timestamp(microseconds: last)) + day)
        let series = try await store.hourlyMeans(of: Array(sensors.keys), from: Timestamp(microseconds: from), to: Timestamp(microseconds: to))
        var byPollutant: [AQIPollutant: [Int64: Double]] = [:]
        for (sensor, means) in series.means {
            if let pollutant = sensors[sensor] { byPollutant[pollutant] = means }
        }
        // Nothing arrived since this service started: count the grace from then.
        let arrival = state.withLock { $0.lastArrival[station.id] } ?? startedAt
        var hours: [Int64] = [], pending = Set<Int64>(), days = Set<Int64>()
        for h in affected {
            if DerivedComputation.isOver(start: h, length: hour, newestInput: series.newest, lastArrival: arrival, now: now, graceSeconds: grace) {
                hours.append(h)
                let d = DerivedComputation.localDayStart(Timestamp(microseconds: h))
                if DerivedComputation.isOver(start: d, length: day, newestInput: series.newest, lastArrival: arrival, now: now, graceSeconds: grace) { days.insert(d) }
            } else {
                pending.insert(h)
            }
        }
        return (DerivedComputation.airQuality(hourlyMeans: byPollutant, hours: hours, days: days.sorted()), pending)
    }
}
