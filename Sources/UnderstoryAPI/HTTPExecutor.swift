import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import TimeSource

/// One HTTP request as the client wants it sent.
struct RequestSpec: Sendable {
    /// `GET` (reads), `POST` (the token request, creating a webhook subscription) or `DELETE`.
    var method: HTTPMethod = .GET
    /// Absolute URL including the query string.
    var url: String
    /// The path without query (for errors and logs): never contains a secret or a token.
    var path: String
    var headers: [(String, String)] = []
    var body: ByteBuffer?
    var resource: String?
    var page: Int?
    /// The request carries a `cursor` (so a 400/404/410 mentioning "cursor" means the cursor was rejected).
    var carriesCursor = false
    /// The scope the endpoint needs (named in a 403 error).
    var requiredScope: String?
    /// Send `Authorization: Bearer` from the token source (and refresh once on 401).
    var authorized = true
    /// Hand non-retryable error responses back to the caller instead of mapping them (token endpoint).
    var returnsErrorResponses = false
}

struct HTTPResponseData: Sendable {
    var status: Int
    /// The `Retry-After` header, if any.
    var retryAfter: String?
    var body: ByteBuffer
}

/// Sends requests through the injected `HTTPClient`: one attempt at a time, each followed by the
/// step ``RetryRules`` decides (accept, fetch a new token, wait and retry, or fail with an
/// ``UnderstoryAPIError``).
struct HTTPExecutor: Sendable {
    let configuration: UnderstoryConfiguration
    let httpClient: HTTPClient
    let clock: any TimeSource
    let statistics: StatisticsBox
    /// Shared by every API request of the client (not by token requests): backs off together after 429s.
    let gate: RateLimitGate

    /// What one attempt got: an answer or the transport error, and the token it presented.
    private struct Attempt {
        var answer: Result<HTTPResponseData, any Error>
        var token: AccessToken?
    }

    func send(_ spec: RequestSpec, tokens: TokenSource?, logger: Logger) async throws -> HTTPResponseData {
        var logger = logger
        logger[metadataKey: "path"] = "\(spec.path)"
        if let resource = spec.resource { logger[metadataKey: "resource"] = "\(resource)" }
        if let page = spec.page { logger[metadataKey: "page"] = "\(page)" }

        let rules = RetryRules(configuration)
        var history = AttemptHistory()
        var started: ContinuousClock.Instant?  // the first send (after its turn): the budget counts retries, not queueing
        while true {
            let attempt = try await self.attempt(spec, number: history.attempts, tokens: tokens, started: &started, logger: logger)
            let outcome = self.outcome(of: attempt.answer, attempt: history.attempts, logger: logger)
            history.elapsed = clock.now - (started ?? clock.now)
            let (step, next) = rules.decide(
                outcome, after: history, for: spec, canRefreshToken: spec.authorized && tokens != nil,
                unitRandom: Double.random(in: 0..<1)
            )
            switch (step, attempt.answer) {
            case (.accept, .success(let response)):
                return response
            case (.refreshToken, _):
                statistics.update { $0.unauthorizedRefreshes += 1 }
                if let token = attempt.token, let tokens { await tokens.invalidate(token) }
                logger.info("token rejected with 401; fetching a new one and retrying once")
            case (.retry(let wait), let answer):
                try await pause(wait, reason: Self.reason(answer), attempt: history.attempts, logger: logger)
            case (.fail(let failure), .success(let response)):
                var error = mapError(response, spec: spec, attempts: history.attempts, code: failure.code)
                error.retryAfter = failure.retryAfter
                throw error
            case (.fail(let failure), .failure(let underlying)):
                throw UnderstoryAPIError(
                    code: failure.code, path: spec.path, attempts: history.attempts, resource: spec.resource, page: spec.page,
                    detail: failure.budgetSpent ? "retry budget exhausted" : nil, underlying: underlying
                )
            case (.accept, .failure(let error)):
                throw error  // never decided: an unanswered attempt is retried or fails
            }
            history = next
        }
    }

    /// Sends `spec` once: waits for its turn and an in-flight permit (API requests), presents the
    /// current token, and collects the answer. Transport failures come back as the answer;
    /// cancellation, an oversized body and a failing token source are thrown.
    private func attempt(
        _ spec: RequestSpec, number: Int, tokens: TokenSource?, started: inout ContinuousClock.Instant?, logger: Logger
    ) async throws -> Attempt {
        var request = HTTPClientRequest(url: spec.url)
        request.method = spec.method
        request.headers.add(name: "User-Agent", value: configuration.userAgent)
        request.headers.add(name: "Accept", value: "application/json")
        for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
        if let body = spec.body { request.body = .bytes(body) }

        // The turn by the pace and the in-flight permit come before the token, so a token is
        // never fetched and then left to age while the request waits.
        if spec.authorized { try await gate.waitForTurn(on: clock) }
        let permit = spec.authorized ? await gate.acquire() : nil
        if started == nil { started = clock.now }
        var token: AccessToken?
        if spec.authorized, let tokens {
            let current: AccessToken
            do {
                current = try await tokens.token(logger: logger)
            } catch {
                if let permit { await gate.forfeit(permit) }
                throw error
            }
            token = current
            request.headers.add(name: "Authorization", value: "Bearer \(current.value)")
        }

        do {
            let head = try await httpClient.execute(request, deadline: .now() + TimeAmount(configuration.timeouts.request), logger: logger)
            let body = try await head.body.collect(upTo: configuration.maxResponseBytes)
            let response = HTTPResponseData(status: Int(head.status.code), retryAfter: head.headers.first(name: "Retry-After"), body: body)
            if let permit { await gate.release(permit, rateLimited: response.status == 429, now: clock.now) }
            return Attempt(answer: .success(response), token: token)
        } catch {
            if let permit { await gate.forfeit(permit) }
            if Self.isCancellation(error) { throw CancellationError() }
            if error is NIOTooManyBytesError {
                throw UnderstoryAPIError(
                    code: .invalidResponse, path: spec.path, attempts: number, resource: spec.resource, page: spec.page,
                    detail: "response body larger than \(configuration.maxResponseBytes) bytes"
                )
            }
            return Attempt(answer: .failure(error), token: token)
        }
    }

    /// The attempt as the retry rules see it, counted in the statistics.
    private func outcome(of answer: Result<HTTPResponseData, any Error>, attempt: Int, logger: Logger) -> AttemptOutcome {
        switch answer {
        case .failure(let error):
            statistics.update { $0.transportErrors += 1 }
            return .unanswered(transient: Self.isTransient(error))
        case .success(let response):
            statistics.update {
                $0.requests += 1
                $0.bytes += response.body.readableBytes
                if response.status == 429 { $0.rateLimited += 1 }
                if [500, 502, 503, 504].contains(response.status) { $0.serverErrors += 1 }
            }
            logger.debug("response", metadata: ["status": "\(response.status)", "attempt": "\(attempt)"])
            let retryAfter = response.retryAfter.flatMap { RetryAfter.parse($0, now: clock.wallNow) }
            return .answered(status: response.status, retryAfter: retryAfter)
        }
    }

    private func pause(_ wait: Duration, reason: String, attempt: Int, logger: Logger) async throws {
        statistics.update {
            $0.retries += 1
            $0.waited += wait
        }
        logger.notice(
            "retrying request",
            metadata: ["reason": "\(reason)", "attempt": "\(attempt)", "wait": "\(UnderstoryAPIError.format(wait))"]
        )
        try await clock.sleep(for: wait)
    }

    /// Why an attempt is retried, for the log.
    private static func reason(_ answer: Result<HTTPResponseData, any Error>) -> String {
        switch answer {
        case .success(let response): return response.status == 429 ? "429 Too Many Requests" : "\(response.status)"
        case .failure(let error): return "\(error)"
        }
    }

    /// Maps a final error response to an ``UnderstoryAPIError`` of the class ``RetryRules`` gives its status.
    func mapError(_ response: HTTPResponseData, spec: RequestSpec, attempts: Int) -> UnderstoryAPIError {
        let code = RetryRules.failureCode(status: response.status, carriesCursor: spec.carriesCursor)
        return self.mapError(response, spec: spec, attempts: attempts, code: code)
    }

    /// Maps a final error response to an ``UnderstoryAPIError`` of class `code`, with the API's own
    /// code and message and, for 401 and 403, the scope the endpoint needs.
    func mapError(_ response: HTTPResponseData, spec: RequestSpec, attempts: Int, code: UnderstoryAPIError.Code) -> UnderstoryAPIError {
        let body = APIErrorBody.parse(response.body)
        var error = UnderstoryAPIError(
            code: code, status: response.status, path: spec.path,
            apiCode: body.code, apiMessage: body.message, attempts: attempts, resource: spec.resource, page: spec.page
        )
        if code == .authenticationFailed {
            error.detail = "the API answered 401 to a freshly issued token"
            // Understory answers UNAUTHORIZED for a missing scope as well as for a bad token:
            // name the scope the endpoint needs, so the message can point at it.
            if spec.authorized { error.requiredScope = spec.requiredScope }
        } else if code == .forbidden {
            error.requiredScope = spec.requiredScope
        }
        return error.scrubbing(configuration.clientSecret.revealed)
    }

    static func isCancellation(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let error = error as? HTTPClientError, error == .cancelled { return true }
        return false
    }

    /// Whether a transport failure may go away by itself (reset, refused, timeout, closed), as
    /// opposed to a configuration or protocol problem that a retry cannot fix.
    static func isTransient(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError {
            let transient: [HTTPClientError] = [
                .readTimeout, .writeTimeout, .remoteConnectionClosed, .connectTimeout, .deadlineExceeded,
                .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout,
                .httpProxyHandshakeTimeout, .uncleanShutdown, .bodyLengthMismatch,
            ]
            return transient.contains(error)
        }
        if error is IOError { return true }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout, .ioOnClosedChannel, .alreadyClosed, .eof, .outputClosed, .inputClosed:
                return true
            default:
                return false
            }
        }
        // NIOPosix's connection errors (refused, unreachable) without importing NIOPosix.
        let typeName = String(reflecting: type(of: error))
        return typeName.contains("NIOConnectionError") || typeName.contains("SingleConnectionFailure")
    }
}

/// `{"code","message"}` (API) or `{"error","error_description"}` (OAuth). Tolerant of anything.
struct APIErrorBody: Decodable {
    var code: String?
    var message: String?

    enum CodingKeys: String, CodingKey {
        case code, message, error
        case errorDescription = "error_description"
    }

    init(code: String? = nil, message: String? = nil) {
        self.code = code
        self.message = message
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        code = container.decodeLeniently(String.self, forKey: .code) ?? container.decodeLeniently(String.self, forKey: .error)
        message = container.decodeLeniently(String.self, forKey: .message)
            ?? container.decodeLeniently(String.self, forKey: .errorDescription)
    }

    static func parse(_ body: ByteBuffer) -> APIErrorBody {
        guard body.readableBytes > 0, body.readableBytes < 1 << 20,
            var parsed = try? JSONDecoder().decode(APIErrorBody.self, from: Data(body.readableBytesView))
        else {
            return APIErrorBody()
        }
        if let message = parsed.message, message.count > 500 { parsed.message = String(message.prefix(500)) + "…" }
        return parsed
    }
}
