import Testing

@testable import UnderstoryAPI

/// The retry rules as a table: one row per answer class, each with the step it must lead to.
/// Back-off jitter is fixed at its top (unitRandom 1), so a back-off is its ceiling:
/// 1 s, 2 s, 4 s, … for 1, 2, 3, … failures in a row.
@Suite("Retry rules")
struct RetryRulesTests {
    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var outcome: AttemptOutcome
        var history = AttemptHistory()
        var carriesCursor = false
        var canRefreshToken = true
        var returnsErrorResponses = false
        var adaptiveRate = true
        var step: NextStep
        var testDescription: String { name }
    }

    static func answered(_ status: Int, retryAfter: Duration? = nil) -> AttemptOutcome {
        .answered(status: status, retryAfter: retryAfter)
    }

    static func history(attempts: Int = 1, failures: Int = 0, rateLimited: Int = 0, refreshed: Bool = false, elapsed: Duration = .zero)
        -> AttemptHistory
    {
        AttemptHistory(attempts: attempts, failuresInARow: failures, rateLimitedInARow: rateLimited, refreshedToken: refreshed, elapsed: elapsed)
    }

    static func fail(_ code: UnderstoryAPIError.Code, budgetSpent: Bool = false, retryAfter: Duration? = nil) -> NextStep {
        .fail(RequestFailure(code: code, budgetSpent: budgetSpent, retryAfter: retryAfter))
    }

    static let rows: [Row] = [
        Row(name: "200 is accepted", outcome: answered(200), step: .accept),
        Row(name: "204 is accepted", outcome: answered(204), step: .accept),
        Row(name: "401, first: a new token", outcome: answered(401), step: .refreshToken),
        Row(name: "401 after a new token: authentication failed", outcome: answered(401), history: history(refreshed: true), step: fail(.authenticationFailed)),
        Row(name: "401 without a token source: authentication failed", outcome: answered(401), canRefreshToken: false, step: fail(.authenticationFailed)),
        Row(name: "403: forbidden", outcome: answered(403), step: fail(.forbidden)),
        Row(name: "404 without cursor: not found", outcome: answered(404), step: fail(.notFound)),
        Row(name: "404 with cursor: cursor rejected", outcome: answered(404), carriesCursor: true, step: fail(.cursorRejected)),
        Row(name: "400 without cursor: bad request", outcome: answered(400), step: fail(.badRequest)),
        Row(name: "400 with cursor: cursor rejected", outcome: answered(400), carriesCursor: true, step: fail(.cursorRejected)),
        Row(name: "410 without cursor: not found", outcome: answered(410), step: fail(.notFound)),
        Row(name: "410 with cursor: cursor rejected", outcome: answered(410), carriesCursor: true, step: fail(.cursorRejected)),
        Row(name: "422: bad request", outcome: answered(422), step: fail(.badRequest)),
        Row(name: "302: unexpected status", outcome: answered(302), step: fail(.unexpectedStatus)),
        Row(name: "404 to a request that takes error answers: accepted", outcome: answered(404), returnsErrorResponses: true, step: .accept),
        Row(name: "429 with Retry-After: waits it", outcome: answered(429, retryAfter: .seconds(7)), step: .retry(after: .seconds(7))),
        Row(name: "429 without Retry-After, adaptive, first: 1 s", outcome: answered(429), step: .retry(after: .seconds(1))),
        Row(name: "429 without Retry-After, adaptive, third: 4 s", outcome: answered(429), history: history(rateLimited: 2), step: .retry(after: .seconds(4))),
        Row(name: "429 without Retry-After, adaptive: capped at the rate-limit wait", outcome: answered(429), history: history(rateLimited: 6), step: .retry(after: .seconds(10))),
        Row(name: "429 without Retry-After, adaptive off: the rate-limit wait", outcome: answered(429), adaptiveRate: false, step: .retry(after: .seconds(10))),
        Row(name: "429, attempts spent: rate limited", outcome: answered(429, retryAfter: .seconds(7)), history: history(attempts: 4), step: fail(.rateLimited, budgetSpent: true, retryAfter: .seconds(7))),
        Row(name: "429, time spent: rate limited", outcome: answered(429, retryAfter: .seconds(7)), history: history(elapsed: .seconds(55)), step: fail(.rateLimited, budgetSpent: true, retryAfter: .seconds(7))),
        Row(name: "500, first: back-off 1 s", outcome: answered(500), step: .retry(after: .seconds(1))),
        Row(name: "502, third in a row: back-off 4 s", outcome: answered(502), history: history(failures: 2), step: .retry(after: .seconds(4))),
        Row(name: "503 with a longer Retry-After: waits it", outcome: answered(503, retryAfter: .seconds(9)), step: .retry(after: .seconds(9))),
        Row(name: "504 with a shorter Retry-After: the back-off", outcome: answered(504, retryAfter: .zero), history: history(failures: 1), step: .retry(after: .seconds(2))),
        Row(name: "501: server error, not retried", outcome: answered(501), step: fail(.serverError)),
        Row(name: "500, attempts spent: retry budget exhausted", outcome: answered(500), history: history(attempts: 4), step: fail(.retryBudgetExhausted, budgetSpent: true)),
        Row(name: "500, time spent: retry budget exhausted", outcome: answered(500), history: history(elapsed: .milliseconds(59_500)), step: fail(.retryBudgetExhausted, budgetSpent: true)),
        Row(name: "transient transport failure: back-off", outcome: .unanswered(transient: true), history: history(failures: 1), step: .retry(after: .seconds(2))),
        Row(name: "transient transport failure, attempts spent: unreachable", outcome: .unanswered(transient: true), history: history(attempts: 4), step: fail(.unreachable, budgetSpent: true)),
        Row(name: "lasting transport failure: unreachable at once", outcome: .unanswered(transient: false), step: fail(.unreachable)),
    ]

    static func decide(_ row: Row) -> (step: NextStep, next: AttemptHistory) {
        let rules = RetryRules(
            policy: RetryPolicy(maxAttempts: 4, totalBudget: .seconds(60), baseDelay: .seconds(1), maxDelay: .seconds(30)),
            rateLimitWait: .seconds(10), adaptiveRate: row.adaptiveRate
        )
        var spec = RequestSpec(url: "http://127.0.0.1/v1/orders", path: "/v1/orders")
        spec.carriesCursor = row.carriesCursor
        spec.returnsErrorResponses = row.returnsErrorResponses
        return rules.decide(row.outcome, after: row.history, for: spec, canRefreshToken: row.canRefreshToken, unitRandom: 1)
    }

    @Test("each answer leads to its step", arguments: rows)
    func step(row: Row) {
        #expect(Self.decide(row).step == row.step)
    }

    @Test("a retry counts an attempt; a new token does not")
    func attemptsCounted() {
        let retried = Self.decide(Row(name: "", outcome: Self.answered(503), step: .accept)).next
        #expect(retried.attempts == 2 && retried.failuresInARow == 1)
        let refreshed = Self.decide(Row(name: "", outcome: Self.answered(401), step: .accept)).next
        #expect(refreshed.attempts == 1 && refreshed.refreshedToken)
    }

    @Test("a 429 ends a row of failures, so the next 5xx backs off from the start")
    func rateLimitEndsFailureRow() {
        let next = Self.decide(Row(name: "", outcome: Self.answered(429), history: Self.history(failures: 3), step: .accept)).next
        #expect(next.failuresInARow == 0 && next.rateLimitedInARow == 1)
    }
}
