import UnderstoryAPI

extension Tables {
    /// `starts_at`/`ends_at` are computed from local wall-clock times and the IANA zone; an unknown zone gives NULL, not an error.
    static let events = Table<Event>(
        name: "events",
        comment: "Events (GET /v1/events): scheduled occurrences of an experience, with seat capacity. Times of the first session are copied here for convenience.",
        key: ["company_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("id", "text NOT NULL", "Event id from the API.") { $0.model.id },
            Column("state", "text NOT NULL", "ACTIVE, INACTIVE, CANCELLED or COMPLETED (other values kept as sent).") {
                try ColumnRange.required($0.model.state, "state").rawValue
            },
            Column("visibility", "text", "PUBLIC or PRIVATE.") { $0.model.visibility?.rawValue },
            Column("experience_id", "text", "The experience (experiences.id).") { $0.model.experienceID },
            Column("capacity_total", "integer", "Seats in total (capacity.total).") { try ColumnRange.int4($0.model.capacity?.total, "capacity.total") },
            Column("capacity_reserved", "integer", "Seats taken (capacity.reserved).") {
                let reserved = try ColumnRange.int4($0.model.capacity?.reserved, "capacity.reserved")
                // capacity_available is total − reserved in an integer column too (both fit Int32 here).
                if let total = $0.model.capacity?.total, let seats = $0.model.capacity?.reserved {
                    _ = try ColumnRange.int4(total - seats, "capacity (total − reserved)")
                }
                return reserved
            },
            .generated("capacity_available", "integer", "Seats free: capacity_total − capacity_reserved."),
            Column("start_local", "timestamp without time zone", "Local wall-clock start of the first session, as the API sends it (no time zone).") {
                $0.model.sessions?.first?.startTime?.description
            },
            Column("timezone", "text", "IANA time zone of the first session, e.g. Europe/Copenhagen.") { $0.model.sessions?.first?.timezone },
            Column(
                "starts_at", "timestamp with time zone", "Start of the first session as an instant (start_local in timezone).",
                sql: "understory.local_to_instant(s.start_local, s.timezone)"
            ),
            Column(
                "ends_at", "timestamp with time zone", "End of the last session as an instant.",
                sql: "understory.local_to_instant((s.raw -> 'sessions' -> -1 ->> 'end_time')::timestamp, coalesce(s.raw -> 'sessions' -> -1 ->> 'timezone', s.timezone))"
            ),
            Column("session_count", "integer", "Number of sessions (1 for single-session events).") { $0.model.sessions.map { String($0.count) } },
            Column("created_at", "timestamp with time zone NOT NULL", "When the event was created.") { $0.model.createdAt.rfc3339 },
            Column("updated_at", "timestamp with time zone NOT NULL", "When the event last changed.") { $0.model.updatedAt.rfc3339 },
            .raw("The event exactly as the API sent it."),
            .syncedAt,
            .runID,
            .deletedAt("When the event was confirmed deleted: a complete pass over its start-time window (sync or reconcile) no longer listed it and GET /v1/events/{id} answered 404. Its sessions were removed then; raw keeps its last version. NULL while it exists; cleared if it comes back."),
        ]
    )

    /// Sessions are never staged: ``BatchLoader/replaceDerived`` writes them from the stored
    /// events' JSON with this SQL, over the event `e`, the session `x.s` and its position `x.n`.
    static let eventSessions = Table<Never>(
        name: "event_sessions",
        comment: "Sessions of each event (events.raw->sessions), replaced whenever the event changes and removed when the event is confirmed deleted (events._deleted_at).",
        key: ["company_id", "event_id", "id"],
        columns: [
            Column("company_id", "text NOT NULL", "Understory account.", sql: "e.company_id"),
            Column("event_id", "text NOT NULL", "The event (events.id).", sql: "e.id"),
            Column("id", "text NOT NULL", "Session id.", sql: "coalesce(x.s ->> 'id', e.id || '#' || x.n)"),
            Column("position", "integer NOT NULL", "Position of the session in the event, from 1.", sql: "x.n"),
            Column("start_local", "timestamp without time zone", "Local wall-clock start as sent (no time zone).", sql: "(x.s ->> 'start_time')::timestamp"),
            Column("end_local", "timestamp without time zone", "Local wall-clock end as sent (no time zone).", sql: "(x.s ->> 'end_time')::timestamp"),
            Column("timezone", "text", "IANA time zone of the session.", sql: "x.s ->> 'timezone'"),
            Column(
                "starts_at", "timestamp with time zone", "Start as an instant (start_local in timezone).",
                sql: "understory.local_to_instant((x.s ->> 'start_time')::timestamp, x.s ->> 'timezone')"
            ),
            Column(
                "ends_at", "timestamp with time zone", "End as an instant (end_local in timezone).",
                sql: "understory.local_to_instant((x.s ->> 'end_time')::timestamp, x.s ->> 'timezone')"
            ),
            Column("location_id", "text", "Where the session takes place.", sql: "x.s ->> 'location_id'"),
            Column(
                "languages", "text[]", "Languages of the session, e.g. {en,da}.",
                sql: "CASE WHEN jsonb_typeof(x.s -> 'languages') = 'array' THEN ARRAY(SELECT jsonb_array_elements_text(x.s -> 'languages')) END"
            ),
            Column("raw", "jsonb NOT NULL", "The session exactly as the API sent it.", sql: "x.s"),
            .syncedAt,
            .runID,
        ],
        derivedFrom: JSONArrayRows(parent: "events", alias: "e", array: "sessions", element: "s", parentKey: "id", column: "event_id")
    )
}

extension Resource {
    public static let events = Resource("events")
}

extension Event: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Event> {
        try await context.client.event(id: id, logger: context.logger)
    }
}

extension Declarations {
    /// Sessions are rebuilt from the JSON of the events that changed.
    static let events = SyncedResource<Event>(
        resource: .events, scope: "event.read", table: Tables.events,
        traversal: .startWindow { client, from, to, limit in client.events(from: from, to: to, limit: limit) },
        derived: { loader, companyID, changed in try await loader.replaceDerived(Tables.eventSessions.spec, companyID: companyID, parentIDs: changed) },
        childTables: [(Tables.eventSessions.spec, "event_id"), (Tables.eventAvailabilities.spec, "event_id")],
        webhookTopic: .event
    )
}
