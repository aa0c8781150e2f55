import Foundation

/// Running totals of what one ``UnderstoryClient`` did, for the engine's run report.
/// Take a snapshot before and after a unit of work and subtract to attribute counts.
public struct RequestStatistics: Sendable, Hashable {
    /// HTTP responses received (any status), token and discovery calls included.
    public var requests = 0
    /// Attempts made again after a 429, a retryable 5xx or a transport failure.
    public var retries = 0
    /// 429 responses received.
    public var rateLimited = 0
    /// 500/502/503/504 responses received.
    public var serverErrors = 0
    /// Transport failures (reset, refused, timeout).
    public var transportErrors = 0
    /// 401s from the API that led to a token refresh and a retry.
    public var unauthorizedRefreshes = 0
    /// Tokens fetched from the token endpoint.
    public var tokensFetched = 0
    /// Total time spent waiting before retries.
    public var waited = Duration.zero
    /// List pages decoded.
    public var pages = 0
    /// Records decoded.
    public var items = 0
    /// Response body bytes received.
    public var bytes = 0

    public init() {}

    public static func - (lhs: Self, rhs: Self) -> Self {
        var d = Self()
        d.requests = lhs.requests - rhs.requests
        d.retries = lhs.retries - rhs.retries
        d.rateLimited = lhs.rateLimited - rhs.rateLimited
        d.serverErrors = lhs.serverErrors - rhs.serverErrors
        d.transportErrors = lhs.transportErrors - rhs.transportErrors
        d.unauthorizedRefreshes = lhs.unauthorizedRefreshes - rhs.unauthorizedRefreshes
        d.tokensFetched = lhs.tokensFetched - rhs.tokensFetched
        d.waited = lhs.waited - rhs.waited
        d.pages = lhs.pages - rhs.pages
        d.items = lhs.items - rhs.items
        d.bytes = lhs.bytes - rhs.bytes
        return d
    }
}

/// The mutable home of a client's ``RequestStatistics``.
///
/// `@unchecked Sendable` invariant: `value` is only read or written while `lock` is held.
final class StatisticsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var value = RequestStatistics()

    func update(_ body: (inout RequestStatistics) -> Void) {
        lock.lock()
        defer { lock.unlock() }
        body(&value)
    }

    var snapshot: RequestStatistics {
        lock.lock()
        defer { lock.unlock() }
        return value
    }
}
