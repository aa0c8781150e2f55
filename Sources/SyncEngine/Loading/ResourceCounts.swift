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
    /// Items (children included) stored with U+FFFD in place of U+0000, which PostgreSQL cannot store.
    public var sanitized = 0
    /// Items that could not be stored and went to `understory.rejected_items` in this run.
    public var rejected = 0
    /// Earlier rejected items that stored this run (or were found gone), and are marked resolved.
    public var resolved = 0
    /// Reconcile only (nil otherwise): rows the API lists that the table lacked (or had marked deleted).
    public var missing: Int?
    /// Reconcile only: stored rows whose content differed from the API's.
    public var stale: Int?
    /// Reconcile only: orders whose line items, refunds or transactions differed and were replaced.
    public var childrenFixed: Int?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case inserted, updated, unchanged, deleted, pages, requests, restarts
        case childRows = "child_rows"
        case futureDated = "future_dated"
        case unorderedPages = "unordered_pages"
        case sanitized, rejected, resolved
        case missing, stale
        case childrenFixed = "children_fixed"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func count(_ key: CodingKeys) throws -> Int { try container.decodeIfPresent(Int.self, forKey: key) ?? 0 }
        inserted = try count(.inserted)
        updated = try count(.updated)
        unchanged = try count(.unchanged)
        deleted = try count(.deleted)
        pages = try count(.pages)
        requests = try count(.requests)
        restarts = try count(.restarts)
        childRows = try count(.childRows)
        sanitized = try count(.sanitized)
        rejected = try count(.rejected)
        resolved = try count(.resolved)
        futureDated = try count(.futureDated)
        unorderedPages = try count(.unorderedPages)
        missing = try container.decodeIfPresent(Int.self, forKey: .missing)
        stale = try container.decodeIfPresent(Int.self, forKey: .stale)
        childrenFixed = try container.decodeIfPresent(Int.self, forKey: .childrenFixed)
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
        sum.sanitized += rhs.sanitized
        sum.rejected += rhs.rejected
        sum.resolved += rhs.resolved
        sum.missing = Self.add(lhs.missing, rhs.missing)
        sum.stale = Self.add(lhs.stale, rhs.stale)
        sum.childrenFixed = Self.add(lhs.childrenFixed, rhs.childrenFixed)
        return sum
    }

    private static func add(_ lhs: Int?, _ rhs: Int?) -> Int? {
        lhs == nil && rhs == nil ? nil : (lhs ?? 0) + (rhs ?? 0)
    }
}
