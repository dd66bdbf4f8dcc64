import Foundation
import IOCCore

/// The registry every decoding test runs against.
///
/// GW-1 reports PY-A (a hydro-met and air station), PY-SBA-PHULAM and the RFC 8428 example
/// devices; GW-2 reports PY-B; PY-C belongs to no gateway.
enum Fixture {
    static let now = Timestamp(seconds: 1_748_763_000) // 2025-06-01T07:30:00Z

    static let registry = RegistrySnapshot(
        gateways: ["GW-1", "GW-2"],
        stations: [
            "PY-A": StationInfo(code: "PY-A", gatewayCode: "GW-1", sensors: sensors([
                SensorInfo(id: 1, metric: "water_level", unit: "m", validMin: -5, validMax: 50),
                SensorInfo(id: 2, metric: "rain_1h", unit: "mm", validMin: 0, validMax: 500),
                SensorInfo(id: 3, metric: "pm2_5", unit: "ug/m3", validMin: 0, validMax: 1000),
                SensorInfo(id: 4, metric: "wind_speed", unit: "m/s", validMin: 0),
                SensorInfo(id: 5, metric: "temperature", unit: "Cel", validMin: -40, validMax: 60),
                SensorInfo(id: 6, metric: "speed", unit: "km/h", validMax: 200),
                SensorInfo(id: 7, metric: "rain", unit: "mm"),
            ])),
            "PY-B": StationInfo(code: "PY-B", gatewayCode: "GW-2", sensors: sensors([
                SensorInfo(id: 10, metric: "water_level", unit: "m"),
            ])),
            "PY-C": StationInfo(code: "PY-C", gatewayCode: nil, sensors: sensors([
                SensorInfo(id: 20, metric: "water_level", unit: "m"),
            ])),
            "PY-SBA-PHULAM": StationInfo(code: "PY-SBA-PHULAM", gatewayCode: "GW-1", sensors: sensors([
                SensorInfo(id: 30, metric: "water_level", unit: "m", validMin: -5, validMax: 50),
                SensorInfo(id: 31, metric: "rain", unit: "mm", validMin: 0, validMax: 500),
            ])),
            // RFC 8428 §5 devices, with the station code being the name before "/".
            "urn:dev:ow:10e2073a01080063": StationInfo(code: "urn:dev:ow:10e2073a01080063", gatewayCode: "GW-1", sensors: sensors([
                SensorInfo(id: 40, metric: "temp", unit: "Cel"),
                SensorInfo(id: 41, metric: "voltage", unit: "V"),
                SensorInfo(id: 42, metric: "current", unit: "A"),
            ])),
            "urn:dev:ow:10e2073a0108006": StationInfo(code: "urn:dev:ow:10e2073a0108006", gatewayCode: "GW-1", sensors: sensors([
                SensorInfo(id: 50, metric: "voltage", unit: "V"),
                SensorInfo(id: 51, metric: "current", unit: "A"),
            ])),
        ]
    )

    static func sensors(_ list: [SensorInfo]) -> [String: SensorInfo] {
        Dictionary(uniqueKeysWithValues: list.map { ($0.metric, $0) })
    }

    static func decode(_ topic: String, _ payload: String, at receivedAt: Timestamp = now, limits: IngestLimits = .init()) -> DecodedMessage {
        MessageDecoder(limits: limits).decode(topic: topic, payload: Data(payload.utf8), receivedAt: receivedAt, registry: registry)
    }

    static func decode(_ topic: String, bytes: Data, at receivedAt: Timestamp = now, limits: IngestLimits = .init()) -> DecodedMessage {
        MessageDecoder(limits: limits).decode(topic: topic, payload: bytes, receivedAt: receivedAt, registry: registry)
    }

    static let senml = "ioc/v1/GW-1/senml"
    static let json = "ioc/v1/GW-1/json"
    static func raw(_ station: String, _ metric: String, gateway: String = "GW-1") -> String {
        "ioc/v1/\(gateway)/raw/\(station)/\(metric)"
    }
}

/// A reading as tests write it: sensor, µs since the epoch, value.
struct R: Equatable, CustomStringConvertible {
    var sensor: Int32
    var micros: Int64
    var value: Double

    init(_ sensor: Int32, _ micros: Int64, _ value: Double) {
        self.sensor = sensor
        self.micros = micros
        self.value = value
    }

    init(_ reading: Reading) {
        self.init(reading.sensorID, reading.time.microseconds, reading.value)
    }

    var description: String { "R(\(sensor), \(micros), \(value))" }
}

extension DecodedMessage {
    var simple: [R] { readings.map(R.init) }
    var kinds: [RejectionKind] { rejections.map(\.kind) }
    var reasons: [String] { rejections.map(\.reason) }
}

