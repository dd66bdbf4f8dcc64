import IOCCore

extension JSONWriter {
    /// `{"id", "station"?, "metric", "unit", "derived"?}`: a sensor in the station, sensor and export lists.
    mutating func sensor(id: Int32, station: String? = nil, metric: String, unit: String, derived: Bool? = nil) {
        beginObject()
        key("id"); integer(id)
        if let station { key("station"); string(station) }
        key("metric"); string(metric)
        key("unit"); string(unit)
        if let derived { key("derived"); bool(derived) }
        endObject()
    }

    /// `{"sensor", "station", "metric", "unit", "value", "ts"}`: a latest value, as `/latest` and the
    /// live feed's snapshot give it.
    mutating func latestValue(sensor: Int32, station: String, metric: String, unit: String, value: Double, time: Timestamp) {
        beginObject()
        key("sensor"); integer(sensor)
        key("station"); string(station)
        key("metric"); string(metric)
        key("unit"); string(unit)
        key("value"); number(value)
        key("ts"); self.time(time)
        endObject()
    }
}
