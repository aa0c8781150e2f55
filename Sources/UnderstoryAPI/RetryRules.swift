/// What one attempt of a request came to, as far as retrying is concerned.
enum AttemptOutcome: Sendable, Equatable {
    /// The server answered `status`; `retryAfter` is its `Retry-After` header, parsed (nil: absent or unreadable).
    case answered(status: Int, retryAfter: Duration?)
    /// No answer: the connection failed. `transient` if a retry may help (reset, refused, timed out).
    case unanswered(transient: Bool)
}

/// What a request has been through so far: the counters the retry rules read.
struct AttemptHistory: Sendable, Equatable {
    /// Attempts so far, the current one included (fetching a new token after a 401 is not an attempt).
    var attempts = 1
    /// 5xx answers and transport failures in a row (a 429 ends the row): the back-off's exponent.
    var failuresInARow = 0
    /// 429 answers to this request: the adaptive back-off's exponent.
    var rateLimitedInARow = 0
    /// A 401 already led to a fresh token (only one is fetched per request).
    var refreshedToken = false
    /// Time since the first attempt was sent (the time budget counts retries, not queueing).
    var elapsed: Duration = .zero
}

/// The step after an attempt.
enum NextStep: Sendable, Equatable {
    /// Hand the answer to the caller (2xx, or any final answer when the request takes error answers back).
    case accept
    /// 401: drop the token, fetch a new one and send again (once; not counted as an attempt).
    case refreshToken
    /// Wait this long, then send again.
    case retry(after: Duration)
    /// Stop with an error of this class.
    case fail(RequestFailure)
}

/// Why a request stopped, for the ``UnderstoryAPIError`` that reports it.
struct RequestFailure: Sendable, Equatable {
    var code: UnderstoryAPIError.Code
    /// The retries ran out (attempts or time) rather than the answer being final.
    var budgetSpent = false
    /// For `.rateLimited`: the wait the next retry would have needed.
    var retryAfter: Duration? = nil
}

/// The retry rules, as one pure function: given what an attempt came to and what the request has
/// been through, the next step. 429 waits `Retry-After`, else the configured wait (adaptive rate:
/// a brief back-off of 1 s doubling per 429, capped at that wait); 500/502/503/504 and transient
/// transport failures back off exponentially with full jitter (and at least a `Retry-After`); a
/// 401 fetches a new token once; everything else is final. No wait starts past ``RetryPolicy``'s
/// attempt or time budget. ``HTTPExecutor`` makes the attempts and follows the steps.
struct RetryRules: Sendable {
    var policy: RetryPolicy
    /// The wait after a 429 without `Retry-After` (with ``adaptiveRate``: the longest brief back-off).
    var rateLimitWait: Duration
    var adaptiveRate: Bool

    init(policy: RetryPolicy, rateLimitWait: Duration, adaptiveRate: Bool) {
        self.policy = policy
        self.rateLimitWait = rateLimitWait
        self.adaptiveRate = adaptiveRate
    }

    init(_ configuration: UnderstoryConfiguration) {
        self.init(policy: configuration.retry, rateLimitWait: configuration.rateLimitWait, adaptiveRate: configuration.adaptiveRate)
    }

    /// The next step after `outcome`, and the history the next attempt starts from.
    /// - Parameters:
    ///   - spec: the request (whether it carries a cursor, takes error answers back).
    ///   - canRefreshToken: the request is authorized by a token source that can fetch a new token.
    ///   - unitRandom: a number in `0..<1` for the back-off's jitter.
    func decide(
        _ outcome: AttemptOutcome, after history: AttemptHistory, for spec: RequestSpec, canRefreshToken: Bool, unitRandom: Double
    ) -> (step: NextStep, next: AttemptHistory) {
        var next = history
        switch outcome {
        case .unanswered(transient: false):
            return (.fail(RequestFailure(code: .unreachable)), next)
        case .unanswered(transient: true):
            next.failuresInARow += 1
            let wait = policy.backoff(failedAttempt: next.failuresInARow, unitRandom: unitRandom)
            return self.retry(after: wait, next, else: RequestFailure(code: .unreachable, budgetSpent: true))
        case .answered(let status, _) where (200..<300).contains(status):
            return (.accept, next)
        case .answered(401, _) where canRefreshToken && !history.refreshedToken:
            next.refreshedToken = true
            return (.refreshToken, next)
        case .answered(429, let retryAfter):
            next.rateLimitedInARow += 1
            next.failuresInARow = 0
            let brief = Duration.seconds(1) * (1 << min(next.rateLimitedInARow - 1, 16))
            let wait = retryAfter ?? (adaptiveRate ? min(brief, rateLimitWait) : rateLimitWait)
            return self.retry(after: wait, next, else: RequestFailure(code: .rateLimited, budgetSpent: true, retryAfter: wait))
        case .answered(500, let retryAfter), .answered(502, let retryAfter), .answered(503, let retryAfter),
            .answered(504, let retryAfter):
            next.failuresInARow += 1
            let backoff = policy.backoff(failedAttempt: next.failuresInARow, unitRandom: unitRandom)
            let wait = max(backoff, retryAfter ?? .zero)
            return self.retry(after: wait, next, else: RequestFailure(code: .retryBudgetExhausted, budgetSpent: true))
        case .answered(let status, _):
            if spec.returnsErrorResponses { return (.accept, next) }
            return (.fail(RequestFailure(code: Self.failureCode(status: status, carriesCursor: spec.carriesCursor))), next)
        }
    }

    /// `.retry(after: wait)` while the attempt and time budgets allow a wait that long, else `failure`.
    private func retry(
        after wait: Duration, _ next: AttemptHistory, else failure: RequestFailure
    ) -> (step: NextStep, next: AttemptHistory) {
        guard next.attempts < policy.maxAttempts, next.elapsed + wait <= policy.totalBudget else { return (.fail(failure), next) }
        var following = next
        following.attempts += 1
        return (.retry(after: wait), following)
    }

    /// The class of a final, non-2xx answer. Cursors are short-lived and the API's answer to an
    /// expired one is undocumented: any 400/404/410 to a request that carried a cursor is cursor
    /// loss, whatever its wording (the same request without a cursor was accepted a page earlier).
    static func failureCode(status: Int, carriesCursor: Bool) -> UnderstoryAPIError.Code {
        if carriesCursor, [400, 404, 410].contains(status) { return .cursorRejected }
        switch status {
        case 400, 422: return .badRequest
        case 401: return .authenticationFailed
        case 403: return .forbidden
        case 404, 410: return .notFound
        case 500..<600: return .serverError
        default: return .unexpectedStatus
        }
    }
}
