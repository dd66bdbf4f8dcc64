/// What ingest needs to know about one sensor to accept its readings.
public struct SensorInfo: Sendable, Hashable {
    public var id: Int32
    public var metric: String
    /// The canonical unit readings are stored in, e.g. `m`, `mm`, `ug/m3`.
    public var unit: String
    public var validMin: Double?
    public var validMax: Double?

    public init(id: Int32, metric: String, unit: String, validMin: Double? = nil, validMax: Double? = nil) {
        self.id = id
        self.metric = metric
        self.unit = unit
        self.validMin = validMin
        self.validMax = validMax
    }
}

/// A station as ingest sees it: which gateway may report it, and its sensors by metric.
public struct StationInfo: Sendable, Hashable {
    public var code: String
    public var gatewayCode: String?
    public var sensors: [String: SensorInfo]
    /// Metrics IOC derives for this station (VN_AQI, rain windows, …): not accepted from gateways.
    public var derivedMetrics: Set<String>

    public init(code: String, gatewayCode: String?, sensors: [String: SensorInfo], derivedMetrics: Set<String> = []) {
        self.code = code
        self.gatewayCode = gatewayCode
        self.sensors = sensors
        self.derivedMetrics = derivedMetrics
    }
}

/// An immutable snapshot of the registry, swapped whole when it is reloaded.
public struct RegistrySnapshot: Sendable {
    public var gateways: Set<String>
    public var stations: [String: StationInfo]

    public init(gateways: Set<String> = [], stations: [String: StationInfo] = [:]) {
        self.gateways = gateways
        self.stations = stations
    }

    public var sensorCount: Int { stations.values.reduce(0) { $0 + $1.sensors.count } }
}
