import UnderstoryAPI

extension Tables {
    static let bookings = Table<Booking>(
        name: "bookings",
        comment: "Bookings (GET /v1/bookings): a customer's seats on an event. Prices are on orders; cancellations show as status CANCELLED.",
        key: ["company_id", "id"],
        columns: [
            .companyID("Understory account (company) the booking belongs to."),
            Column("id", "text NOT NULL", "Booking id from the API.") { $0.model.id },
            Column("status", "text NOT NULL", "ACTIVE, CANCELLED, MOVED, PROCESSING, CHECKED_IN or UNKNOWN (other values kept as sent).") {
                try ColumnRange.required($0.model.status, "status").rawValue
            },
            Column("event_id", "text", "The event booked (events.id).") { $0.model.eventID },
            Column("experience_id", "text", "The experience booked (experiences.id).") { $0.model.experienceID },
        ] + Column<Booking>.customer(\.customer) + [
            Column("source", "text", "Booking channel as sent by the API.") { $0.model.source },
            Column("locale", "text", "Customer locale, e.g. da or en-US.") { $0.model.locale },
            Column("created_at", "timestamp with time zone NOT NULL", "When the booking was made.") { $0.model.createdAt.rfc3339 },
            Column("updated_at", "timestamp with time zone NOT NULL", "When the booking last changed.") { $0.model.updatedAt.rfc3339 },
            .raw("The booking exactly as the API sent it."),
            .syncedAt,
            .runID,
            .deletedAt("When `understory-sync reconcile` confirmed the booking gone: it was no longer listed and GET /v1/bookings/{id} answered 404 (cancellations are not deletions: they arrive as status CANCELLED). NULL while it exists; cleared if it comes back."),
        ]
    )
}

extension Resource {
    public static let bookings = Resource("bookings")
}

extension Booking: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Booking> {
        try await context.client.booking(id: id, logger: context.logger)
    }
}

extension Declarations {
    static let bookings = SyncedResource<Booking>(
        resource: .bookings, scope: "booking.read", table: Tables.bookings,
        traversal: .updatedAt { client, query in client.bookings(query) },
        parts: [BookingTickets.skippable, BookingInformationAnswers.skippable],
        childTables: [
            (Tables.bookingTicketItems.spec, "booking_id"), (Tables.bookingTickets.spec, "booking_id"),
            (Tables.bookingInformationAnswers.spec, "booking_id"),
        ],
        webhookTopic: .booking
    )
}

extension Tables {
    /// Staged per booking (``Table/append(children:parentID:companyID:to:)``) by ``BookingTickets``.
    static let bookingTickets = Table<Ticket>(
        name: "booking_tickets",
        comment: "Tickets of each booking (GET /v1/bookings/{id}/tickets): fetched for new or changed bookings only, replaced with the booking in one transaction and removed when the booking is confirmed deleted. Left out with sync --skip-resource tickets.",
        key: ["company_id", "booking_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("booking_id", "text NOT NULL", "The booking (bookings.id).") { $0.parentID },
            Column("id", "text NOT NULL", "Ticket id.") { $0.model.id },
            Column("status", "text", "Ticket status as sent by the API (its values are not documented).") { $0.model.status },
            Column("checked_in_at", "timestamp with time zone", "When the ticket was checked in (check_in.check_in_time); NULL until then.") {
                $0.model.checkIn?.checkInTime?.rfc3339
            },
            Column("checked_in_by", "text", "Who checked the ticket in (check_in.checked_in_by).") { $0.model.checkIn?.checkedInBy },
            Column("check_in_method", "text", "How the ticket was checked in (check_in.method), as sent.") { $0.model.checkIn?.method },
            .raw("The ticket exactly as the API sent it."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "ticket \($0.model.id)" }
    )

    /// Never staged: ``BatchLoader/replaceDerived`` writes them from the stored tickets' JSON with
    /// this SQL, over the ticket `t`, the item `x.i` and its position `x.n`.
    static let bookingTicketItems = Table<Never>(
        name: "booking_ticket_items",
        comment: "Items of each booking ticket (booking_tickets.raw->items): the ticket variants (guests) and add-ons on it, rebuilt whenever the booking's tickets are replaced.",
        key: ["company_id", "booking_id", "ticket_id", "position"],
        columns: [
            Column("company_id", "text NOT NULL", "Understory account.", sql: "t.company_id"),
            Column("booking_id", "text NOT NULL", "The booking (bookings.id).", sql: "t.booking_id"),
            Column("ticket_id", "text NOT NULL", "The ticket (booking_tickets.id).", sql: "t.id"),
            Column("position", "integer NOT NULL", "Position of the item on the ticket, from 1 (items have no id).", sql: "x.n"),
            Column("item_type", "text", "VARIANT (a ticket variant: guests) or ADDON, as sent.", sql: "x.i ->> 'item_type'"),
            Column("type_id", "text", "The ticket variant or add-on (experience_ticket_variants.id for a VARIANT).", sql: "x.i ->> 'type_id'"),
            Column(
                "quantity", "integer", "How many of it: for a VARIANT, guests.",
                sql: "CASE WHEN jsonb_typeof(x.i -> 'quantity') = 'number' THEN (x.i ->> 'quantity')::integer END"
            ),
            Column("raw", "jsonb NOT NULL", "The item exactly as the API sent it.", sql: "x.i"),
            .syncedAt,
            .runID,
        ],
        derivedFrom: JSONArrayRows(parent: "booking_tickets", alias: "t", array: "items", element: "i", parentKey: "booking_id", column: "booking_id")
    )
}
