import Foundation

/// The one error type of the `UnderstoryAPI` layer, shaped like postgres-nio's `PSQLError`:
/// an extensible ``Code`` plus whatever context is known.
///
/// `description` is one line for a CLI's stderr; `debugDescription` (`String(reflecting:)`) adds
/// every field and the underlying error. Neither ever contains the client secret or a token:
/// server-provided text is scrubbed of the secret before it is stored.
public struct UnderstoryAPIError: Error, Sendable {
    /// What went wrong, by class. New codes may be added; switch with a `default`.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        enum Base: String, Sendable, Hashable {
            case missingConfiguration
            case invalidConfiguration
            case authenticationFailed
            case forbidden
            case notFound
            case badRequest
            case rateLimited
            case serverError
            case unreachable
            case retryBudgetExhausted
            case cursorRejected
            case cursorLoop
            case invalidResponse
            case unexpectedStatus
            case reconnectRequired
            case authorizationFailed
        }

        let base: Base

        private init(_ base: Base) { self.base = base }

        /// A required setting (client id / secret) is absent. Not retried.
        public static let missingConfiguration = Self(.missingConfiguration)
        /// A setting is malformed (URL, wait). Not retried.
        public static let invalidConfiguration = Self(.invalidConfiguration)
        /// The token endpoint refused the credentials (`invalid_client`), or the API answered 401 to a
        /// freshly fetched token. Not retried (beyond the one 401 refresh).
        public static let authenticationFailed = Self(.authenticationFailed)
        /// 403: the key lacks the scope the endpoint needs (``UnderstoryAPIError/requiredScope``), or
        /// the token endpoint refused the requested scopes (`invalid_scope`). Not retried.
        public static let forbidden = Self(.forbidden)
        /// 404 (or 410) on a single resource. Not retried.
        public static let notFound = Self(.notFound)
        /// 400: the API rejected the request (bad limit/sort/timestamp); carries `code`/`message`. Not retried.
        public static let badRequest = Self(.badRequest)
        /// 429s until the retry budget (attempts or time) ran out.
        public static let rateLimited = Self(.rateLimited)
        /// A 5xx that is not retried (501, 505, …).
        public static let serverError = Self(.serverError)
        /// The server could not be reached (refused, reset, timed out, TLS, DNS) — after retries when
        /// the failure was transient.
        public static let unreachable = Self(.unreachable)
        /// 500/502/503/504 until the retry budget (attempts or time) ran out.
        public static let retryBudgetExhausted = Self(.retryBudgetExhausted)
        /// The API rejected an expired/unknown cursor: restart the traversal from the first page.
        public static let cursorRejected = Self(.cursorRejected)
        /// The API returned a cursor that was already used in this traversal.
        public static let cursorLoop = Self(.cursorLoop)
        /// A body that is not the JSON expected (names resource, item id and field).
        public static let invalidResponse = Self(.invalidResponse)
        /// Any other status (3xx, 405, 409, …). Not retried.
        public static let unexpectedStatus = Self(.unexpectedStatus)
        /// The token endpoint rejected a connected account's refresh token (`invalid_grant`): the
        /// customer revoked consent, or the token was used twice. Connect the account again.
        public static let reconnectRequired = Self(.reconnectRequired)
        /// The authorization-code flow did not complete: the user denied access, the redirect's
        /// `state` did not match, or the code was rejected.
        public static let authorizationFailed = Self(.authorizationFailed)

        public var description: String { base.rawValue }
    }

    public var code: Code
    /// HTTP status of the (last) response, when there was one.
    public var status: Int?
    /// `METHOD /path` of the request, without query string.
    public var path: String?
    /// The API's machine-readable `code` (or OAuth `error`).
    public var apiCode: String?
    /// The API's `message` (or OAuth `error_description`), with the secret scrubbed.
    public var apiMessage: String?
    /// The wait the server asked for with `Retry-After` (429/503), if any.
    public var retryAfter: Duration?
    /// Attempts made for this request (1 = no retry).
    public var attempts: Int?
    /// The resource being read (`orders`, `bookings`, …).
    public var resource: String?
    /// Page number (1-based) within a traversal.
    public var page: Int?
    /// The `id` of the item that failed to decode, when it could be read.
    public var itemID: String?
    /// The coding path of the missing or bad field (`customer.address.city`, `sessions[0].start_time`).
    public var field: String?
    /// For 403 (and a 401 after a fresh token, which Understory also answers for a missing scope): the scope the endpoint needs.
    public var requiredScope: String?
    /// For configuration errors: the environment variable concerned.
    public var variable: String?
    /// Free text completing the one-line description.
    public var detail: String?
    /// The error that caused this one (transport error, `DecodingError`, …).
    public var underlying: (any Error)?
    public var file: String
    public var line: Int

    public init(
        code: Code,
        status: Int? = nil,
        path: String? = nil,
        apiCode: String? = nil,
        apiMessage: String? = nil,
        retryAfter: Duration? = nil,
        attempts: Int? = nil,
        resource: String? = nil,
        page: Int? = nil,
        itemID: String? = nil,
        field: String? = nil,
        requiredScope: String? = nil,
        variable: String? = nil,
        detail: String? = nil,
        underlying: (any Error)? = nil,
        file: String = #fileID,
        line: Int = #line
    ) {
        self.code = code
        self.status = status
        self.path = path
        self.apiCode = apiCode
        self.apiMessage = apiMessage
        self.retryAfter = retryAfter
        self.attempts = attempts
        self.resource = resource
        self.page = page
        self.itemID = itemID
        self.field = field
        self.requiredScope = requiredScope
        self.variable = variable
        self.detail = detail
        self.underlying = underlying
        self.file = file
        self.line = line
    }

    static func missingConfiguration(variable: String, hint: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .missingConfiguration, variable: variable, detail: hint, file: file, line: line)
    }

    static func invalidConfiguration(variable: String, detail: String, file: String = #fileID, line: Int = #line) -> Self {
        Self(code: .invalidConfiguration, variable: variable, detail: detail, file: file, line: line)
    }

    /// Removes every occurrence of `secret` from the server-provided texts (belt and braces: a
    /// misbehaving server could echo what it was sent).
    func scrubbing(_ secret: String) -> Self {
        guard !secret.isEmpty else { return self }
        var copy = self
        copy.apiMessage = apiMessage?.replacingAll(secret, with: "<redacted>")
        copy.apiCode = apiCode?.replacingAll(secret, with: "<redacted>")
        copy.detail = detail?.replacingAll(secret, with: "<redacted>")
        return copy
    }
}

extension UnderstoryAPIError: CustomStringConvertible, CustomDebugStringConvertible {
    /// One line for a CLI's stderr.
    public var description: String {
        let on = path.map { " on \($0)" } ?? ""
        let api = apiSuffix
        let tries = attempts.map { " after \($0) attempt\($0 == 1 ? "" : "s")" } ?? ""
        switch code.base {
        case .missingConfiguration:
            return "\(variable ?? "a required setting") is not set: \(detail ?? "it is required for any API call")"
        case .invalidConfiguration:
            return "\(variable ?? "a setting") is invalid: \(detail ?? "malformed value")"
        case .authenticationFailed:
            if let scope = requiredScope, status == 401 {
                return "unauthorized\(on) with a freshly issued token: the key may lack scope \(scope) (Understory answers "
                    + "UNAUTHORIZED for a missing scope as well as for bad credentials); run `understory-sync check` to compare "
                    + "the granted scopes with the needed ones\(api)"
            }
            let what = detail.map { ": \($0)" } ?? ""
            return "authentication failed: check UNDERSTORY_CLIENT_ID/UNDERSTORY_CLIENT_SECRET\(what)\(api)"
        case .forbidden:
            if let scope = requiredScope {
                return "forbidden\(on): the key lacks scope \(scope); tick it on the integration key in Backoffice and include it in UNDERSTORY_SCOPES\(api)"
            }
            return "forbidden\(on)\(detail.map { ": \($0)" } ?? "")\(api)"
        case .notFound:
            return "not found\(on)\(detail.map { ": \($0)" } ?? "")\(api)"
        case .badRequest:
            return "bad request\(status.map { " (\($0))" } ?? "")\(on)\(detail.map { ": \($0)" } ?? "")\(api)"
        case .rateLimited:
            let wait = retryAfter.map { " (Retry-After \(Self.format($0)))" } ?? ""
            return "rate limited: retry budget exhausted\(tries): last 429\(on)\(wait)\(detail.map { "; \($0)" } ?? "")"
        case .serverError:
            return "server error \(status.map(String.init) ?? "")\(on)\(api)"
        case .unreachable:
            let cause = underlying.map { ": \(Self.transportSummary($0))" } ?? (detail.map { ": \($0)" } ?? "")
            return "cannot reach the Understory API\(on)\(tries)\(cause)"
        case .retryBudgetExhausted:
            let last = status.map { "last \($0)" } ?? underlying.map { "last \(Self.transportSummary($0))" } ?? "last failure"
            return "retry budget exhausted\(tries): \(last)\(on)\(detail.map { "; \($0)" } ?? "")"
        case .cursorRejected:
            let status = self.status.map { " (\($0))" } ?? ""
            let next = detail ?? "the traversal must restart"
            return "cursor lost: the API refused a cursor\(status)\(on)\(page.map { " at page \($0)" } ?? ""); \(next)\(api)"
        case .cursorLoop:
            return "cursor loop\(on)\(page.map { ": page \($0)" } ?? "") returned a cursor already used in this traversal"
        case .invalidResponse:
            var parts: [String] = []
            if let resource { parts.append(resource) }
            if let itemID { parts.append("item id=\(itemID)") }
            if let field { parts.append("field \(field)") }
            let subject = parts.isEmpty ? "" : " (\(parts.joined(separator: ", ")))"
            return "invalid response\(on)\(subject)\(detail.map { ": \($0)" } ?? "")"
        case .unexpectedStatus:
            return "unexpected HTTP status \(status.map(String.init) ?? "?")\(on)\(api)"
        case .reconnectRequired:
            return "the account's refresh token was rejected\(api)\(detail.map { ": \($0)" } ?? ""); connect the account again with `understory-sync accounts connect`"
        case .authorizationFailed:
            return "authorization failed\(detail.map { ": \($0)" } ?? "")\(api)"
        }
    }

    public var debugDescription: String {
        var fields: [String] = ["code: \(code)"]
        if let status { fields.append("status: \(status)") }
        if let path { fields.append("path: \(path)") }
        if let apiCode { fields.append("apiCode: \(apiCode)") }
        if let apiMessage { fields.append("apiMessage: \(apiMessage)") }
        if let retryAfter { fields.append("retryAfter: \(Self.format(retryAfter))") }
        if let attempts { fields.append("attempts: \(attempts)") }
        if let resource { fields.append("resource: \(resource)") }
        if let page { fields.append("page: \(page)") }
        if let itemID { fields.append("itemID: \(itemID)") }
        if let field { fields.append("field: \(field)") }
        if let requiredScope { fields.append("requiredScope: \(requiredScope)") }
        if let variable { fields.append("variable: \(variable)") }
        if let detail { fields.append("detail: \(detail)") }
        if let underlying { fields.append("underlying: \(String(reflecting: underlying))") }
        fields.append("file: \(file)")
        fields.append("line: \(line)")
        return "UnderstoryAPIError(\(fields.joined(separator: ", ")))"
    }

    private var apiSuffix: String {
        switch (apiCode, apiMessage) {
        case (let code?, let message?): return " (\(code): \(message))"
        case (let code?, nil): return " (\(code))"
        case (nil, let message?): return " (\(message))"
        case (nil, nil): return ""
        }
    }

    static func format(_ duration: Duration) -> String {
        let (seconds, atto) = duration.components
        if atto == 0 { return "\(seconds)s" }
        let ms = seconds * 1000 + atto / 1_000_000_000_000_000
        return "\(ms)ms"
    }

    static func transportSummary(_ error: any Error) -> String {
        String(describing: error)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, self.contains(target) else { return self }
        return self.components(separatedBy: target).joined(separator: replacement)
    }
}
