import UnderstoryAPI

/// The checkout answers of bookings (`GET /v1/bookings/{id}/information-request-answers`, one
/// request per booking), replaced with their booking. Personal data: left out with
/// `--skip-resource information-answers`.
enum BookingInformationAnswers {
    /// `--skip-resource information-answers` leaves it out.
    static let skippable = SkippableStage<Booking>(
        part: ChildPart(name: "information-answers", help: "leave customers' checkout answers out (personal data; one request per new or changed booking)"), stage: { stage($0) }
    )

    static func stage(_ context: PlanContext) -> FetchedChildren<Booking, InformationAnswer> {
        FetchedChildren(
            context: context, resource: .bookings, parentSpec: Tables.bookings.spec, table: Tables.bookingInformationAnswers, parentColumn: "booking_id",
            label: "information answers", fetch: { context, id in try await context.client.informationAnswers(bookingID: id, logger: context.logger) }
        )
    }
}
