import Testing

@testable import UnderstoryAPI

@Suite("rate-limit gate")
struct RateLimitGateTests {
    @Test("429s of requests sent together halve the limit once; successes grow it back one per round")
    func halvesOnceThenGrows() async {
        let gate = RateLimitGate(ceiling: 64)
        var permits: [RateLimitGate.Permit] = []
        for _ in 0..<16 { permits.append(await gate.acquire()) }
        // 12 of 16 rejected at once: one halving of what was in flight (16 → 8), not twelve.
        for permit in permits.prefix(12) { await gate.release(permit, rateLimited: true) }
        #expect(await gate.currentLimit == 8)
        for permit in permits.suffix(4) { await gate.release(permit, rateLimited: false) }
        #expect(await gate.currentLimit == 8)
        // A request sent after the decrease that is rejected again halves again.
        let late = await gate.acquire()
        await gate.release(late, rateLimited: true)
        #expect(await gate.currentLimit == 1)  // only it was in flight: min(8, 1) / 2, at least 1
        let before = await gate.currentLimit
        for _ in 0..<(before * 4) {
            let permit = await gate.acquire()
            await gate.release(permit, rateLimited: false)
        }
        #expect(await gate.currentLimit > before)
    }

    @Test("without 429s the gate never limits below its ceiling")
    func neverBindsWithout429() async {
        let gate = RateLimitGate(ceiling: 32)
        var permits: [RateLimitGate.Permit] = []
        for _ in 0..<32 { permits.append(await gate.acquire()) }
        #expect(await gate.currentLimit == 32)
        for permit in permits { await gate.release(permit, rateLimited: false) }
        #expect(await gate.currentLimit == 32)
    }
}
