/// Groups readings into per-lane batches, closed by size or by age. A value type with no I/O:
/// the caller feeds it readings and clock ticks and sends the batches it returns.
public struct BatchAssembler: Sendable {
    public struct Batch: Sendable, Equatable {
        public var lane: Int
        public var readings: [Reading]
    }

    public let lanes: Int
    public let batchSize: Int
    public let maxDelay: Duration
    private var buffers: [[Reading]]
    /// When the oldest reading of each lane's buffer arrived.
    private var oldest: [ContinuousClock.Instant?]

    public init(lanes: Int, batchSize: Int, maxDelay: Duration) {
        precondition(lanes > 0 && batchSize > 0)
        self.lanes = lanes
        self.batchSize = batchSize
        self.maxDelay = maxDelay
        self.buffers = Array(repeating: [], count: lanes)
        self.oldest = Array(repeating: nil, count: lanes)
    }

    /// The lane of a sensor; stable, so one sensor's readings stay in order on one lane.
    public func lane(of sensorID: Int32) -> Int { Int(UInt32(bitPattern: sensorID) % UInt32(lanes)) }

    /// Readings currently held.
    public var pending: Int { buffers.reduce(0) { $0 + $1.count } }

    /// Adds readings; returns the batches that reached `batchSize`.
    public mutating func append(_ readings: some Sequence<Reading>, now: ContinuousClock.Instant) -> [Batch] {
        var full: [Batch] = []
        for reading in readings {
            let l = lane(of: reading.sensorID)
            if buffers[l].isEmpty {
                oldest[l] = now
                buffers[l].reserveCapacity(batchSize)
            }
            buffers[l].append(reading)
            if buffers[l].count >= batchSize {
                full.append(take(l))
            }
        }
        return full
    }

    /// Returns the batches whose oldest reading has waited `maxDelay` or longer.
    public mutating func due(now: ContinuousClock.Instant) -> [Batch] {
        var result: [Batch] = []
        for l in 0..<lanes {
            if let since = oldest[l], now - since >= maxDelay {
                result.append(take(l))
            }
        }
        return result
    }

    /// Returns everything held, for shutdown.
    public mutating func flush() -> [Batch] {
        (0..<lanes).filter { !buffers[$0].isEmpty }.map { take($0) }
    }

    private mutating func take(_ l: Int) -> Batch {
        let batch = Batch(lane: l, readings: buffers[l])
        buffers[l] = []
        oldest[l] = nil
        return batch
    }
}
