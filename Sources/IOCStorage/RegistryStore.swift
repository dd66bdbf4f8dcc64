import IOCCore
import Logging
import PostgresNIO
import Synchronization

/// Reads the registry (gateways, stations, sensors) into the snapshot that ingest validates against.
public struct RegistryStore: Sendable {
    let client: PostgresClient
    let logger: Logger

    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Moves forward with every change to gateways, stations or sensors that a snapshot reflects.
    public func version() async throws -> Int64 {
        let rows = try await client.query("SELECT version FROM registry_version", logger: logger)
        for try await version in rows.decode(Int64.self) { return version }
        throw StorageError(.database, "registry_version has no row; run `ioc migrate`")
    }

    public func load() async throws -> RegistrySnapshot {
        var snapshot = RegistrySnapshot()
        let gateways = try await client.query("SELECT code FROM gateways WHERE enabled", logger: logger)
        for try await code in gateways.decode(String.self) {
            snapshot.gateways.insert(code)
        }
        let rows = try await client.query("""
            SELECT s.code, g.code, se.id, se.metric, se.unit, se.valid_min, se.valid_max, se.derived
            FROM stations s
            LEFT JOIN gateways g ON g.id = s.gateway_id
            LEFT JOIN sensors se ON se.station_id = s.id
            """, logger: logger)
        for try await (station, gateway, id, metric, unit, min, max, derived) in rows.decode((String, String?, Int32?, String?, String?, Double?, Double?, Bool?).self) {
            var info = snapshot.stations[station] ?? StationInfo(code: station, gatewayCode: gateway, sensors: [:])
            if derived == true, let metric {
                info.derivedMetrics.insert(metric)
            } else if let id, let metric, let unit {
                info.sensors[metric] = SensorInfo(id: id, metric: metric, unit: unit, validMin: min, validMax: max)
            }
            snapshot.stations[station] = info
        }
        return snapshot
    }
}

/// The current registry snapshot, shared by ingest (reads per message) and the refresher (swaps it).
public final class RegistryCache: Sendable {
    private let state: Mutex<RegistrySnapshot>

    public init(_ snapshot: RegistrySnapshot = RegistrySnapshot()) {
        state = Mutex(snapshot)
    }

    public var snapshot: RegistrySnapshot { state.withLock { $0 } }

    public func replace(with snapshot: RegistrySnapshot) { state.withLock { $0 = snapshot } }
}
