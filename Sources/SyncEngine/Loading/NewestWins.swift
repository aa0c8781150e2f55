/// The one rule every writer of a synced row follows (`sync`, `backfill`, `reconcile`, the webhook
/// inbox, a deletion check's live rows): a version replaces the stored row only when the stored
/// row is not newer, compared by `updated_at`. A stored row stamped in the future (beyond
/// ``FutureDated/horizonSQL``, an API clock bug) is never "newer": the next version replaces it.
/// Children (booking tickets, order line items, refunds, transactions, ticket variants) follow
/// their parent: they are replaced only while the parent row is locked at a version no newer
/// than the one they were fetched with (``BatchLoader/standingParents(_:companyID:parentIDs:)``).
enum NewestWins {
    /// SQL: the row `stored` (a table alias) may be replaced by `incoming` (an alias with an
    /// `updated_at`): its `updated_at` is not later than the incoming one — strictly earlier when
    /// `strictly` (a guess that leaves equal versions out, e.g. which children to prefetch).
    static func storedNotNewer(_ stored: String, than incoming: String, strictly: Bool = false) -> String {
        "(\(stored).updated_at \(strictly ? "<" : "<=") \(incoming).updated_at OR \(stored).updated_at > \(FutureDated.horizonSQL))"
    }
}
