import Logging
import Synchronization
import UnderstoryAPI

/// Checks that a `sort=-updated_at` listing really comes newest-first, the assumption behind
/// stopping at the watermark: within each page `updated_at` never increases, and a page never
/// starts above where the previous one ended — except with items already seen in this traversal
/// (paging by offset repeats items when others move to the top; that is not disorder). On the
/// first page that breaks this, it warns once and from then on the run ignores its cutoff and
/// reads to the end, so nothing is skipped. Only incremental runs need it (they alone stop early),
/// so the ids it remembers are those of the few pages above the watermark.
final class SortOrderCheck: Sendable {
    private struct State {
        /// The oldest `updated_at` of the previous page of this traversal.
        var previousLast: Timestamp?
        /// Items of this traversal so far, with the `updated_at` they were listed with.
        var seen: [String: Timestamp] = [:]
        var unorderedPages = 0
    }

    private let state = Mutex(State())
    private let logger: Logger
    private let resource: Resource

    init(resource: Resource, logger: Logger) {
        self.resource = resource
        self.logger = logger
    }

    /// A traversal starts again from the first page (after a rejected cursor).
    func startTraversal() {
        state.withLock {
            $0.previousLast = nil
            $0.seen.removeAll()
        }
    }

    /// Whether the cutoff may still be trusted after this page.
    func observe<Item: SyncedRecord>(_ page: Page<Item>) -> Bool {
        let (firstViolation, trusted) = state.withLock { state -> (Bool, Bool) in
            var ordered = true
            var previous = state.previousLast
            var leading = true
            for item in page.items {
                guard let updatedAt = item.model.changedAt else { continue }
                // Items the previous page already listed, shifted onto this one: not disorder.
                if leading, state.seen[item.model.id] == updatedAt { continue }
                leading = false
                if let previous, updatedAt > previous { ordered = false }
                previous = updatedAt
            }
            for item in page.items { state.seen[item.model.id] = item.model.changedAt }
            state.previousLast = previous
            if !ordered { state.unorderedPages += 1 }
            return (!ordered && state.unorderedPages == 1, state.unorderedPages == 0)
        }
        if firstViolation {
            logger.warning(
                "the API did not list newest-first as sort=-updated_at asks; reading to the end this run instead of stopping at the watermark",
                metadata: ["resource": "\(resource)", "page": "\(page.number)"]
            )
        }
        return trusted
    }

    /// Pages found out of order so far.
    var unorderedPages: Int { state.withLock { $0.unorderedPages } }
}
