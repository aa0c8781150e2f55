/// What a run did to one resource.
public struct ResourceCounts: Sendable, Codable, Hashable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var deleted = 0
    public var pages = 0
    /// List requests (pages) made for this resource.
    public var requests = 0
    /// Traversals restarted after the API rejected a cursor.
    public var restarts = 0
    public var childRows = 0
    /// Items whose `updated_at` lay beyond now + the future tolerance: stored as sent, not used as
    /// the watermark.
    public var futureDated = 0
    /// Pages of a `-updated_at` listing that were not newest-first: the run ignored its cutoff and
    /// read to the end.
    public var unorderedPages = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case inserted, updated, unchanged, deleted, pages, requests, restarts
        case childRows = "child_rows"
        case futureDated = "future_dated"
        case unorderedPages = "unordered_pages"
    }

    public var records: Int { inserted + updated + unchanged }

    public static func + (lhs: Self, rhs: Self) -> Self {
        var sum = lhs
        sum.inserted += rhs.inserted
        sum.updated += rhs.updated
        sum.unchanged += rhs.unchanged
        sum.deleted += rhs.deleted
        sum.pages += rhs.pages
        sum.requests += rhs.requests
        sum.restarts += rhs.restarts
        sum.childRows += rhs.childRows
        sum.futureDated += rhs.futureDated
        sum.unorderedPages += rhs.unorderedPages
        return sum
    }
}
