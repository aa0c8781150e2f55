import UnderstoryAPI

/// The tickets of bookings (`GET /v1/bookings/{id}/tickets`, one request per booking), replaced
/// with their booking, and the ticket items rebuilt from the tickets' JSON with them.
enum BookingTickets {
    /// `--skip-resource tickets` leaves it out.
    static let skippable = SkippableStage<Booking>(
        part: ChildPart(name: "tickets", help: "leave booking tickets out (by default each new or changed booking costs one more request)"), stage: { stage($0) }
    )

    static func stage(_ context: PlanContext) -> FetchedChildren<Booking, Ticket> {
        FetchedChildren(
            context: context, resource: .bookings, parentSpec: Tables.bookings.spec, table: Tables.bookingTickets, parentColumn: "booking_id",
            label: "tickets", fetch: { context, id in try await context.client.tickets(bookingID: id, logger: context.logger) },
            derived: Tables.bookingTicketItems.spec
        )
    }
}
