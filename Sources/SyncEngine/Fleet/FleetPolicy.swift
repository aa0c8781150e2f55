import Foundation

/// How often a worker syncs each account, how long its leases last, and how it backs off.
public struct FleetPolicy: Sendable {
    /// Interval between two syncs of one account (before jitter).
    public var every: Duration
    /// Lease length; the worker renews it every `lease / 3` while it syncs the account.
    public var lease: Duration
    /// Fraction of `every` (and of a backoff) the next due time is moved by, at random, either way:
    /// 0.1 spreads a thousand accounts connected at once over ±10 % of the interval.
    public var jitter: Double
    /// Wait after the first failure in a row; doubles with each further failure …
    public var firstBackoff: Duration
    /// … up to this.
    public var maxBackoff: Duration
    /// Longest idle wait of `worker` before it looks for due accounts again.
    public var maxIdle: Duration
    /// Uniform in 0..<1 (injected, so tests know the jitter).
    public var random: @Sendable () -> Double

    public init(
        every: Duration = .seconds(900), lease: Duration = .seconds(120), jitter: Double = 0.1,
        firstBackoff: Duration = .seconds(60), maxBackoff: Duration = .seconds(6 * 3600), maxIdle: Duration = .seconds(30),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.every = every
        self.lease = lease
        self.jitter = jitter
        self.firstBackoff = firstBackoff
        self.maxBackoff = maxBackoff
        self.maxIdle = maxIdle
        self.random = random
    }

    /// How long after a successful sync an account is due again: `every`, jittered.
    public func nextSyncDelay() -> Duration {
        .seconds(jittered(every))
    }

    /// How long after its `failures`-th failure in a row (≥ 1) an account is due again:
    /// `firstBackoff · 2^(failures − 1)`, at most `maxBackoff`, jittered.
    public func retryDelay(failures: Int) -> Duration {
        let base = Self.seconds(firstBackoff) * pow(2, Double(min(max(failures, 1) - 1, 40)))
        return .seconds(jittered(.seconds(min(base, Self.seconds(maxBackoff)))))
    }

    private func jittered(_ duration: Duration) -> TimeInterval {
        let factor = 1 + jitter * (2 * random() - 1)
        return Self.seconds(duration) * factor
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
