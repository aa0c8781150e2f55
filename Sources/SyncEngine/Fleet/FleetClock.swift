import Foundation

/// A worker's view of time: `now` (its own wall clock) and a cancellable sleep. Leases and due
/// times are never compared with `now`: they are set and compared on the database's clock
/// (``AccountClaims``), so workers whose clocks disagree still agree on them. A pass only checks
/// `now` against the database's and warns when they differ by more than
/// ``FleetWorker/toleratedSkew`` (the sync itself still reads the wall clock, e.g. for the
/// events window). Tests inject one with its own `now`.
public struct FleetClock: Sendable {
    public var now: @Sendable () -> Date
    /// Suspends for the duration; throws when cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The system clock.
    public static let system = FleetClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
