import Foundation
import Testing

@testable import UnderstoryAPI

@Suite("Retry-After and back-off")
struct RetryTests {
    let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT

    @Test("Retry-After delta-seconds")
    func deltaSeconds() {
        #expect(RetryAfter.parse("1", now: now) == .seconds(1))
        #expect(RetryAfter.parse(" 120 ", now: now) == .seconds(120))
        #expect(RetryAfter.parse("0", now: now) == .zero)
    }

    @Test("Retry-After HTTP-date in all three formats, relative to now")
    func httpDates() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:50:07 GMT", now: now) == .seconds(30))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:47 GMT", now: now) == .seconds(10))
        #expect(RetryAfter.parse("Sun Nov  6 08:49:39 1994", now: now) == .seconds(2))
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:00:00 GMT", now: now) == .zero)
    }

    @Test("unparseable Retry-After falls back (nil)", arguments: ["", "soon", "-5", "1.5", "Sun, 06 Nov 1994 25:00:00 GMT"])
    func garbage(value: String) {
        #expect(RetryAfter.parse(value, now: now) == nil)
    }

    @Test("back-off ceilings double per attempt and cap; full jitter scales them")
    func backoff() {
        let base = Duration.milliseconds(500)
        let cap = Duration.seconds(30)
        #expect(RetryPolicy.backoff(failedAttempt: 1, base: base, cap: cap, unitRandom: 1) == .milliseconds(500))
        #expect(RetryPolicy.backoff(failedAttempt: 2, base: base, cap: cap, unitRandom: 1) == .seconds(1))
        #expect(RetryPolicy.backoff(failedAttempt: 5, base: base, cap: cap, unitRandom: 1) == .seconds(8))
        #expect(RetryPolicy.backoff(failedAttempt: 7, base: base, cap: cap, unitRandom: 1) == .seconds(30))
        #expect(RetryPolicy.backoff(failedAttempt: 5, base: base, cap: cap, unitRandom: 0.5) == .seconds(4))
        #expect(RetryPolicy.backoff(failedAttempt: 3, base: base, cap: cap, unitRandom: 0) == .zero)
    }

    @Test("back-off never overflows and clamps bad inputs")
    func backoffExtremes() {
        let cap = Duration.seconds(30)
        #expect(RetryPolicy.backoff(failedAttempt: 10_000, base: .seconds(1), cap: cap, unitRandom: 1) == cap)
        #expect(RetryPolicy.backoff(failedAttempt: Int.max, base: .seconds(1), cap: cap, unitRandom: 0.999) <= cap)
        #expect(RetryPolicy.backoff(failedAttempt: 0, base: .seconds(1), cap: cap, unitRandom: 1) == .seconds(1))
        #expect(RetryPolicy.backoff(failedAttempt: -3, base: .seconds(1), cap: cap, unitRandom: 7) == .seconds(1))
        #expect(RetryPolicy.backoff(failedAttempt: 2, base: .seconds(1), cap: cap, unitRandom: .nan) == .zero)
    }

    @Test("back-off with random jitter stays within the ceiling")
    func backoffRandom() {
        let policy = RetryPolicy()
        for attempt in 1...20 {
            let ceiling = min(Duration.seconds(30), .milliseconds(500) * (1 << min(attempt - 1, 20)))
            let delay = policy.backoff(failedAttempt: attempt, unitRandom: Double.random(in: 0..<1))
            #expect(delay >= .zero && delay <= ceiling)
        }
    }

    @Test("token refresh margin is min(5 min, 10 % of lifetime)")
    func refreshMargin() {
        #expect(AccessToken.refreshMargin(lifetime: .seconds(3600)) == .seconds(300))
        #expect(AccessToken.refreshMargin(lifetime: .seconds(600)) == .seconds(60))
        #expect(AccessToken.refreshMargin(lifetime: .seconds(2)) == .milliseconds(200))
    }
}
