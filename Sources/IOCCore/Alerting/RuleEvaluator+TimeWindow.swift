extension RuleEvaluator {
    /// One reading as a window keeps it.
    struct Sample: Sendable, Hashable {
        var time: Timestamp
        var value: Double
    }

    /// A double-ended queue of samples in time order: appended at the back, dropped from the front
    /// as they leave the window (and from the back for the running maximum and minimum). The
    /// storage is compacted once the dropped front is half of it, so every operation is O(1)
    /// amortized and memory stays proportional to the samples held.
    struct TimeWindow: Sendable {
        private var storage: [Sample] = []
        private var head = 0

        var count: Int { storage.count - head }
        var isEmpty: Bool { head == storage.count }
        var first: Sample? { isEmpty ? nil : storage[head] }
        var last: Sample? { isEmpty ? nil : storage[storage.count - 1] }

        /// The samples from the oldest to the newest.
        var samples: ArraySlice<Sample> { storage[head...] }

        mutating func append(_ sample: Sample) {
            storage.append(sample)
        }

        @discardableResult
        mutating func removeFirst() -> Sample {
            precondition(!isEmpty, "removeFirst on an empty window")
            let sample = storage[head]
            head += 1
            if head == storage.count {
                storage.removeAll(keepingCapacity: true)
                head = 0
            } else if head >= 32, head * 2 >= storage.count {
                storage.removeFirst(head)
                head = 0
            }
            return sample
        }

        mutating func removeLast() {
            precondition(!isEmpty, "removeLast on an empty window")
            storage.removeLast()
            if head == storage.count {
                storage.removeAll(keepingCapacity: true)
                head = 0
            }
        }
    }
}
