import Foundation

/// Writes the compact JSON payload of the `json` topic, for the simulator and benchmarks:
/// `{"station":"PY-A","ts":1717000000000,"values":{"water_level":2.31,"rain_1h":12.5}}`.
///
/// `ts` is epoch milliseconds, with a fraction when the time has microseconds; values use the
/// shortest round-trip digits. Non-finite values are written as `"NaN"`, `"Infinity"`, `"-Infinity"`.
public enum CompactJSONEncoder {
    /// One object; `units` adds a `"units"` object when it is not empty.
    public static func encode(station: String, time: Timestamp, values: [(String, Double)], units: [(String, String)] = []) -> Data {
        var json = ""
        json.reserveCapacity(64 + station.utf8.count + values.count * 32)
        appendObject(station: station, time: time, values: values, units: units, to: &json)
        return Data(json.utf8)
    }

    /// Several objects in one array, e.g. the readings of several stations behind one gateway.
    public static func encode(objects: [(station: String, time: Timestamp, values: [(String, Double)])]) -> Data {
        var json = "["
        json.reserveCapacity(objects.count * 96)
        for (index, object) in objects.enumerated() {
            if index > 0 { json += "," }
            appendObject(station: object.station, time: object.time, values: object.values, units: [], to: &json)
        }
        json += "]"
        return Data(json.utf8)
    }

    private static func appendObject(station: String, time: Timestamp, values: [(String, Double)], units: [(String, String)], to json: inout String) {
        json += "{\"station\":"
        json.appendJSONString(station)
        json += ",\"ts\":"
        let (milliseconds, micros) = time.microseconds.floorDividedBy(1000)
        json += String(milliseconds)
        if micros != 0 {
            // Three more digits: the microseconds within the millisecond.
            json += "."
            json.appendPadded(micros, width: 3)
            while json.last == "0" { json.removeLast() }
        }
        json += ",\"values\":{"
        for (index, (metric, value)) in values.enumerated() {
            if index > 0 { json += "," }
            json.appendJSONString(metric)
            json += ":"
            json.appendJSONNumber(value)
        }
        json += "}"
        if !units.isEmpty {
            json += ",\"units\":{"
            for (index, (metric, unit)) in units.enumerated() {
                if index > 0 { json += "," }
                json.appendJSONString(metric)
                json += ":"
                json.appendJSONString(unit)
            }
            json += "}"
        }
        json += "}"
    }
}
