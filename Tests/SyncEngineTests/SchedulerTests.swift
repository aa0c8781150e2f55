import Foundation
import Logging
import ServiceLifecycleTestKit
import Synchronization
import SyncEngine
import SyncTestSupport
import Testing

/// What the job saw: each run, and how many ran at once.
final class RunRecorder: Sendable {
    private struct State {
        var fires: [Scheduler.Fire] = []
        var active = 0
        var maxActive = 0
        var finished = 0
    }

    private let state = Mutex(State())
    let started: AsyncStream<Scheduler.Fire>
    private let announce: AsyncStream<Scheduler.Fire>.Continuation

    init() { (started, announce) = AsyncStream.makeStream(of: Scheduler.Fire.self) }

    var fires: [Scheduler.Fire] { state.withLock { $0.fires } }
    var maxActive: Int { state.withLock { $0.maxActive } }
    var finished: Int { state.withLock { $0.finished } }

    func begin(_ fire: Scheduler.Fire) {
        state.withLock { state in
            state.fires.append(fire)
            state.active += 1
            state.maxActive = max(state.maxActive, state.active)
        }
        announce.yield(fire)
    }

    func end() { state.withLock { $0.active -= 1; $0.finished += 1 } }
}

@Suite("scheduler loop with a virtual clock")
struct SchedulerTests {
    static let utc = TimeZone(identifier: "UTC")!

    static func date(_ text: String) -> Date { try! Date(text, strategy: .iso8601) }

    static func scheduler(
        _ cron: String, clock: VirtualClock, runNow: Bool = false, job: @escaping @Sendable (Scheduler.Fire) async -> Void
    ) throws -> Scheduler {
        Scheduler(
            expression: try CronExpression(cron), timeZone: utc, runNow: runNow, clock: clock,
            logger: quietLogger, job: job
        )
    }

    @Test("waits for each fire time and runs once at each")
    func firesAtFireTimes() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let scheduler = try Self.scheduler("*/15 * * * *", clock: clock) { fire in
            recorder.begin(fire)
            recorder.end()
        }
        let task = Task { await scheduler.run() }
        var deadlines = clock.deadlines.makeAsyncIterator()
        var runs = recorder.started.makeAsyncIterator()
        for expected in ["2026-01-10T10:15:00Z", "2026-01-10T10:30:00Z", "2026-01-10T10:45:00Z"] {
            let deadline = await deadlines.next()
            #expect(deadline == Self.date(expected))
            clock.advance(to: Self.date(expected))
            let fire = await runs.next()
            #expect(fire?.scheduled == Self.date(expected))
            #expect(fire?.coalesced == 0)
        }
        #expect(await deadlines.next() == Self.date("2026-01-10T11:00:00Z"))
        task.cancel()
        await task.value
        #expect(recorder.fires.count == 3)
    }

    @Test("a run that overruns several fire times is followed by one coalesced run, never a burst or an overlap")
    func overrunCoalesces() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let scheduler = try Self.scheduler("*/15 * * * *", clock: clock) { fire in
            recorder.begin(fire)
            // The first run takes 50 minutes: 10:30, 10:45 and 11:00 pass while it runs.
            if fire.scheduled == Self.date("2026-01-10T10:15:00Z") {
                clock.advance(to: Self.date("2026-01-10T11:05:00Z"))
            }
            recorder.end()
        }
        let task = Task { await scheduler.run() }
        var deadlines = clock.deadlines.makeAsyncIterator()
        #expect(await deadlines.next() == Self.date("2026-01-10T10:15:00Z"))
        clock.advance(to: Self.date("2026-01-10T10:15:00Z"))
        // The next wait is for 11:15: in between, exactly one catch-up run happened.
        #expect(await deadlines.next() == Self.date("2026-01-10T11:15:00Z"))
        task.cancel()
        await task.value
        let fires = recorder.fires
        #expect(fires.map(\.scheduled) == [Self.date("2026-01-10T10:15:00Z"), Self.date("2026-01-10T10:30:00Z")])
        #expect(fires.map(\.coalesced) == [0, 2])
        #expect(recorder.maxActive == 1)
    }

    @Test("fire times missed while the process slept coalesce into one run")
    func sleptThroughCoalesces() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let scheduler = try Self.scheduler("*/15 * * * *", clock: clock) { fire in
            recorder.begin(fire)
            recorder.end()
        }
        let task = Task { await scheduler.run() }
        var deadlines = clock.deadlines.makeAsyncIterator()
        #expect(await deadlines.next() == Self.date("2026-01-10T10:15:00Z"))
        clock.advance(to: Self.date("2026-01-10T12:01:00Z"))  // woke up late: 10:15 … 12:00 all passed
        #expect(await deadlines.next() == Self.date("2026-01-10T12:15:00Z"))
        task.cancel()
        await task.value
        #expect(recorder.fires.map(\.scheduled) == [Self.date("2026-01-10T10:15:00Z")])
        #expect(recorder.fires.map(\.coalesced) == [7])
    }

    @Test("--run-now runs at start, then follows the schedule")
    func runNow() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let scheduler = try Self.scheduler("@hourly", clock: clock, runNow: true) { fire in
            recorder.begin(fire)
            recorder.end()
        }
        let task = Task { await scheduler.run() }
        var deadlines = clock.deadlines.makeAsyncIterator()
        #expect(await deadlines.next() == Self.date("2026-01-10T11:00:00Z"))
        task.cancel()
        await task.value
        #expect(recorder.fires.map(\.scheduled) == [Self.date("2026-01-10T10:07:00Z")])
    }

    @Test("cancellation while waiting stops the loop without running")
    func cancellationStops() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let scheduler = try Self.scheduler("*/15 * * * *", clock: clock) { fire in
            recorder.begin(fire)
            recorder.end()
        }
        let task = Task { await scheduler.run() }
        var deadlines = clock.deadlines.makeAsyncIterator()
        _ = await deadlines.next()
        task.cancel()
        await task.value
        #expect(recorder.fires.isEmpty)
    }

    @Test("graceful shutdown while waiting ends the wait and the loop")
    func gracefulShutdownWhileWaiting() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let scheduler = try Self.scheduler("*/15 * * * *", clock: clock) { fire in
            recorder.begin(fire)
            recorder.end()
        }
        await testGracefulShutdown { trigger in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await scheduler.run() }
                var deadlines = clock.deadlines.makeAsyncIterator()
                _ = await deadlines.next()
                trigger.triggerGracefulShutdown()
                await group.waitForAll()  // returns without cancelling anything
            }
        }
        #expect(recorder.fires.isEmpty)
    }

    @Test("graceful shutdown during a run lets it finish, then stops without another wait")
    func gracefulShutdownDuringRun() async throws {
        let clock = VirtualClock(wall: Self.date("2026-01-10T10:07:00Z"), sleeps: .waitForAdvance)
        let recorder = RunRecorder()
        let (release, releaseRun) = AsyncStream.makeStream(of: Void.self)
        let sawShutdown = Mutex(false)
        let scheduler = try Self.scheduler("*/15 * * * *", clock: clock) { fire in
            recorder.begin(fire)
            for await _ in release { break }  // the run is "in progress" until the test releases it
            sawShutdown.withLock { $0 = Task.isShuttingDownGracefully }
            recorder.end()
        }
        await testGracefulShutdown { trigger in
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await scheduler.run() }
                var deadlines = clock.deadlines.makeAsyncIterator()
                var runs = recorder.started.makeAsyncIterator()
                let deadline = await deadlines.next()!
                clock.advance(to: deadline)
                _ = await runs.next()
                trigger.triggerGracefulShutdown()
                releaseRun.yield()
                await group.waitForAll()
            }
        }
        #expect(recorder.fires.count == 1)
        #expect(recorder.finished == 1)
        #expect(sawShutdown.withLock { $0 })
    }
}
