import UnderstoryAPI

/// A resource read per experience, without timestamps, whose changes matter over time (event
/// availability): its current table, a history table with a row per change, the experiences to
/// ask for and the list read for one experience over the events' start-time window.
/// ``AvailabilityPlan`` syncs and reconciles it.
struct ObservedResource: Sendable {
    let resource: Resource
    /// The scope its endpoint needs (``ResourceScope``).
    let scope: String
    /// The experiences asked for, listed from the API each run (so a first sync needs nothing stored),
    /// and the scope that list needs.
    let experiences: (scope: String, list: @Sendable (UnderstoryClient, SyncOptions) -> PageSequence<Experience>)
    /// Current rows, one per event.
    let table: Table<EventAvailability>
    /// A row per change (never staged: written by ``historySQL``).
    let history: Table<Never>
    let list: @Sendable (UnderstoryClient, _ experienceID: String, _ window: (LocalDateTime, LocalDateTime)?, _ limit: Int) -> PageSequence<EventAvailability>

    /// Inserts a history row for each staged availability (the newest per event) whose `available`
    /// or constraints differ from the event's latest history row, or that has none: `$1` is the run
    /// id. An event not staged writes nothing, so one that left the window is no change.
    var historySQL: String {
        let current = table.spec, history = self.history.spec
        return """
            INSERT INTO \(history.qualifiedName) (\(history.targetColumns.joined(separator: ", ")))
            SELECT \(history.selectList().joined(separator: ", "))
            FROM (\(current.newestPerKey)) AS s
            LEFT JOIN LATERAL (
                SELECT h.observed_at, h.available, h.constraints FROM \(history.qualifiedName) AS h
                WHERE h.company_id = s.company_id AND h.event_id = s.event_id
                ORDER BY h.observed_at DESC LIMIT 1
            ) AS last ON true
            WHERE last.observed_at IS NULL OR (last.available, last.constraints) IS DISTINCT FROM (s.available, s.raw -> 'constraints')
            """
    }
}
