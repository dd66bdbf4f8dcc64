import IOCCore
import Testing

@Suite("BatchAssembler: batches by count and by age, a sensor always on one lane")
struct BatchAssemblerTests {
    let t0 = ContinuousClock.now

    func readings(_ sensors: [Int32], time: Int64 = 0) -> [Reading] {
        sensors.enumerated().map { Reading(sensorID: $0.element, time: Timestamp(microseconds: time + Int64($0.offset)), value: Double($0.offset)) }
    }

    @Test("a lane's batch closes when it reaches the batch size, in arrival order",
          arguments: [(lanes: 1, size: 3, sensors: [Int32](repeating: 7, count: 7), closed: [3, 3]),
                      (lanes: 2, size: 2, sensors: [1, 2, 3, 4, 5], closed: [2, 2]),
                      (lanes: 4, size: 10, sensors: [1, 2, 3], closed: [])])
    func closesBySize(lanes: Int, size: Int, sensors: [Int32], closed: [Int]) {
        var assembler = BatchAssembler(lanes: lanes, batchSize: size, maxDelay: .seconds(1))
        let input = readings(sensors)
        let batches = assembler.append(input, now: t0)
        #expect(batches.map(\.readings.count) == closed)
        for batch in batches {
            #expect(batch.readings.allSatisfy { assembler.lane(of: $0.sensorID) == batch.lane })
            let order = batch.readings.map(\.time)
            #expect(order == order.sorted(), "arrival order is kept within a batch")
        }
        #expect(assembler.pending == sensors.count - closed.reduce(0, +))
    }

    @Test("a partly filled batch waits at most maxDelay from its oldest reading")
    func closesByAge() {
        var assembler = BatchAssembler(lanes: 2, batchSize: 100, maxDelay: .milliseconds(40))
        _ = assembler.append(readings([2]), now: t0)
        _ = assembler.append(readings([3]), now: t0 + .milliseconds(30))
        #expect(assembler.due(now: t0 + .milliseconds(39)).isEmpty)
        let first = assembler.due(now: t0 + .milliseconds(40))
        #expect(first.map(\.readings.count) == [1] && first[0].lane == 0, "only the lane of sensor 2 is due")
        #expect(assembler.due(now: t0 + .milliseconds(69)).isEmpty)
        #expect(assembler.due(now: t0 + .milliseconds(70)).map(\.lane) == [1])
        #expect(assembler.pending == 0)
    }

    @Test("a batch closed by size restarts the clock of its lane")
    func sizeResetsAge() {
        var assembler = BatchAssembler(lanes: 1, batchSize: 2, maxDelay: .milliseconds(10))
        #expect(assembler.append(readings([1, 1]), now: t0).count == 1)
        _ = assembler.append(readings([1]), now: t0 + .milliseconds(8))
        #expect(assembler.due(now: t0 + .milliseconds(12)).isEmpty, "the new batch started at 8 ms")
        #expect(assembler.due(now: t0 + .milliseconds(18)).count == 1)
    }

    @Test("flush returns everything held, once")
    func flush() {
        var assembler = BatchAssembler(lanes: 3, batchSize: 10, maxDelay: .seconds(1))
        _ = assembler.append(readings([1, 2, 3, 4, 5, 6, 7]), now: t0)
        let all = assembler.flush()
        #expect(all.reduce(0) { $0 + $1.readings.count } == 7)
        #expect(Set(all.map(\.lane)).count == all.count)
        #expect(assembler.flush().isEmpty && assembler.pending == 0)
    }

    @Test("negative sensor ids still map to a valid lane", arguments: [Int32.min, -1, 0, Int32.max])
    func laneRange(sensor: Int32) {
        let assembler = BatchAssembler(lanes: 5, batchSize: 1, maxDelay: .seconds(1))
        #expect((0..<5).contains(assembler.lane(of: sensor)))
    }
}
