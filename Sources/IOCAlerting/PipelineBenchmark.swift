import Foundation
import IOCCore
import Logging
import Synchronization

/// Rule-evaluation throughput of the pipeline alone (no MQTT, no database): `rules` active rules
/// over `sensors` sensors, readings handed to the shards in batches as the writer does after a
/// commit. The same readings are also run through one `ShardState` on one thread, the baseline
/// that shows what the shards and queues add or gain.
public enum PipelineBenchmark {
    public struct Result: Sendable {
        public var rules: Int
        public var bindings: Int
        public var readings: Int
        public var shards: Int
        public var pipelineSeconds: Double
        public var singleThreadSeconds: Double
        public var changes: Int
        public var late: Int

        public var pipelineRate: Double { Double(readings) / pipelineSeconds }
        public var singleThreadRate: Double { Double(readings) / singleThreadSeconds }
    }

    /// The rule set: a mix of every kind, each rule scoped to one sensor (the costliest case for
    /// binding: nothing is shared), thresholds set so that alerts are rare but do happen.
    static func rules(count: Int, sensors: Int) -> [(AlertRule, Int32)] {
        (0..<count).map { index in
            let sensor = Int32(index % sensors + 1)
            let condition: AlertRule.Condition = switch index % 4 {
            case 0: .levels(.init(direction: .above, levels: [
                .init(name: "I", severity: .info, threshold: .value(9.0)),
                .init(name: "II", severity: .warning, threshold: .value(9.5)),
                .init(name: "III", severity: .critical, threshold: .value(9.9)),
            ], hysteresis: 0.1))
            case 1: .rateOfChange(.init(delta: 3, windowSeconds: 600))
            case 2: .window(.init(function: .avg, windowSeconds: 600, comparison: .gt, threshold: 9.5, clearThreshold: 9))
            default: .window(.init(function: .max, windowSeconds: 300, comparison: .ge, threshold: 9.95))
            }
            var rule = AlertRule(name: "bench \(index)", severity: .warning, scope: .sensor(id: sensor), condition: condition)
            rule.id = Int64(index + 1)
            return (rule, sensor)
        }
    }

    /// Readings of `sensors` sensors, one per sensor per second, a bounded random walk in 0…10.
    static func readings(count: Int, sensors: Int, start: Timestamp) -> [Reading] {
        var generator = SplitMix64(seed: 42)
        var values = (0..<sensors).map { _ in Double(generator.next() % 500) / 100 }
        var result: [Reading] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let sensor = index % sensors
            let step = Double(Int(generator.next() % 201) - 100) / 400
            values[sensor] = min(10, max(0, values[sensor] + step))
            result.append(Reading(sensorID: Int32(sensor + 1), time: start.adding(seconds: Double(index / sensors)), value: values[sensor]))
        }
        return result
    }

    public static func run(rules ruleCount: Int, sensors: Int, readings readingCount: Int, shards: Int, batchSize: Int) async -> Result {
        let start = Timestamp(seconds: 1_780_000_000)
        let rules = rules(count: ruleCount, sensors: sensors)
        let readings = readings(count: readingCount, sensors: sensors, start: start)
        func states(_ count: Int) -> [ShardState] {
            var states = Array(repeating: ShardState(), count: count)
            for (rule, sensor) in rules {
                states[Int(UInt32(bitPattern: sensor) % UInt32(count))].bind(rule: rule, sensorID: sensor, thresholds: [], since: start)
            }
            return states
        }

        // Baseline: one ShardState, one thread, no queues.
        var single = states(1)[0]
        var singleChanges: [AlertChange] = []
        let singleStart = ContinuousClock.now
        var offset = 0
        while offset < readings.count {
            let end = min(offset + batchSize, readings.count)
            single.evaluate(readings[offset..<end], into: &singleChanges)
            offset = end
        }
        let singleSeconds = (ContinuousClock.now - singleStart).seconds

        // The pipeline: shards on their own serial queues, batches split by shard.
        let changeCount = Atomic<Int>(0)
        let logger = Logger(label: "bench")
        let pipelineShards = (0..<shards).map { index in
            RuleShard(index: index, logger: logger, persist: { changes, _, _ in
                changeCount.add(changes.count, ordering: .relaxed)
                return 0
            }, onNotificationsQueued: {})
        }
        let prepared = states(shards)
        for (index, shard) in pipelineShards.enumerated() {
            _ = await shard.install(prepared[index], groups: GroupState(), catalog: SensorCatalog())
        }
        let pipelineStart = ContinuousClock.now
        offset = 0
        while offset < readings.count {
            let end = min(offset + batchSize, readings.count)
            var slices = Array(repeating: [Reading](), count: shards)
            for reading in readings[offset..<end] {
                slices[Int(UInt32(bitPattern: reading.sensorID) % UInt32(shards))].append(reading)
            }
            await withTaskGroup(of: Void.self) { group in
                for (index, slice) in slices.enumerated() where !slice.isEmpty {
                    let shard = pipelineShards[index]
                    group.addTask { await shard.evaluate(slice) }
                }
            }
            offset = end
        }
        for shard in pipelineShards { await shard.flush() }
        let pipelineSeconds = (ContinuousClock.now - pipelineStart).seconds
        var late = 0
        for shard in pipelineShards { late += await shard.counters.late }
        return Result(
            rules: ruleCount, bindings: rules.count, readings: readings.count, shards: shards,
            pipelineSeconds: pipelineSeconds, singleThreadSeconds: singleSeconds,
            changes: changeCount.load(ordering: .relaxed), late: late)
    }
}


extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
