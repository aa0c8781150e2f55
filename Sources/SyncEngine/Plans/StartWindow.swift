import Foundation
import PostgresClient
import UnderstoryAPI

/// The events' rolling window on local start time (the API has no `updated_at` filter or sort).
enum StartWindow {
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
