import Synchronization

/// Runs `operation`, but stops waiting for it after `timeout`: the caller gets a timeout error and
/// the operation is cancelled and left to finish (or not) on its own.
///
/// Why not a task group: a group waits for every child, and a PostgreSQL query caught by a server
/// shutdown was seen never to complete, which would hold the caller forever. Everything we run
/// this way is idempotent, so a retry after abandoning an attempt is safe.
public func withDeadline<T: Sendable>(_ timeout: Duration, what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    let race = DeadlineRace<T>()
    return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
        race.start(continuation: continuation, timeout: timeout, what: what, operation: operation)
    }
}

/// The shared state of one `withDeadline`: whoever finishes first resumes the caller, once.
final class DeadlineRace<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var work: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }
    private let state = Mutex(State())

    func start(continuation: CheckedContinuation<T, any Error>, timeout: Duration, what: String,
               operation: @escaping @Sendable () async throws -> T) {
        state.withLock { $0.continuation = continuation }
        let timer = Task {
            do { try await Task.sleep(for: timeout) } catch { return }
            self.finish(.failure(StorageError(.database, "\(what): no answer within \(timeout)")), cancelWork: true)
        }
        let work = Task {
            let result: Result<T, any Error>
            do { result = .success(try await operation()) } catch { result = .failure(error) }
            self.finish(result, cancelWork: false)
        }
        state.withLock {
            $0.timer = timer
            $0.work = work
        }
    }

    private func finish(_ result: Result<T, any Error>, cancelWork: Bool) {
        let (continuation, work, timer) = state.withLock { s in
            defer { s.continuation = nil }
            return (s.continuation, s.work, s.timer)
        }
        guard let continuation else { return }
        if cancelWork { work?.cancel() } else { timer?.cancel() }
        continuation.resume(with: result)
    }
}
