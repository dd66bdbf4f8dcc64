/// A station as the simulator sees it: who reports it, what it measures, and the attributes that
/// shape its values (alarm levels, road capacity, reservoir levels), flattened to dotted paths
/// (`alarm_levels.I`) as `AlarmLevels(attributes:)` reads them.
public struct SimulatedStation: Sendable, Hashable {
    public struct Sensor: Sendable, Hashable {
        public var metric: String
        public var unit: String
        public var min: Double?
        public var max: Double?

        public init(metric: String, unit: String, min: Double? = nil, max: Double? = nil) {
            self.metric = metric
            self.unit = unit
            self.min = min
            self.max = max
        }
    }

    public var code: String
    public var gateway: String
    public var domain: String
    public var sensors: [Sensor]
    /// Numeric attributes by dotted path.
    public var numbers: [String: Double]
    /// Text attributes by dotted path (`setting`: "industrial zone").
    public var texts: [String: String]

    public init(code: String, gateway: String, domain: String, sensors: [Sensor], numbers: [String: Double] = [:], texts: [String: String] = [:]) {
        self.code = code
        self.gateway = gateway
        self.domain = domain
        self.sensors = sensors
        self.numbers = numbers
        self.texts = texts
    }

    public var alarmLevels: AlarmLevels {
        AlarmLevels(attributes: numbers) ?? AlarmLevels(one: nil, two: nil, three: nil)
    }

    public func sensor(_ metric: String) -> Sensor? {
        sensors.first { $0.metric == metric }
    }

    /// Minutes between reports (`interval_min`), else `fallback`.
    public func reportMinutes(default fallback: Double) -> Double {
        numbers["interval_min"].flatMap { $0.isFinite && $0 > 0 ? $0 : nil } ?? fallback
    }
}
