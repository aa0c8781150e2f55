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
            Column("customer_type", "text", "PRIVATE or COMPANY.") { $0.model.customer?.customerType?.rawValue },
            Column("customer_name", "text", "Customer full name (private customers).") { $0.model.customer?.fullName ?? $0.model.customer?.name },
            Column("customer_company_name", "text", "Company name (company customers).") { $0.model.customer?.companyName },
            Column("customer_email", "text", "Customer e-mail address.") { $0.model.customer?.email },
            Column("customer_phone", "text", "Customer phone number.") { $0.model.customer?.phone },
            Column("customer_country", "text", "Country of the customer address.") { $0.model.customer?.address?.country },
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

extension Declarations {
    static let bookings = SyncedResource<Booking>(
        resource: .bookings, table: Tables.bookings,
        traversal: .updatedAt { client, query in client.bookings(query) }
    )
}
