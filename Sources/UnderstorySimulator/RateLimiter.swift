/// A real rate limiter, as an API gateway runs one: a token bucket per client of `rate` requests
/// per second holding at most `burst`, and optionally at most `concurrency` requests of a client
/// in flight. A request that finds the bucket empty (or too many in flight) is answered 429, with
/// `Retry-After` when `SimulatorFaults.retryAfterSeconds` is set and without it otherwise — the
/// API's limits are undocumented, so a client must find them from the 429s.
public struct RateLimiter: Sendable, Hashable {
    /// Requests per second refilled into each client's bucket.
    public var rate: Double
    /// Most requests a bucket holds (what a client may send at once after a pause).
    public var burst: Double
    /// Most requests of one client in flight at once; nil = no cap.
    public var concurrency: Int?

    public init(rate: Double, burst: Double, concurrency: Int? = nil) {
        self.rate = rate
        self.burst = burst
        self.concurrency = concurrency
    }
}

/// One client's bucket.
struct RateLimiterBucket: Sendable {
    var tokens: Double
    var refilledAt: ContinuousClock.Instant
    var inFlight = 0

    /// Takes one token at `now` if there is one (refilling first); false means 429.
    mutating func admit(_ limiter: RateLimiter, now: ContinuousClock.Instant) -> Bool {
        let elapsed = now - refilledAt
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        tokens = min(limiter.burst, tokens + max(0, seconds) * limiter.rate)
        refilledAt = now
        if let cap = limiter.concurrency, inFlight >= cap { return false }
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
