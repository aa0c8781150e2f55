import Foundation
import PostgresClient
import UnderstoryAPI

/// Events: the API has no `updated_at` filter or sort, only a window on local start time. Each
/// run reads the rolling window [today − past days, today + future days) (or everything with
/// `--full`) and the upsert skips rows whose `updated_at` and content did not change. Sessions
/// are rebuilt from the event's JSON for events that changed. After a complete traversal, stored
/// events of the window that the list no longer holds are checked one by one (``DeletionCheck``).
enum EventWindowPlan {
    static func events(_ context: PlanContext) async throws -> ResourceCounts {
        let now = context.options.wallClock()
        let client = context.client
        let limit = min(500, max(context.options.eventsPageSize, 1))
        let window = Self.window(context.options, now: now)
        let loader = PageLoader<Event>(
            context: context, resource: .events, spec: .events,
            pages: { client.events(from: window?.0, to: window?.1, limit: limit) },
            stageRow: Tables.events.append(_:companyID:to:)
        )
        let companyID = context.companyID
        let traversal = CompletedTraversal()
        var counts = try await loader.run(
            hooks: .init(
                afterUpsert: { batchLoader, changed in try await batchLoader.replaceEventSessions(companyID: companyID, eventIDs: changed) },
                complete: { connection, finished in
                    traversal.record(restarts: finished.restarts, seenIDs: finished.seenIDs)
                    try await context.recordCompletion(.events, fullPass: context.options.full, on: connection, newestUpdatedAt: finished.newestUpdatedAt)
                }
            ),
            collectIDs: true
        )
        // Only a complete traversal that never restarted says what the window holds (a dry run
        // or an interrupted one never gets here with a record).
        if let seen = traversal.seenIDs {
            let check = deletionCheck(context)
            let scope = Self.scope(window)
            let unlisted = try await check.unlistedIDs(seen: seen, scope: scope.sql, parameters: scope.parameters)
            let checked = try await check.run(unlisted)
            counts.deleted += checked.counts.deleted
            counts.inserted += checked.counts.inserted
            counts.updated += checked.counts.updated
            counts.childRows += checked.counts.childRows
        }
        return counts
    }

    /// The local start-time window [today − past days, today + future days + 1) at midnight; nil with `--full`.
    static func window(_ options: SyncOptions, now: Date) -> (LocalDateTime, LocalDateTime)? {
        options.full ? nil : (
            LocalDateTime(utcWallTimeOf: Timestamp(now.addingTimeInterval(-Double(options.eventsPastDays) * 86_400))).startOfDay,
            LocalDateTime(utcWallTimeOf: Timestamp(now.addingTimeInterval(Double(options.eventsFutureDays + 1) * 86_400))).startOfDay
        )
    }

    /// Stored events of `window` (all with nil) as a ``DeletionCheck`` scope.
    static func scope(_ window: (LocalDateTime, LocalDateTime)?) -> (sql: String?, parameters: [(any PostgresEncodable)?]) {
        guard let window else { return (nil, []) }
        return ("start_local >= $3::timestamp AND start_local < $4::timestamp", [window.0.queryString, window.1.queryString])
    }

    /// Confirms unlisted events by `GET /v1/events/{id}` (see ``DeletionCheck``); live ones get their sessions rebuilt.
    static func deletionCheck(_ context: PlanContext, spec: TableSpec = .events) -> DeletionCheck<Event> {
        let client = context.client
        let companyID = context.companyID
        return DeletionCheck(
            context: context, resource: .events, spec: spec,
            fetch: { id in try await client.event(id: id) },
            stageRow: Tables.events.append(_:companyID:to:),
            afterUpsert: { batchLoader, changed in try await batchLoader.replaceEventSessions(companyID: companyID, eventIDs: changed) }
        )
    }
}

/// What a finished traversal saw, carried out of the page loader's completion hook; nil seen ids
/// when the traversal restarted (its list is not trusted to say what is gone).
final class CompletedTraversal: @unchecked Sendable {
    // Invariant: written once inside the loader's last transaction, read after `run` returns.
    private(set) var seenIDs: [String]?

    func record(restarts: Int, seenIDs: [String]) {
        self.seenIDs = restarts == 0 ? seenIDs : nil
    }
}

extension LocalDateTime {
    /// Midnight of the same day.
    var startOfDay: LocalDateTime {
        LocalDateTime(year: year, month: month, day: day)!
    }
}
