import UnderstoryAPI

/// The checkout answers of bookings (`GET /v1/bookings/{id}/information-request-answers`, one
/// request per booking), replaced with their booking. Personal data: left out with
/// `--skip-resource information-answers`.
enum BookingInformationAnswers {
    static func stage(_ context: PlanContext) -> FetchedChildren<Booking, InformationAnswer> {
        FetchedChildren(
            context: context, resource: .bookings, parentSpec: Tables.bookings.spec, table: Tables.bookingInformationAnswers, parentColumn: "booking_id",
            label: "information answers", fetch: { context, id in try await context.client.informationAnswers(bookingID: id, logger: context.logger) }
        )
    }
}
