import Foundation
import IOCCore

/// Bad messages of many kinds; each is built to produce exactly one dead letter.
struct MalformedMessages {
    struct Message { var gateway: String; var topic: String; var payload: Data }
    let stations: [SimulatedStation]
    var rng: SplitMix64
    var n = 0

    init(stations: [SimulatedStation], seed: UInt64) {
        self.stations = stations
        self.rng = SplitMix64(seed: seed ^ 0xBAD)
    }

    /// The next bad message; `stations` must not be empty, nor any station's sensors.
    mutating func next() -> Message {
        n += 1
        let station = stations[Int(rng.next() % UInt64(stations.count))]
        let gateway = station.gateway
        let sensor = station.sensors[0]
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
