import IOCCore
import Testing

@Suite("RateLimiter: token buckets per key")
struct RateLimiterTests {
    /// (key, time in s, expected decision), applied in order to one limiter of rate 2/s, burst 3.
    static let steps: [(String, Double, RateLimiter.Decision)] = [
        ("a", 0, .allow), ("a", 0, .allow), ("a", 0, .allow),
        ("a", 0, .refuse(retryAfterSeconds: 1)),
        // Another key has its own bucket.
        ("b", 0, .allow),
        // Half a second refills one request.
        ("a", 0.5, .allow),
        ("a", 0.5, .refuse(retryAfterSeconds: 1)),
        // A long pause refills up to the burst, not beyond.
        ("a", 100, .allow), ("a", 100, .allow), ("a", 100, .allow),
        ("a", 100, .refuse(retryAfterSeconds: 1)),
        // A clock going backwards refills nothing.
        ("a", 50, .refuse(retryAfterSeconds: 1)),
    ]

    @Test("a burst passes, the next request waits for the refill, keys are apart")
    func sequence() {
        var limiter = RateLimiter(configuration: .init(rate: 2, burst: 3))
        for (index, (key, time, expected)) in Self.steps.enumerated() {
            #expect(limiter.take(key, at: time) == expected, "step \(index): \(key) at \(time)")
        }
    }

    @Test("Retry-After is the whole seconds until one request is available", arguments: [
        (0.1, 10), (0.5, 2), (1.0, 1), (3.0, 1),
    ])
    func retryAfter(rate: Double, seconds: Int) {
        var limiter = RateLimiter(configuration: .init(rate: rate, burst: 1))
        #expect(limiter.take("k", at: 0) == .allow)
        #expect(limiter.take("k", at: 0) == .refuse(retryAfterSeconds: seconds))
    }

    @Test("rate 0 is off")
    func off() {
        var limiter = RateLimiter(configuration: .off)
        for _ in 0..<10_000 { #expect(limiter.take("k", at: 0) == .allow) }
        #expect(limiter.keyCount == 0)
    }

    @Test("past maxKeys, refilled buckets are forgotten and busy ones kept")
    func forgetting() {
        var limiter = RateLimiter(configuration: .init(rate: 1, burst: 2), maxKeys: 3)
        for key in ["x", "y", "z"] { _ = limiter.take(key, at: 0) }
        _ = limiter.take("busy", at: 5)
        _ = limiter.take("busy", at: 5)
        _ = limiter.take("w", at: 5)
        #expect(limiter.keyCount == 2, "x, y and z refilled and were forgotten")
        #expect(limiter.take("busy", at: 5) == .refuse(retryAfterSeconds: 1), "the busy bucket was kept")
    }
}
