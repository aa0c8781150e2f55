/// How hard the client tries before giving up on one request.
///
/// Both limits apply to every request (token, discovery and API calls alike): at most
/// ``maxAttempts`` attempts, and no wait that would end after ``totalBudget`` from the first
/// attempt. A 429 waits `Retry-After` (or the configured rate-limit wait); a 500/502/503/504 or a
/// transient transport failure waits ``backoff(failedAttempt:base:cap:unitRandom:)``.
public struct RetryPolicy: Sendable, Hashable, CustomStringConvertible {
    /// Attempts per request, the first one included (1 = never retry).
    public var maxAttempts: Int
    /// Time from the first attempt after which no further wait is started.
    public var totalBudget: Duration
    /// Back-off scale: the cap of the first retry's delay.
    public var baseDelay: Duration
    /// Largest back-off delay.
    public var maxDelay: Duration

    public init(
        maxAttempts: Int = 8,
        totalBudget: Duration = .seconds(600),
        baseDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30)
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.totalBudget = totalBudget
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    public var description: String {
        "RetryPolicy(maxAttempts: \(maxAttempts), totalBudget: \(totalBudget), baseDelay: \(baseDelay), maxDelay: \(maxDelay))"
    }

    /// The delay before the next attempt after `failedAttempt` consecutive failures (1-based), with
    /// this policy's base and cap. See ``backoff(failedAttempt:base:cap:unitRandom:)``.
    public func backoff(failedAttempt: Int, unitRandom: Double) -> Duration {
        Self.backoff(failedAttempt: failedAttempt, base: baseDelay, cap: maxDelay, unitRandom: unitRandom)
    }

    /// Exponential back-off with full jitter ("Exponential Backoff And Jitter", AWS architecture blog).
    ///
    /// The ceiling grows as `base * 2^(failedAttempt - 1)` and is capped at `cap` *before* any
    /// conversion, so a large attempt number never overflows; the delay is a uniformly chosen
    /// fraction of the ceiling: `delay = unitRandom * min(cap, base * 2^(failedAttempt - 1))`.
    /// With the defaults (500 ms base, 30 s cap) the ceilings are:
    ///   - 1 failed attempt : 0.5 s
    ///   - 2 failed attempts: 1 s
    ///   - 3 failed attempts: 2 s
    ///   - 5 failed attempts: 8 s
    ///   - 7 failed attempts and more: 30 s (maxed out)
    /// Full jitter spreads a crowd of clients that failed together, so they do not retry in step.
    ///
    /// - Parameters:
    ///   - failedAttempt: number of failed attempts in a row, 1-based (values below 1 count as 1).
    ///   - base: ceiling of the first delay.
    ///   - cap: largest ceiling.
    ///   - unitRandom: a random number in `0..<1` (clamped), supplied by the caller, so the function
    ///     is pure and testable.
    /// - Returns: time to wait before the next attempt, in `0...min(cap, base * 2^(failedAttempt-1))`.
    public static func backoff(failedAttempt: Int, base: Duration, cap: Duration, unitRandom: Double) -> Duration {
        let exponent = Double(max(1, failedAttempt) - 1)
        let baseSeconds = max(0, base.seconds)
        let capSeconds = max(0, cap.seconds)
        // Cap in Double before converting, so 2^1000 never reaches an integer initialiser.
        let ceiling = min(capSeconds, baseSeconds * pow2(exponent))
        let fraction = unitRandom.isFinite ? min(max(unitRandom, 0), 1) : 0
        return .nanoseconds(Int64((ceiling * fraction * 1e9).rounded(.down)))
    }

    private static func pow2(_ exponent: Double) -> Double {
        // 2^exponent without Foundation's pow; saturates to +infinity beyond the Double range.
        exponent >= 1024 ? .infinity : Double(sign: .plus, exponent: Int(exponent), significand: 1)
    }
}

extension Duration {
    /// This duration in (fractional) seconds.
    var seconds: Double {
        let (s, atto) = components
        return Double(s) + Double(atto) / 1e18
    }
}
