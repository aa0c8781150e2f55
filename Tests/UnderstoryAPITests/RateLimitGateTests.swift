import Testing

@testable import UnderstoryAPI

@Suite("rate-limit gate")
struct RateLimitGateTests {
    @Test("429s of requests sent together halve the limit once; successes grow it back one per round")
    func halvesOnceThenGrows() async {
        let gate = RateLimitGate(ceiling: 64, startingLimit: 64)
        var permits: [RateLimitGate.Permit] = []
        for _ in 0..<16 { permits.append(await gate.acquire()) }
        // 12 of 16 rejected at once: one halving of what was in flight (16 → 8), not twelve.
        let start = ContinuousClock.now
        for permit in permits.prefix(12) { await gate.release(permit, rateLimited: true, now: start) }
        #expect(await gate.currentLimit == 8)
        for permit in permits.suffix(4) { await gate.release(permit, rateLimited: false) }
        #expect(await gate.currentLimit == 8)
        // A request sent after the decrease that is rejected again (past the hold) halves again.
        let late = await gate.acquire()
        await gate.release(late, rateLimited: true, now: start + .seconds(2))
        #expect(await gate.currentLimit == 1)  // only it was in flight: min(8, 1) / 2, at least 1
        let before = await gate.currentLimit
        for _ in 0..<(before * 4) {
            let permit = await gate.acquire()
            await gate.release(permit, rateLimited: false)
        }
        #expect(await gate.currentLimit > before)
    }

    @Test("slow start: 4 in flight before any answer, one more per success (doubling per round) up to the ceiling, until the first 429")
    func slowStart() async {
        let gate = RateLimitGate(ceiling: 32)
        #expect(await gate.currentLimit == RateLimitGate.startingLimit)
        var round = [RateLimitGate.Permit]()
        for _ in 0..<4 { round.append(await gate.acquire()) }
        for permit in round { await gate.release(permit, rateLimited: false) }
        #expect(await gate.currentLimit == 8, "a round of 4 successes doubles it")
        round = []
        for _ in 0..<8 { round.append(await gate.acquire()) }
        for permit in round { await gate.release(permit, rateLimited: false) }
        #expect(await gate.currentLimit == 16)
        round = []
        for _ in 0..<16 { round.append(await gate.acquire()) }
        await gate.release(round.removeLast(), rateLimited: true)
        #expect(await gate.currentLimit == 8, "the first 429 halves what was in flight and ends slow start")
        for permit in round { await gate.release(permit, rateLimited: false) }
        let grown = await gate.currentLimit
        #expect(grown < 11, "then about one per round: \(grown)")
    }

    @Test("without 429s the gate never limits below its ceiling")
    func neverBindsWithout429() async {
        let gate = RateLimitGate(ceiling: 32, startingLimit: 32)
        var permits: [RateLimitGate.Permit] = []
        for _ in 0..<32 { permits.append(await gate.acquire()) }
        #expect(await gate.currentLimit == 32)
        for permit in permits { await gate.release(permit, rateLimited: false) }
        #expect(await gate.currentLimit == 32)
    }
}

@Suite("rate-limit gate: pacing after 429s")
struct RateLimitPacingTests {
    /// `n` requests accepted `spacing` apart from `start`; returns when the last was released.
    static func accept(_ gate: RateLimitGate, _ n: Int, from start: ContinuousClock.Instant, spacing: Duration) async -> ContinuousClock.Instant {
        var now = start
        for i in 0..<n {
            now = start + spacing * i
            let permit = await gate.acquire()
            await gate.release(permit, rateLimited: false, now: now)
        }
        return now
    }

    @Test("unpaced until the first 429; then 90 % of the rate the API accepted, turns evenly spaced")
    func pacesAfter429() async {
        let gate = RateLimitGate()
        let start = ContinuousClock.now
        #expect(await gate.turn(now: start).wait == .zero)
        let last = await Self.accept(gate, 20, from: start, spacing: .milliseconds(50))  // 20 in 0.95 s
        #expect(await gate.currentPace == nil, "no 429 yet: no pace")
        let rejected = await gate.acquire()
        let at = last + .milliseconds(50)
        await gate.release(rejected, rateLimited: true, now: at)
        let pace = try? #require(await gate.currentPace)
        let expected = 0.9 * 20 / 1.0  // 20 accepted over the 1 s since the first
        #expect(abs((pace ?? 0) - expected) < 0.5, "pace \(String(describing: pace))")
        let first = await gate.turn(now: at).wait
        let second = await gate.turn(now: at).wait
        let spacing = Duration.seconds(1 / (pace ?? 1))
        #expect(abs(((second - first) - spacing) / spacing) < 0.01, "turns one pace-interval apart")
    }

    @Test("the first 429 after a ramp paces at 90 % of the fastest recent rate, not of the ramp's average")
    func firstEstimateFromTheRamp() async {
        let gate = RateLimitGate()
        let start = ContinuousClock.now
        // A slow-start ramp: 5/s for a second, 10/s for half a second, then 40/s for a quarter.
        var now = await Self.accept(gate, 5, from: start, spacing: .milliseconds(200))
        now = await Self.accept(gate, 5, from: now + .milliseconds(100), spacing: .milliseconds(100))
        now = await Self.accept(gate, 10, from: now + .milliseconds(25), spacing: .milliseconds(25))
        let rejected = await gate.acquire()
        await gate.release(rejected, rateLimited: true, now: now + .milliseconds(25))
        let pace = await gate.currentPace ?? 0
        // 10 in the last 0.25 s: 40/s → 36/s (over the 1.75 s since the first answer: 20/1.75 = 11/s → 10/s).
        #expect(pace > 30 && pace < 40, "pace \(pace)")
    }

    @Test("successes raise the pace about 10 % per 80; a 429 of a request sent before the last decrease changes nothing")
    func growsAndIgnoresStaleSignals() async {
        let gate = RateLimitGate()
        let start = ContinuousClock.now
        var now = await Self.accept(gate, 10, from: start, spacing: .milliseconds(100))
        let stale = await gate.acquire()
        let fresh = await gate.acquire()
        now += .milliseconds(100)
        await gate.release(fresh, rateLimited: true, now: now)
        let paced = await gate.currentPace ?? 0
        await gate.release(stale, rateLimited: true, now: now)  // same generation as the first: one signal
        #expect(await gate.currentPace == paced)
        now = await Self.accept(gate, 80, from: now, spacing: .milliseconds(100))
        let grown = await gate.currentPace ?? 0
        #expect(grown / paced > 1.09 && grown / paced < 1.11, "\(paced) → \(grown)")
    }

    @Test("a decrease re-spaces the waiting turns: those given at the old pace no longer hold, the next is one new interval from now")
    func decreaseReSpacesWaitingTurns() async {
        let gate = RateLimitGate()
        var now = await Self.accept(gate, 40, from: .now, spacing: .milliseconds(50))  // 20/s for 2 s
        var refused = await gate.acquire()
        await gate.release(refused, rateLimited: true, now: now)
        let fast = await gate.currentPace ?? 0
        // Thirty streams take their turns at that pace: the last is ~1.7 s away.
        var turns: [RateLimitGate.Turn] = []
        for _ in 0..<30 { turns.append(await gate.turn(now: now)) }
        #expect(turns.allSatisfy { $0.generation == turns[0].generation })
        // 1.1 s later (past the hold) a request sent after the decrease is refused: the pace was still too fast.
        now += .milliseconds(1100)
        refused = await gate.acquire()
        await gate.release(refused, rateLimited: true, now: now)
        let slow = await gate.currentPace ?? 0
        #expect(slow < fast, "\(fast) → \(slow)")
        var held = 0
        for turn in turns where await gate.holds(turn) { held += 1 }
        #expect(held == 0, "every turn given at the old pace is void")
        let next = await gate.turn(now: now)
        let interval = Duration.seconds(1 / slow)
        #expect(abs((next.wait - interval) / interval) < 0.01, "one new interval from now, not after the old turns: \(next.wait)")
        #expect(await gate.holds(next))
    }

    @Test("a drained bucket's refusals within a second of a decrease do not decrease again; one after it does")
    func holdsAfterADecrease() async {
        let gate = RateLimitGate()
        var now = await Self.accept(gate, 40, from: .now, spacing: .milliseconds(50))  // 20/s for 2 s
        var refused = await gate.acquire()
        await gate.release(refused, rateLimited: true, now: now)
        let first = await gate.currentPace ?? 0
        // Sent after the decrease (a new generation), refused 0.5 s later: the bucket is still empty.
        now += .milliseconds(500)
        refused = await gate.acquire()
        await gate.release(refused, rateLimited: true, now: now)
        #expect(await gate.currentPace == first, "held: no second decrease within a second")
        now += .milliseconds(600)
        refused = await gate.acquire()
        await gate.release(refused, rateLimited: true, now: now)
        let second = await gate.currentPace ?? 0
        #expect(second < first, "\(first) → \(second)")
    }

    @Test("429s that do not depend on the rate (every 40th request) slow the pace to half the best accepted rate, never further")
    func randomRefusalsDoNotCollapse() async {
        let gate = RateLimitGate()
        var now = await Self.accept(gate, 220, from: .now, spacing: .milliseconds(50))  // 20/s for 11 s
        for _ in 0..<40 {
            let refused = await gate.acquire()
            await gate.release(refused, rateLimited: true, now: now)
            let pace = await gate.currentPace ?? 0
            now = await Self.accept(gate, 40, from: now, spacing: .seconds(1 / pace))
        }
        let pace = await gate.currentPace ?? 0
        #expect(pace >= 10 && pace < 20, "pace \(pace)")
    }

    @Test("with adaptiveRate off, 429s never pace (the in-flight limit only)")
    func offMeansUnpaced() async {
        let gate = RateLimitGate(adaptiveRate: false)
        let start = ContinuousClock.now
        let last = await Self.accept(gate, 10, from: start, spacing: .milliseconds(100))
        let permit = await gate.acquire()
        await gate.release(permit, rateLimited: true, now: last)
        #expect(await gate.currentPace == nil)
        #expect(await gate.turn(now: last).wait == .zero)
    }
}
