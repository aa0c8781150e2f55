@testable import SyncEngine
import SyncTestSupport
import Testing
import UnderstoryAPI

@Suite("the inbox worker's wake-up")
struct InboxSignalTests {
    @Test("a wait without a notice sleeps once for its whole timeout on the injected clock (no polling)")
    func sleepsOnce() async {
        let clock = VirtualClock()
        await InboxSignal().wait(upTo: .seconds(1), clock: clock)
        #expect(clock.sleeps == [.seconds(1)])
    }

    @Test("a notice given before the wait ends it at once, and is used up")
    func pendingNotice() async {
        let clock = VirtualClock()
        let signal = InboxSignal()
        signal.notify()
        await signal.wait(upTo: .seconds(1), clock: clock)
        #expect(clock.sleeps.isEmpty)
        await signal.wait(upTo: .seconds(1), clock: clock)
        #expect(clock.sleeps == [.seconds(1)])
    }
}
