/// Token buckets, one per key (an API token's id, or an address for requests without a valid
/// token): each holds up to `burst` requests and refills at `rate` per second. A request finding
/// its bucket empty is refused with the whole seconds until one request is available again, for
/// `Retry-After`. Times are seconds of a monotonic clock, given by the caller.
public struct RateLimiter: Sendable {
    public struct Configuration: Sendable, Hashable {
        /// Requests per second refilled; 0 turns limiting off.
        public var rate: Double
        /// Requests that may come at once after a quiet spell.
        public var burst: Double

        public init(rate: Double, burst: Double) {
            self.rate = max(0, rate)
            self.burst = max(1, burst)
        }

        /// Generous for people and scripts, far above what a wall display asks (a few requests a
        /// minute while its live feed runs), low enough to stop a flood or a token guesser.
        public static let standard = Configuration(rate: 100, burst: 2000)
        public static let off = Configuration(rate: 0, burst: 1)

        public var isOff: Bool { rate <= 0 }
    }

    public enum Decision: Sendable, Hashable {
        case allow
        /// Refused; a request will be allowed again after this many seconds (at least 1).
        case refuse(retryAfterSeconds: Int)
    }

    struct Bucket: Hashable {
        var tokens: Double
        var updated: Double
    }

    public let configuration: Configuration
    /// Keys remembered at most; past it, buckets that have refilled are forgotten (a full bucket
    /// and no bucket are the same thing).
    public let maxKeys: Int
    private(set) var buckets: [String: Bucket] = [:]

    public init(configuration: Configuration, maxKeys: Int = 10_000) {
        self.configuration = configuration
        self.maxKeys = max(1, maxKeys)
    }

    public var keyCount: Int { buckets.count }

    /// Takes one request from `key`'s bucket at time `now`.
    public mutating func take(_ key: String, at now: Double) -> Decision {
        guard !configuration.isOff else { return .allow }
        var bucket = refilled(buckets[key], at: now)
        defer {
            buckets[key] = bucket
            if buckets.count > maxKeys { forgetFull(at: now) }
        }
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            return .allow
        }
        let seconds = (1 - bucket.tokens) / configuration.rate
        return .refuse(retryAfterSeconds: max(1, Int(seconds.rounded(.up))))
    }

    private func refilled(_ bucket: Bucket?, at now: Double) -> Bucket {
        guard let bucket else { return Bucket(tokens: configuration.burst, updated: now) }
        // A clock that went backwards refills nothing.
        let elapsed = max(0, now - bucket.updated)
        return Bucket(tokens: min(configuration.burst, bucket.tokens + elapsed * configuration.rate), updated: max(now, bucket.updated))
    }

    private mutating func forgetFull(at now: Double) {
        buckets = buckets.filter { refilled($0.value, at: now).tokens < configuration.burst }
    }
}
