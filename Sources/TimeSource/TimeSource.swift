import Foundation

/// The one time source of the API client, the engine, the scheduler, the fleet and the simulator:
/// a monotonic "now", the wall clock, and a cancellable sleep.
///
/// ``SystemTime`` (written `.system`) is the real thing. Tests inject a virtual clock
/// (Tests/SyncTestSupport/VirtualClock.swift) whose sleeps never wait on the wall clock.
public protocol TimeSource: Sendable {
    /// Monotonic time: request budgets, token and cursor lifetimes, back-off, rate-limit turns.
    var now: ContinuousClock.Instant { get }
    /// Wall-clock time: `Retry-After` HTTP-dates, cron fire times, the events window, the status
    /// page, the skew check against the database.
    var wallNow: Date { get }
    /// Suspends for `duration` (monotonic); throws `CancellationError` when cancelled.
    func sleep(for duration: Duration) async throws
    /// Suspends until the wall clock has reached `deadline` (returns at once if it has); throws
    /// `CancellationError` when cancelled. The default sleeps in slices of at most a minute and
    /// re-reads ``wallNow`` after each, so a suspended machine or a clock change is noticed.
    func sleep(until deadline: Date) async throws
}

extension TimeSource {
    public func sleep(until deadline: Date) async throws {
        while true {
            let remaining = deadline.timeIntervalSince(wallNow)
            if remaining <= 0 { return }
            try await sleep(for: .milliseconds(Int64((min(remaining, 60) * 1000).rounded(.up))))
        }
    }
}

/// `ContinuousClock`, `Date()` and `Task.sleep`.
public struct SystemTime: TimeSource {
    public init() {}

    public var now: ContinuousClock.Instant { ContinuousClock.now }

    public var wallNow: Date { Date() }

    public func sleep(for duration: Duration) async throws {
        try await Task.sleep(for: duration, clock: .continuous)
    }
}

extension TimeSource where Self == SystemTime {
    /// The real clock: `clock: .system`.
    public static var system: SystemTime { SystemTime() }
}
