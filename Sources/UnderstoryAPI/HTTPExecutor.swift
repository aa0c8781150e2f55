import AsyncHTTPClient
import Foundation
import Logging
import NIOCore

/// One HTTP request as the client wants it sent.
struct RequestSpec: Sendable {
    /// `POST` (the token request) instead of `GET`.
    var isPOST = false
    /// `DELETE` (webhook subscriptions).
    var isDELETE = false
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

/// Sends requests through the injected `HTTPClient` with the retry policy: 429 waits
/// `Retry-After` or the configured wait; 500/502/503/504 and transient transport failures back off
/// exponentially with full jitter; 401 refreshes the token once; everything else is mapped to an
/// ``UnderstoryAPIError`` at once.
struct HTTPExecutor: Sendable {
    let configuration: UnderstoryConfiguration
    let httpClient: HTTPClient
    let clock: UnderstoryClock
    let statistics: StatisticsBox
    /// Shared by every API request of the client (not by token requests): backs off together after 429s.
    let gate: RateLimitGate

    func send(_ spec: RequestSpec, tokens: TokenSource?, logger: Logger) async throws -> HTTPResponseData {
        var logger = logger
        logger[metadataKey: "path"] = "\(spec.path)"
        if let resource = spec.resource { logger[metadataKey: "resource"] = "\(resource)" }
        if let page = spec.page { logger[metadataKey: "page"] = "\(page)" }

        let policy = configuration.retry
        var started: ContinuousClock.Instant?  // the first send (after its turn): the budget counts retries, not queueing
        var attempt = 0
        var failuresInARow = 0
        var rateLimitedInARow = 0
        var refreshedAfter401 = false

        func mayRetry(after wait: Duration) -> Bool {
            attempt < policy.maxAttempts && (clock.now() - (started ?? clock.now())) + wait <= policy.totalBudget
        }

        func pause(_ wait: Duration, reason: String) async throws {
            statistics.update {
                $0.retries += 1
                $0.waited += wait
            }
            logger.notice(
                "retrying request",
                metadata: ["reason": "\(reason)", "attempt": "\(attempt)", "wait": "\(UnderstoryAPIError.format(wait))"]
            )
            try await clock.sleep(wait)
        }

        while true {
            attempt += 1
            var request = HTTPClientRequest(url: spec.url)
            if spec.isPOST { request.method = .POST }
            if spec.isDELETE { request.method = .DELETE }
            request.headers.add(name: "User-Agent", value: configuration.userAgent)
            request.headers.add(name: "Accept", value: "application/json")
            for (name, value) in spec.headers { request.headers.add(name: name, value: value) }
            if let body = spec.body { request.body = .bytes(body) }

            // The turn by the pace and the in-flight permit come before the token, so a token is
            // never fetched and then left to age while the request waits.
            if spec.authorized {
                let wait = await gate.turn(now: clock.now())
                if wait > .zero { try await clock.sleep(wait) }
            }
            let permit = spec.authorized ? await gate.acquire() : nil
            if started == nil { started = clock.now() }
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

            let response: HTTPResponseData
            do {
                let head = try await httpClient.execute(
                    request,
                    deadline: .now() + TimeAmount(configuration.timeouts.request),
                    logger: logger
                )
                let body = try await head.body.collect(upTo: configuration.maxResponseBytes)
                response = HTTPResponseData(
                    status: Int(head.status.code),
                    retryAfter: head.headers.first(name: "Retry-After"),
                    body: body
                )
                if let permit { await gate.release(permit, rateLimited: response.status == 429, now: clock.now()) }
            } catch {
                if let permit { await gate.forfeit(permit) }
                if Self.isCancellation(error) { throw CancellationError() }
                if error is NIOTooManyBytesError {
                    throw UnderstoryAPIError(
                        code: .invalidResponse, path: spec.path, attempts: attempt, resource: spec.resource, page: spec.page,
                        detail: "response body larger than \(configuration.maxResponseBytes) bytes"
                    )
                }
                statistics.update { $0.transportErrors += 1 }
                guard Self.isTransient(error) else {
                    throw UnderstoryAPIError(
                        code: .unreachable, path: spec.path, attempts: attempt, resource: spec.resource, page: spec.page,
                        underlying: error
                    )
                }
                failuresInARow += 1
                let wait = policy.backoff(failedAttempt: failuresInARow, unitRandom: Double.random(in: 0..<1))
                guard mayRetry(after: wait) else {
                    throw UnderstoryAPIError(
                        code: .unreachable, path: spec.path, attempts: attempt, resource: spec.resource, page: spec.page,
                        detail: "retry budget exhausted", underlying: error
                    )
                }
                try await pause(wait, reason: "\(error)")
                continue
            }

            statistics.update {
                $0.requests += 1
                $0.bytes += response.body.readableBytes
            }
            logger.debug("response", metadata: ["status": "\(response.status)", "attempt": "\(attempt)"])

            switch response.status {
            case 200..<300:
                return response

            case 401 where spec.authorized && tokens != nil && !refreshedAfter401:
                refreshedAfter401 = true
                statistics.update { $0.unauthorizedRefreshes += 1 }
                if let token, let tokens { await tokens.invalidate(token) }
                logger.info("token rejected with 401; fetching a new one and retrying once")
                attempt -= 1  // a refresh is not a retry of the budget
                continue

            case 429:
                statistics.update { $0.rateLimited += 1 }
                let retryAfter = response.retryAfter.flatMap {
                    RetryAfter.parse($0, now: clock.wallClock())
                }
                // Without Retry-After the gate's pace does the waiting: back off briefly (1 s,
                // doubling per 429 in a row of this request), never longer than rateLimitWait.
                rateLimitedInARow += 1
                let brief = Duration.seconds(1) * (1 << min(rateLimitedInARow - 1, 16))
                let wait = retryAfter ?? (configuration.adaptiveRate ? min(brief, configuration.rateLimitWait) : configuration.rateLimitWait)
                guard mayRetry(after: wait) else {
                    var error = mapError(response, spec: spec, attempts: attempt, code: .rateLimited)
                    error.retryAfter = wait
                    throw error
                }
                try await pause(wait, reason: "429 Too Many Requests")
                failuresInARow = 0

            case 500, 502, 503, 504:
                statistics.update { $0.serverErrors += 1 }
                failuresInARow += 1
                var wait = policy.backoff(failedAttempt: failuresInARow, unitRandom: Double.random(in: 0..<1))
                if let retryAfter = response.retryAfter.flatMap({
                    RetryAfter.parse($0, now: clock.wallClock())
                }) {
                    wait = max(wait, retryAfter)
                }
                guard mayRetry(after: wait) else {
                    throw mapError(response, spec: spec, attempts: attempt, code: .retryBudgetExhausted)
                }
                try await pause(wait, reason: "\(response.status)")

            default:
                if spec.returnsErrorResponses { return response }
                throw mapError(response, spec: spec, attempts: attempt, code: nil)
            }
        }
    }

    /// Maps a final error response to an ``UnderstoryAPIError`` (with `code` forced if given).
    func mapError(_ response: HTTPResponseData, spec: RequestSpec, attempts: Int, code forced: UnderstoryAPIError.Code?) -> UnderstoryAPIError {
        let body = APIErrorBody.parse(response.body)
        let status = response.status
        var error = UnderstoryAPIError(
            code: forced ?? .unexpectedStatus, status: status, path: spec.path,
            apiCode: body.code, apiMessage: body.message, attempts: attempts, resource: spec.resource, page: spec.page
        )
        // Cursors are short-lived and the API's answer to an expired one is undocumented: any
        // 400/404/410 to a request that carried a cursor is cursor loss, whatever its wording
        // (the same request without a cursor was accepted a page earlier).
        if forced == nil, spec.carriesCursor, [400, 404, 410].contains(status) {
            error.code = .cursorRejected
        } else if forced == nil {
            switch status {
            case 400, 422:
                error.code = .badRequest
            case 401:
                error.code = .authenticationFailed
                error.detail = "the API answered 401 to a freshly issued token"
                // Understory answers UNAUTHORIZED for a missing scope as well as for a bad token:
                // name the scope the endpoint needs, so the message can point at it.
                if spec.authorized { error.requiredScope = spec.requiredScope }
            case 403:
                error.code = .forbidden
                error.requiredScope = spec.requiredScope
            case 404, 410:
                error.code = .notFound
            case 500..<600:
                error.code = .serverError
            default:
                error.code = .unexpectedStatus
            }
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
