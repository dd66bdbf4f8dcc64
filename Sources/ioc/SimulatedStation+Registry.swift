import IOCCore
import IOCStorage

extension SimulatedStation {
    /// The station of a registry file, if a gateway reports it and it has sensors.
    init?(_ station: RegistryFile.Station) {
        guard let gateway = station.gateway, !gateway.isEmpty, let sensors = station.sensors, !sensors.isEmpty else { return nil }
        var numbers: [String: Double] = [:], texts: [String: String] = [:]
        func flatten(_ value: JSONValue, _ path: String) {
            switch value {
            case .number(let number): numbers[path] = number
            case .string(let text): texts[path] = text
            case .object(let object):
                for (key, inner) in object { flatten(inner, path.isEmpty ? key : "\(path).\(key)") }
            case .null, .bool, .array: break
            }
        }
        if let attributes = station.attributes { flatten(attributes, "") }
        self.init(code: station.code, gateway: gateway, domain: station.domain,
                  sensors: sensors.map { Sensor(metric: $0.metric, unit: $0.unit, min: $0.min, max: $0.max) },
                  numbers: numbers, texts: texts)
    }
}
