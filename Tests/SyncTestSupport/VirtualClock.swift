import Foundation
import Synchronization
import UnderstoryAPI
import UnderstorySimulator

/// One virtual time line for a test: the API client (``understory``) and the simulator
/// (``simulator``) read the same "now", and nobody waits on the wall clock. Sleeps return at once,
/// advance "now" by the requested wait and are recorded in ``sleeps``; ``advance(by:)`` moves time
/// by hand (a token or cursor outlives its lifetime without the test sleeping).
public final class VirtualClock: Sendable {
    private struct State {
        var offset = Duration.zero
        var sleeps: [Duration] = []
    }

    private let base = ContinuousClock.now
    private let wallBase = Date()
    private let state = Mutex(State())

    public init() {}

    /// Every sleep asked for so far, in order.
    public var sleeps: [Duration] { self.state.withLock { $0.sleeps } }

    public var now: ContinuousClock.Instant { self.base + self.state.withLock { $0.offset } }

    public func advance(by duration: Duration) {
        self.state.withLock { $0.offset += duration }
    }

    private func sleep(_ duration: Duration) async {  // Justified: virtual, returns at once and moves "now".
        self.state.withLock {
            $0.sleeps.append(duration)
            $0.offset += duration
        }
        await Task.yield()
    }

    /// The client's clock on this time line.
    public var understory: UnderstoryClock {
        UnderstoryClock(
            now: { self.now },
            wallClock: {
                let offset = self.state.withLock { $0.offset }.components
                return self.wallBase.addingTimeInterval(Double(offset.seconds) + Double(offset.attoseconds) * 1e-18)
            },
            sleep: { await self.sleep($0) }  // Justified: the virtual sleep above.
        )
    }

    /// The simulator's clock on this time line (`SimulatorConfiguration.clock`).
    public var simulator: SimulatorClock {
        SimulatorClock(now: { self.now }, sleep: { await self.sleep($0) })  // Justified: the virtual sleep above.
    }
}
