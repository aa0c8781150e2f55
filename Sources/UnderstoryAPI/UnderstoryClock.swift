import Foundation

/// The time source of the client: "now" for budgets and token expiry, wall-clock time for
/// `Retry-After` HTTP-dates, and a sleep for back-off and rate-limit waits.
///
/// ``system`` is the real thing. Tests inject a virtual clock whose `sleep` records the requested
/// wait and advances `now` instantly, so retry logic over real HTTP runs fast.
public struct UnderstoryClock: Sendable {
    public var now: @Sendable () -> ContinuousClock.Instant
    public var wallClock: @Sendable () -> Date
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> ContinuousClock.Instant,
        wallClock: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.wallClock = wallClock
        self.sleep = sleep
    }

    /// `ContinuousClock`, `Date()` and `Task.sleep`.
    public static var system: UnderstoryClock {
        UnderstoryClock(
            now: { ContinuousClock.now },
            wallClock: { Date() },
            sleep: { duration in try await Task.sleep(for: duration, clock: .continuous) }
        )
    }
}
