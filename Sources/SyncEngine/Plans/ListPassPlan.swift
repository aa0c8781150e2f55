import Foundation
import PostgresClient
import UnderstoryAPI

/// Events and experiences: lists without an `updated_at` filter or sort, so every run reads the
/// whole list — the rolling start-time window of events ([today − past days, today + future
/// days), everything with `--full`), every experience — and the upsert skips rows whose
/// `updated_at` and content did not change. After a complete pass that never restarted, stored
/// rows of that list which it no longer holds are asked for by id and get `_deleted_at` only when
/// that answers 404 (``DeletionCheck``); a pass that had to restart after a rejected cursor is not
/// trusted for that at all.
enum ListPassPlan {
    static func run<Item>(_ declaration: SyncedResource<Item>, _ context: PlanContext) async throws -> ResourceCounts {
        let traversal = declaration.traversal
        let now = context.client.clock.wallNow
        let loader = declaration.loader(context, pages: traversal.everything(context, now: now))
        let fullPass: Bool = if case .fullList = traversal { true } else { context.options.full }
        let finished = CompletedTraversal()
        var counts = try await loader.run(
            .init(complete: { connection, pass in
                finished.record(restarts: pass.restarts, seenIDs: pass.seenIDs)
                try await context.recordCompletion(declaration.resource, fullPass: fullPass, on: connection, newestUpdatedAt: pass.newestUpdatedAt)
            }),
            collectIDs: true
        )
        // Only a complete traversal that never restarted says what the list holds (a dry run
        // or an interrupted one never gets here with a record).
        if let seen = finished.seenIDs {
            let check = declaration.deletionCheck(context)
            let scope = traversal.scope(context.options, now: now)
            let checked = try await check.run(try await check.unlistedIDs(seen: seen, scope: scope.sql, parameters: scope.parameters))
            counts.deleted += checked.counts.deleted
            counts.inserted += checked.counts.inserted
            counts.updated += checked.counts.updated
            counts.childRows += checked.counts.childRows
            counts.rejected += checked.counts.rejected
        }
        return counts
    }
}
