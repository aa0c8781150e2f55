import UnderstoryAPI

extension Tables {
    static let experiences = Table<Experience>(
        name: "experiences",
        comment: "Experiences (GET /v1/experiences): the tours and activities sold. Fully refreshed every run.",
        key: ["company_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("id", "text NOT NULL", "Experience id from the API.") { $0.model.id },
            Column("type", "text", "SINGLE_SESSION or MULTI_SESSION.") { $0.model.type?.rawValue },
            Column("state", "text NOT NULL", "ACTIVE, INACTIVE, ARCHIVED (other values kept as sent).") {
                try ColumnRange.required($0.model.state, "state").rawValue
            },
            Column("name", "text", "Name in the language the sync requested (Accept-Language).") { $0.model.name },
            Column("created_at", "timestamp with time zone NOT NULL", "When the experience was created.") { $0.model.createdAt.rfc3339 },
            Column("updated_at", "timestamp with time zone NOT NULL", "When the experience last changed.") { $0.model.updatedAt.rfc3339 },
            .raw("The experience exactly as the API sent it."),
            .syncedAt,
            .runID,
            .deletedAt("When the experience was confirmed deleted: a complete pass of /v1/experiences no longer listed it (the API hides DELETED ones) and GET /v1/experiences/{id} answered 404. NULL while it exists; cleared if it comes back."),
        ]
    )
}

extension Resource {
    public static let experiences = Resource("experiences")
}

extension Experience: SyncedRecord {
    var changedAt: Timestamp? { updatedAt }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<Experience> {
        try await context.client.experience(id: id, acceptLanguage: context.options.acceptLanguage, logger: context.logger)
    }
}

extension Declarations {
    static let experiences = SyncedResource<Experience>(
        resource: .experiences, scope: "experience.read", table: Tables.experiences,
        traversal: .fullList { client, options in client.experiences(limit: 100, acceptLanguage: options.acceptLanguage) },
        parts: [ExperienceTicketVariants.skippable, ExperienceInformationRequests.skippable],
        childTables: [(Tables.experienceTicketVariants.spec, "experience_id"), (Tables.experienceInformationRequests.spec, "experience_id")],
        webhookTopic: .experience
    )
}

extension Tables {
    /// Staged per experience (``Table/append(children:parentID:companyID:to:)``) by ``ExperienceTicketVariants``.
    static let experienceTicketVariants = Table<TicketVariant>(
        name: "experience_ticket_variants",
        comment: "Ticket variants of each experience with their catalog prices (GET /v1/experiences/{id}/ticket-variants): fetched for new or changed experiences only, replaced with the experience in one transaction and removed when the experience is confirmed deleted. Left out with sync --skip-resource ticket-variants.",
        key: ["company_id", "experience_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("experience_id", "text NOT NULL", "The experience (experiences.id).") { $0.parentID },
            Column("id", "text NOT NULL", "Ticket variant id (booking_ticket_items.type_id of a VARIANT item).") { $0.model.id },
            Column("position", "integer NOT NULL", "Position of the variant in the experience's list, from 1.") { String($0.position) },
            Column("name", "text", "Variant name in the language the sync requested (Accept-Language); the field name is not documented.") { $0.model.name },
            Column("currency", "text", "ISO 4217 currency of price.") { $0.model.price?.currency },
            Column("price", "numeric", "Catalog price in major units, exact.") { try ColumnRange.numeric($0.model.price, "price") },
            Column("price_minor", "bigint", "price.value as sent (minor units).") { $0.model.price.map { String($0.value) } },
            .raw("The variant exactly as the API sent it, its nested add-ons (raw->'addons') included."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "ticket variant \($0.model.id)" }
    )
}
