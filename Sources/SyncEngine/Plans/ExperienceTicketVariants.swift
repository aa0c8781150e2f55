import UnderstoryAPI

/// The ticket variants of experiences (`GET /v1/experiences/{id}/ticket-variants`, one request per
/// experience, with the sync's `Accept-Language`), replaced with their experience.
enum ExperienceTicketVariants {
    /// `--skip-resource ticket-variants` leaves it out.
    static let skippable = SkippableStage<Experience>(
        part: ChildPart(name: "ticket-variants", help: "leave experiences' ticket variants out (one request per new or changed experience)"), stage: { stage($0) }
    )

    static func stage(_ context: PlanContext) -> FetchedChildren<Experience, TicketVariant> {
        FetchedChildren(
            context: context, resource: .experiences, parentSpec: Tables.experiences.spec, table: Tables.experienceTicketVariants,
            parentColumn: "experience_id", label: "ticket variants",
            fetch: { context, id in
                try await context.client.ticketVariants(experienceID: id, acceptLanguage: context.options.acceptLanguage, logger: context.logger)
            }
        )
    }
}
