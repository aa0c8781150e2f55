import Foundation
import Synchronization
import TimeSource

/// One virtual time line for a test, the only test clock: give it to the API client, the
/// simulator, the engine, the scheduler, a fleet worker or the server (it is their
/// ``TimeSource``) and they all read the same "now"; nobody waits on the wall clock.
///
/// Its monotonic ``now`` and its wall clock ``wallNow`` move together. Every sleep is recorded in
/// ``sleeps``. What a sleep does depends on ``Sleeps``:
/// - ``Sleeps/advanceTime`` (the default): it returns at once and moves time by the wait (concurrent
///   sleeps add up), so retry and back-off logic over real HTTP runs fast.
/// - ``Sleeps/waitForAdvance``: it parks until ``advance(by:)`` or ``advance(to:)`` passes its
///   deadline, or its task is cancelled. Each parked deadline is announced on ``deadlines``, so a
///   test knows what is waiting (and for what) without timing anything. A clock nobody advances
///   makes every sleep last until cancelled.
public final class VirtualClock: TimeSource {
    /// What a sleep does.
    public enum Sleeps: Sendable {
        /// Returns at once, moving time by the requested wait.
        case advanceTime
        /// Waits until the test moves time past its deadline, or the task is cancelled.
        case waitForAdvance
    }

    /// A parked sleep's deadline, on the time line it was asked on.
    private enum Deadline {
        case monotonic(Duration)  // an offset from `base`
        case wall(Date)
    }

    private struct Sleeper {
        var deadline: Deadline
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var offset = Duration.zero
        var wall: Date
        var sleeps: [Duration] = []
        var sleepers: [Int: Sleeper] = [:]
        var nextID = 0

        func isDue(_ deadline: Deadline) -> Bool {
            switch deadline {
            case .monotonic(let offset): offset <= self.offset
            case .wall(let date): date <= self.wall
            }
        }

        /// Moves both time lines by `duration` (the wall one kept exact when `wall` is given).
        mutating func move(by duration: Duration, wall: Date? = nil) -> [CheckedContinuation<Void, any Error>] {
            offset += max(duration, .zero)
            self.wall = max(self.wall, wall ?? self.wall.addingTimeInterval(Self.seconds(duration)))
            let due = sleepers.filter { isDue($0.value.deadline) }
            for id in due.keys { sleepers[id] = nil }
            return due.values.map(\.continuation)
        }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
    }

    private let base = ContinuousClock.now
    private let mode: Sleeps
    private let state: Mutex<State>
    /// Every deadline a sleep parked for (``Sleeps/waitForAdvance`` only), as a wall-clock time.
    public let deadlines: AsyncStream<Date>
    private let announce: AsyncStream<Date>.Continuation

    /// - Parameters:
    ///   - wall: the wall clock's start (e.g. a cron test's chosen time, or a host whose clock is behind).
    ///   - sleeps: what a sleep does (see ``Sleeps``).
    public init(wall: Date = Date(), sleeps: Sleeps = .advanceTime) {
        self.mode = sleeps
        self.state = Mutex(State(wall: wall))
        (self.deadlines, self.announce) = AsyncStream.makeStream(of: Date.self)
    }

    /// Every sleep asked for so far, in order (a wall-clock sleep as its wait from the time it was asked).
    public var sleeps: [Duration] { self.state.withLock { $0.sleeps } }

    public var now: ContinuousClock.Instant { self.base + self.state.withLock { $0.offset } }

    public var wallNow: Date { self.state.withLock { $0.wall } }

    /// Moves time forward and wakes every sleeper whose deadline has passed.
    public func advance(by duration: Duration) {
        for continuation in self.state.withLock({ $0.move(by: duration) }) { continuation.resume() }
    }

    /// Moves the wall clock forward to `date` (never back; the monotonic clock moves as much) and
    /// wakes every sleeper whose deadline has passed.
    public func advance(to date: Date) {
        let woken = self.state.withLock { state in
            state.move(by: .seconds(max(0, date.timeIntervalSince(state.wall))), wall: date)
        }
        for continuation in woken { continuation.resume() }
    }

    public func sleep(for duration: Duration) async throws {  // Justified: virtual, never waits on the wall clock.
        let deadline = self.state.withLock { state in
            state.sleeps.append(duration)
            return Deadline.monotonic(state.offset + duration)
        }
        try await self.sleep(until: deadline, wait: duration)
    }

    public func sleep(until date: Date) async throws {  // Justified: virtual, never waits on the wall clock.
        let wait = self.state.withLock { state in
            let wait = Duration.seconds(max(0, date.timeIntervalSince(state.wall)))
            state.sleeps.append(wait)
            return wait
        }
        try await self.sleep(until: .wall(date), wait: wait)
    }

    private func sleep(until deadline: Deadline, wait: Duration) async throws {
        switch self.mode {
        case .advanceTime:
            try Task.checkCancellation()
            // Time moves by the whole wait, even when another sleep has already moved it past the
            // deadline: concurrent sleeps add up, as they always have here.
            let woken = self.state.withLock { state in
                if case .wall(let date) = deadline { return state.move(by: wait, wall: date) }
                return state.move(by: wait)
            }
            for continuation in woken { continuation.resume() }
            await Task.yield()
        case .waitForAdvance:
            try await self.park(until: deadline)
        }
    }

    /// Suspends until an advance passes `deadline` (announcing it) or the task is cancelled.
    private func park(until deadline: Deadline) async throws {
        enum Outcome { case cancelled, due, waiting(Date) }
        let id = self.state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Outcome = self.state.withLock { state in
                    if Task.isCancelled { return .cancelled }
                    if state.isDue(deadline) { return .due }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return switch deadline {
                    case .monotonic(let offset): .waiting(state.wall.addingTimeInterval(State.seconds(offset - state.offset)))
                    case .wall(let date): .waiting(date)
                    }
                }
                switch outcome {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .due: continuation.resume()
                case .waiting(let date): self.announce.yield(date)
                }
            }
        } onCancel: {
            let sleeper = self.state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }
}
