import Testing

@testable import UnderstorySimulator

@Suite("the simulator's rate limiter")
struct RateLimiterTests {
    @Test("the bucket: a burst, then R per second; a concurrency cap refuses the request over it")
    func bucket() {
        let limiter = RateLimiter(rate: 10, burst: 3, concurrency: 2)
        let start = ContinuousClock.now
        var bucket = RateLimiterBucket(tokens: limiter.burst, refilledAt: start)
        var burst: [Bool] = []
        for _ in 0..<4 { burst.append(bucket.admit(limiter, now: start)) }
        #expect(burst == [true, true, true, false])
        let refilled = bucket.admit(limiter, now: start + .milliseconds(100))
        #expect(refilled, "one token refilled after 1/R")
        let tooSoon = bucket.admit(limiter, now: start + .milliseconds(150))
        #expect(!tooSoon)
        bucket.inFlight = 2
        let overCap = bucket.admit(limiter, now: start + .seconds(5))
        #expect(!overCap, "the cap refuses even with tokens")
    }
}
