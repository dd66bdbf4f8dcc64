import IOCCore
import Testing

@Suite("Per-minute aggregates of a batch")
struct MinuteAggregatesTests {
    @Test("the minute of a time", arguments: [
        (0, 0),
        (59_999_999, 0),
        (60_000_000, 60_000_000),
        (1_764_000_123_456_789, 1_764_000_120_000_000),
        (-1, -60_000_000),
        (-60_000_000, -60_000_000),
        (-60_000_001, -120_000_000),
    ] as [(Int64, Int64)])
    func minute(micros: Int64, expected: Int64) {
        #expect(Timestamp(microseconds: micros).minute == Timestamp(microseconds: expected))
    }

    static let t0 = Timestamp(seconds: 1_764_000_000) // a minute boundary

    @Test("readings group by sensor and minute, with min, max, sum, count and the newest value")
    func groups() {
        let readings = [
            Reading(sensorID: 2, time: Self.t0.adding(seconds: 30), value: 5),
            Reading(sensorID: 1, time: Self.t0.adding(seconds: 10), value: 3),
            Reading(sensorID: 1, time: Self.t0.adding(seconds: 50), value: -1),
            Reading(sensorID: 1, time: Self.t0.adding(seconds: 20), value: 7), // out of order: not the newest
            Reading(sensorID: 1, time: Self.t0.adding(seconds: 60), value: 4), // the next minute
        ]
        let aggregates = MinuteAggregate.of(readings)
        #expect(aggregates.map(\.sensorID) == [1, 1, 2])
        #expect(aggregates.map(\.minute) == [Self.t0, Self.t0.adding(seconds: 60), Self.t0])
        let first = aggregates[0]
        #expect(first.min == -1 && first.max == 7 && first.sum == 9 && first.count == 3)
        #expect(first.lastTime == Self.t0.adding(seconds: 50) && first.lastValue == -1)
        #expect(aggregates[1].count == 1 && aggregates[1].lastValue == 4)
        #expect(aggregates[2].sum == 5 && aggregates[2].lastTime == Self.t0.adding(seconds: 30))
    }

    @Test("no readings, no aggregates")
    func empty() {
        #expect(MinuteAggregate.of([]).isEmpty)
    }
}
