/// A point in time as microseconds since the Unix epoch (UTC), the resolution PostgreSQL stores.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(milliseconds: Int64) { self.microseconds = milliseconds &* 1000 }
    /// Seconds since the epoch, rounded to the nearest microsecond.
    public init(seconds: Double) { self.microseconds = Int64((seconds * 1_000_000).rounded()) }

    public var seconds: Double { Double(microseconds) / 1_000_000 }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public func adding(seconds: Double) -> Timestamp {
        Timestamp(microseconds: microseconds &+ Int64((seconds * 1_000_000).rounded()))
    }

    public var description: String { "\(microseconds)µs" }
}

/// One stored observation: a sensor, a time and a value in the sensor's canonical unit.
public struct Reading: Sendable, Hashable {
    public var sensorID: Int32
    public var time: Timestamp
    public var value: Double

    public init(sensorID: Int32, time: Timestamp, value: Double) {
        self.sensorID = sensorID
        self.time = time
        self.value = value
    }
}
