import UnderstoryAPI

/// The checkout questions of experiences (`GET /v1/experiences/{id}/information-requests`, one
/// request per experience, with the sync's `Accept-Language`), replaced with their experience.
enum ExperienceInformationRequests {
    /// `--skip-resource information-requests` leaves it out.
    static let skippable = SkippableStage<Experience>(
        part: ChildPart(name: "information-requests", help: "leave experiences' checkout questions out (one request per new or changed experience)"), stage: { stage($0) }
    )

    static func stage(_ context: PlanContext) -> FetchedChildren<Experience, InformationRequest> {
        FetchedChildren(
            context: context, resource: .experiences, parentSpec: Tables.experiences.spec, table: Tables.experienceInformationRequests,
            parentColumn: "experience_id", label: "information requests",
            fetch: { context, id in
                try await context.client.informationRequests(experienceID: id, acceptLanguage: context.options.acceptLanguage, logger: context.logger)
            }
        )
    }
}
