import Synchronization

/// An integer shared by reference between threads (C callbacks capture it).
public final class AtomicCounter: Sendable {
    private let storage: Atomic<Int>

    public init(_ value: Int = 0) { storage = Atomic(value) }

    public var value: Int { storage.load(ordering: .relaxed) }

    @discardableResult
    public func add(_ n: Int) -> Int { storage.add(n, ordering: .relaxed).newValue }

    @discardableResult
    public func subtract(_ n: Int) -> Int { storage.subtract(n, ordering: .relaxed).newValue }

    public func store(_ value: Int) { storage.store(value, ordering: .relaxed) }
}
