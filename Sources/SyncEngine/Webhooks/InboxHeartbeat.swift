import Synchronization
import TimeSource
import UnderstoryAPI

/// When the inbox worker last finished a round, on its clock: `/healthz` reports a worker that is
/// alive but stuck (in a round, or reconnecting, for longer than a bound). Waiting for work is not
/// being stuck.
public final class InboxHeartbeat: Sendable {
    private struct State {
        var last: ContinuousClock.Instant
        var idle = false
    }

    private let clock: any TimeSource
    private let state: Mutex<State>

    /// Starts counting now: a worker that never finishes a round is stuck once the bound passes.
    public init(clock: any TimeSource) {
        self.clock = clock
        self.state = Mutex(State(last: clock.now))
    }

    /// A round (or one account's share of it) finished.
    func beat() {
        let now = clock.now
        state.withLock { $0.last = now }
    }

    /// Runs `body` (a wait for work) as idle time; it ends with a beat.
    func idle(_ body: () async -> Void) async {
        state.withLock { $0.idle = true }
        await body()
        let now = clock.now
        state.withLock {
            $0.idle = false
            $0.last = now
        }
    }

    /// How long the worker has been busy (or reconnecting) without finishing a round; zero while it waits for work.
    public var silence: Duration {
        let now = clock.now
        return state.withLock { $0.idle ? .zero : now - $0.last }
    }
}
