import Hummingbird

/// The faults every `/v1` request meets before its route (``SimulatorFaults``): the rate limiter
/// and the every-Nth 429, the concurrency limit, an outage, random 5xx, a data mutation every N
/// requests, holds, latency and path faults. Lets the request through with the faults of the
/// moment in ``SimulatorRequestContext/faults``.
struct APIAdmission: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator

    /// What the faults decided for one request.
    private struct Admission {
        var faults: SimulatorFaults
        var rateLimited = false
        var serverError: HTTPResponse.Status?
        var mutation: MutationBatch?
        /// The client whose token bucket counts this request in flight.
        var bucketClient: String?
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let simulator = self.simulator
        let presented = request.bearerToken
        let admission = self.admit(presented: presented)
        defer {
            simulator.runtime.withLock { runtime in
                runtime.inFlight -= 1
                if let client = admission.bucketClient { runtime.buckets[client]?.inFlight -= 1 }
            }
        }
        let path = request.uri.path
        await simulator.waitWhileHeld(path: path)
        if admission.faults.latency > .zero {
            try? await simulator.configuration.clock.sleep(for: admission.faults.latency)
        }
        if let batch = admission.mutation {
            // The company of the presented token (if any) is the one whose data moves.
            let company = presented.flatMap { presented in simulator.runtime.withLock { $0.tokens[presented]?.company } } ?? 0
            _ = simulator.companies[company].store.withLock { $0.mutate(batch) }
        }
        if admission.rateLimited {
            var response = Reply.error(.tooManyRequests, "TOO_MANY_REQUESTS", "rate limit exceeded; back off before retrying")
            if let seconds = admission.faults.retryAfterSeconds {
                response.headers[.retryAfter] = String(seconds)
            }
            return response
        }
        if let status = admission.serverError {
            return Reply.error(status, "INTERNAL_SERVER_ERROR", "injected server error")
        }
        if let response = simulator.injectedPathFault(path, faults: admission.faults) { return response }
        var context = context
        context.faults = admission.faults
        return try await next(request, context)
    }

    /// Counts the request in and rolls its faults (under the runtime lock, in arrival order).
    private func admit(presented: String?) -> Admission {
        let arrived = self.simulator.now
        return self.simulator.runtime.withLock { runtime -> Admission in
            runtime.apiRequests += 1
            runtime.inFlight += 1
            let n = runtime.apiRequests
            var admission = Admission(faults: runtime.faults)
            if let limiter = runtime.faults.rateLimiter {
                let client = presented.flatMap { runtime.tokens[$0]?.clientID } ?? "anonymous"
                var bucket = runtime.buckets[client] ?? RateLimiterBucket(tokens: limiter.burst, refilledAt: arrived)
                if bucket.admit(limiter, now: arrived) {
                    bucket.inFlight += 1
                    admission.bucketClient = client
                } else {
                    admission.rateLimited = true
                }
                runtime.buckets[client] = bucket
            }
            if let every = runtime.faults.rateLimitEveryN, every > 0, n % every == 0 { admission.rateLimited = true }
            if let limit = runtime.faults.maxConcurrentRequests, runtime.inFlight > limit { admission.rateLimited = true }
            if let after = runtime.faults.outageAfterRequests, n > after { admission.serverError = .serviceUnavailable }
            let roll = runtime.faultRandom.unit()
            let statuses: [HTTPResponse.Status] = [.internalServerError, .badGateway, .serviceUnavailable, .gatewayTimeout]
            let pick = statuses[runtime.faultRandom.below(statuses.count)]
            if roll < runtime.faults.errorRate { admission.serverError = pick }
            if let every = runtime.faults.mutateEveryNRequests, every > 0, n % every == 0 {
                admission.mutation = runtime.faults.mutationBatch
            }
            return admission
        }
    }
}

/// Holds the answer to a `/v1` request while ``Simulator/holdAnswers(path:passing:count:)`` says so
/// (made at once, sent at the release). Outside ``APIAdmission``, so the request no longer counts
/// as in flight while its answer waits.
struct AnswerHolding: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        await self.simulator.waitWhileAnswerHeld(path: request.uri.path)
        return response
    }
}
