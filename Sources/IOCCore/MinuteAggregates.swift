extension Timestamp {
    /// The start of the UTC minute this time falls in (Unix time has no leap seconds, so every
    /// minute is 60,000,000 µs, also before 1970).
    public var minute: Timestamp {
        let size: Int64 = 60_000_000
        let (q, r) = microseconds.quotientAndRemainder(dividingBy: size)
        return Timestamp(microseconds: (r < 0 ? q - 1 : q) * size)
    }
}

/// The partial aggregate of some readings of one sensor in one minute: what a batch adds to the
/// 1-minute rollup, and, through its newest reading, to the sensor's latest value.
public struct MinuteAggregate: Sendable, Hashable {
    public var sensorID: Int32
    public var minute: Timestamp
    public var min: Double
    public var max: Double
    public var sum: Double
    public var count: Int64
    public var lastTime: Timestamp
    public var lastValue: Double

    public init(_ reading: Reading) {
        sensorID = reading.sensorID
        minute = reading.time.minute
        min = reading.value
        max = reading.value
        sum = reading.value
        count = 1
        lastTime = reading.time
        lastValue = reading.value
    }

    public mutating func add(_ reading: Reading) {
        min = Swift.min(min, reading.value)
        max = Swift.max(max, reading.value)
        sum += reading.value
        count += 1
        if reading.time >= lastTime {
            lastTime = reading.time
            lastValue = reading.value
        }
    }

    private struct Key: Hashable {
        var sensorID: Int32
        var minute: Int64
    }

    /// One aggregate per (sensor, minute) of the readings, ordered by sensor and minute.
    public static func of(_ readings: [Reading]) -> [MinuteAggregate] {
        var index: [Key: Int] = [:]
        index.reserveCapacity(readings.count)
        var aggregates: [MinuteAggregate] = []
        for reading in readings {
            let key = Key(sensorID: reading.sensorID, minute: reading.time.minute.microseconds)
            if let i = index[key] {
                aggregates[i].add(reading)
            } else {
                index[key] = aggregates.count
                aggregates.append(MinuteAggregate(reading))
            }
        }
        aggregates.sort { ($0.sensorID, $0.minute.microseconds) < ($1.sensorID, $1.minute.microseconds) }
        return aggregates
    }
}
