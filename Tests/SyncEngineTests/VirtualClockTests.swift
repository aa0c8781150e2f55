import Foundation
import SyncTestSupport
import Testing

@Suite("the virtual clock: one time line, sleeps that return at once or wait for the test")
struct VirtualClockTests {
    static let start = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01T00:00:00Z

    @Test("by default a sleep returns at once, moves both clocks by its wait and is recorded")
    func sleepsAdvanceTime() async throws {
        let clock = VirtualClock(wall: Self.start)
        let before = clock.now
        try await clock.sleep(for: .seconds(2))
        try await clock.sleep(until: Self.start.addingTimeInterval(10))
        #expect(clock.now - before == .seconds(10))
        #expect(clock.wallNow == Self.start.addingTimeInterval(10))
        #expect(clock.sleeps == [.seconds(2), .seconds(8)])
    }

    @Test("waiting for an advance: a sleep parks, announces its deadline, and returns once time passes it")
    func sleepsWaitForAdvance() async throws {
        let clock = VirtualClock(wall: Self.start, sleeps: .waitForAdvance)
        var deadlines = clock.deadlines.makeAsyncIterator()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        #expect(await deadlines.next() == Self.start.addingTimeInterval(5))
        clock.advance(by: .seconds(5))
        try await sleeper.value
        #expect(clock.wallNow == Self.start.addingTimeInterval(5))
        #expect(clock.sleeps == [.seconds(5)])
    }

    @Test("waiting for an advance that never comes: the sleep lasts until its task is cancelled")
    func sleepsUntilCancelled() async throws {
        let clock = VirtualClock(sleeps: .waitForAdvance)
        var deadlines = clock.deadlines.makeAsyncIterator()
        let sleeper = Task { try await clock.sleep(for: .seconds(60)) }
        _ = await deadlines.next()
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeps == [.seconds(60)])
    }
}
