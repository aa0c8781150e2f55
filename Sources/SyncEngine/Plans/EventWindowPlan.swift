import Foundation
import PostgresClient
import UnderstoryAPI

/// Events: the API has no `updated_at` filter or sort, only a window on local start time. Each
/// run reads the rolling window [today − past days, today + future days) (or everything with
/// `--full`) and the upsert skips rows whose `updated_at` and content did not change. Sessions
/// are rebuilt from the event's JSON for events that changed.
enum EventWindowPlan {
    static func events(_ context: PlanContext, now: Date = Date()) async throws -> ResourceCounts {
        let client = context.client
        let limit = min(500, max(context.options.eventsPageSize, 1))
        let window: (LocalDateTime, LocalDateTime)? = context.options.full ? nil : (
            LocalDateTime(utcWallTimeOf: Timestamp(now.addingTimeInterval(-Double(context.options.eventsPastDays) * 86_400))).startOfDay,
            LocalDateTime(utcWallTimeOf: Timestamp(now.addingTimeInterval(Double(context.options.eventsFutureDays + 1) * 86_400))).startOfDay
        )
        let loader = PageLoader<Event>(
            context: context, resource: .events, spec: .events,
            pages: { client.events(from: window?.0, to: window?.1, limit: limit) },
            stageRow: StagedRows.append
        )
        let companyID = context.companyID
        return try await loader.run(
            hooks: .init(
                afterUpsert: { batchLoader, changed in try await batchLoader.replaceEventSessions(companyID: companyID, eventIDs: changed) },
                complete: context.completion(.events, fullPass: context.options.full)
            )
        )
    }
}

extension LocalDateTime {
    /// Midnight of the same day.
    var startOfDay: LocalDateTime {
        LocalDateTime(year: year, month: month, day: day)!
    }
}
