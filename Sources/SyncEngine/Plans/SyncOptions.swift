import Foundation

/// How a `sync` run behaves. Defaults are the documented ones.
public struct SyncOptions: Sendable {
    /// Resources to sync; empty means all.
    public var resources: [Resource] = Resource.allCases
    /// The resources asked for by name (`--resource`): without their scope they fail (77) instead
    /// of being skipped with a notice (``ResourceScope``).
    public var namedResources: Set<Resource> = []
    /// The parts of resources left out (``ChildPart/name``: `--skip-resource tickets`, …).
    public var skipped: Set<String> = []
    /// Walk everything instead of stopping at the watermark (and refetch every order's children).
    public var full = false
    /// Fetch and stage, then roll back: report what would change, move nothing.
    public var dryRun = false
    /// How far behind the watermark an incremental run still reads (bookings, orders).
    public var lookback: Duration = .seconds(600)
    /// Event window: days before and after today (by local start time).
    public var eventsPastDays = 30
    public var eventsFutureDays = 365
    /// Page size requested from the API (bookings/orders cap at 100).
    public var pageSize = 100
    /// Page size of `/v1/events` (the API allows up to 500): an incremental run reads the whole
    /// event window, so fewer, larger pages mean fewer requests.
    public var eventsPageSize = 500
    /// Rows per load transaction (several pages are batched into one COPY + upsert).
    public var batchRows = 1000
    /// Pages fetched ahead of the loader.
    public var prefetchPages = 8
    /// Concurrent requests for order line items, refunds and transactions.
    public var childConcurrency = 8
    /// Times a traversal restarts after the API rejects its cursor.
    public var maxRestarts = 3
    /// `Accept-Language` for experience names.
    public var acceptLanguage: String?
    /// Reconcile: re-fetch and compare the children of orders created in the last this many days.
    public var childrenDays = 90
    /// After SIGTERM/SIGINT (graceful shutdown) fetching stops at once; a resource still busy
    /// this long afterwards (a statement waiting on a lock, a child fetch in a 429 wait) is
    /// cancelled: its running statement too (`PQcancel`), and its open batch rolls back.
    public var shutdownGrace: Duration = .seconds(5)

    public init() {}
}
