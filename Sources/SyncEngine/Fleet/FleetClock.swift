import Foundation

/// A worker's view of time: `now` (wall clock, compared with `next_sync_at` and lease expiries in
/// the database) and a cancellable sleep. Tests inject one whose `now` they move.
public struct FleetClock: Sendable {
    public var now: @Sendable () -> Date
    /// Suspends for the duration; throws when cancelled.
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.now = now
        self.sleep = sleep
    }

    /// The system clock. Hosts of one fleet compare leases across machines, so keep them on NTP
    /// (the lease, default 120 s, dwarfs ordinary skew).
    public static let system = FleetClock(now: { Date() }, sleep: { try await Task.sleep(for: $0) })
}
