import UnderstoryAPI

extension Tables {
    /// The constraint types of an availability in staging (`s`), in API order: one expression for
    /// the current table and its history.
    static let constraintTypesSQL =
        "ARRAY(SELECT c ->> 'type' FROM jsonb_array_elements(s.raw -> 'constraints') AS c WHERE c ->> 'type' IS NOT NULL)"

    /// Staged per experience (``Table/append(_:companyID:parentID:to:)``: the parent is the
    /// experience asked for) by ``AvailabilityPlan``.
    static let eventAvailabilities = Table<EventAvailability>(
        name: "event_availabilities",
        comment: "Whether each event can be booked now (GET /v1/event-availabilities?experienceId=…, scope event.read), read every run per experience for the events' start-time window: available plus every constraint, passing and failing (seat capacity alone overstates what can still be sold). A row is rewritten only when the API's answer changes, and kept as last seen when its event leaves the window; every change is in event_availability_history. Left out with sync --skip-resource availability.",
        key: ["company_id", "event_id"],
        columns: [
            .companyID("Understory account."),
            Column("event_id", "text NOT NULL", "The event (events.id).") { $0.model.eventID },
            Column("experience_id", "text NOT NULL", "The experience whose list named the event (experiences.id): the experienceId asked for, since the item carries none.") {
                $0.parentID
            },
            Column("available", "boolean NOT NULL", "Whether the event can be booked: false when any constraint fails.") { String($0.model.available) },
            Column("booking_cutoff_at", "timestamp with time zone", "The booking cutoff (cutoff_time of the constraint carrying one): no booking after it. NULL without one.") {
                $0.model.bookingCutoff?.rfc3339
            },
            Column(
                "constraint_types", "text[]",
                "The type of every constraint returned, passing and failing, in API order (e.g. {EVENT_STATE,…}); only EVENT_STATE is named by the docs, and which constraints fail is read from constraints.",
                sql: constraintTypesSQL
            ),
            Column("constraints", "jsonb NOT NULL", "Every constraint as sent (raw->'constraints'): its fields beyond type and cutoff_time are not documented.", sql: "s.raw -> 'constraints'"),
            .raw("The availability exactly as the API sent it."),
            .syncedAt,
            .runID,
        ]
    )

    /// Never staged: ``AvailabilityPlan`` writes a row from the staged availability `s` whose
    /// available or constraints differ from the event's latest history row `last`.
    static let eventAvailabilityHistory = Table<Never>(
        name: "event_availability_history",
        comment: "Every change of an event's availability (event_availabilities): a row when available or the constraints differ from the event's latest row here, written in the same transaction as the current row. The same answer seen again writes nothing, and an event that leaves the window is not a change. observed_at is the database's clock at the sync that saw the change, never the API's.",
        key: ["company_id", "event_id", "observed_at"],
        columns: [
            Column("company_id", "text NOT NULL", "Understory account.", sql: "s.company_id"),
            Column("event_id", "text NOT NULL", "The event (events.id).", sql: "s.event_id"),
            Column(
                "observed_at", "timestamp with time zone NOT NULL",
                "When a sync first saw this availability (the transaction's time; always later than the event's previous row, even if the database clock stepped back).",
                sql: "greatest(now(), last.observed_at + interval '1 microsecond')"
            ),
            Column("experience_id", "text NOT NULL", "The experience whose list named the event (experiences.id).", sql: "s.experience_id"),
            Column("available", "boolean NOT NULL", "Whether the event could be booked from observed_at on.", sql: "s.available"),
            Column("booking_cutoff_at", "timestamp with time zone", "The booking cutoff then (NULL without one).", sql: "s.booking_cutoff_at"),
            Column("constraint_types", "text[]", "The type of every constraint then, in API order.", sql: constraintTypesSQL),
            Column("constraints", "jsonb NOT NULL", "Every constraint then, as sent.", sql: "s.raw -> 'constraints'"),
            .syncedAt,
            .runID,
        ]
    )
}

extension Resource {
    /// Event availability (`/v1/event-availabilities`, per experience): current rows and their history.
    public static let availability = Resource("availability")
}

extension Declarations {
    /// Availability has no timestamps and no webhook: every run reads the window per experience.
    static let availability = ObservedResource(
        resource: .availability, scope: "event.read",
        experiences: ("experience.read", { client, options in client.experiences(limit: 100, acceptLanguage: options.acceptLanguage) }),
        table: Tables.eventAvailabilities, history: Tables.eventAvailabilityHistory,
        list: { client, experienceID, window, limit in
            client.eventAvailabilities(experienceID: experienceID, from: window?.0, to: window?.1, limit: limit)
        }
    )
}
