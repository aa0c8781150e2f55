/// The simulator's time source: token, code and cursor lifetimes, the refresh-token grace window,
/// and the wait of the `latency` fault.
///
/// ``system`` is real time. Tests inject a virtual clock (Tests/SyncTestSupport/VirtualClock.swift)
/// and advance it instead of sleeping until a token or cursor expires; sharing it with the API
/// client's `UnderstoryClock` moves both sides together.
public struct SimulatorClock: Sendable {
    public var now: @Sendable () -> ContinuousClock.Instant
    public var sleep: @Sendable (Duration) async throws -> Void

    public init(
        now: @escaping @Sendable () -> ContinuousClock.Instant,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.sleep = sleep
    }

    /// `ContinuousClock` and `Task.sleep`.
    public static var system: SimulatorClock {
        SimulatorClock(now: { ContinuousClock.now }, sleep: { try await Task.sleep(for: $0, clock: .continuous) })
    }
}
