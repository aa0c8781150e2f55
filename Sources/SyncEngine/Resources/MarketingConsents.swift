import UnderstoryAPI

extension Tables {
    static let marketingConsents = Table<MarketingConsent>(
        name: "marketing_consents",
        comment: "Marketing consents (GET /v1/marketing-consents): who agreed to receive marketing, and where. The API sends no timestamps, so every run reads the whole list. Synced only when the key has the marketing.read scope (requested in UNDERSTORY_SCOPES); left out with sync --skip-resource marketing-consents. full_name and email are personal data.",
        key: ["company_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("id", "text NOT NULL", "Consent id from the API.") { $0.model.id },
            Column("full_name", "text", "Name of the person who consented (personal data).") { $0.model.fullName },
            Column("email", "text", "E-mail address the consent covers (personal data).") { $0.model.email },
            Column("source", "text", "Where the consent was given, as sent by the API (its values are not documented).") { $0.model.source },
            Column("booking_id", "text", "The booking the consent was given with (bookings.id): the id of its reference of type BOOKING, whose shape is not documented. NULL without one (legacy rows have no references).") {
                $0.model.reference("BOOKING")
            },
            .raw("The consent exactly as the API sent it, its references (raw->'references') included."),
            .syncedAt,
            .runID,
            .deletedAt("When the consent was confirmed withdrawn: a complete pass of /v1/marketing-consents no longer listed it and GET /v1/marketing-consents/{id} answered 404. NULL while it exists; cleared if it is listed again."),
        ]
    )
}

extension Resource {
    /// Read only with the `marketing.read` scope.
    public static let marketingConsents = Resource("marketing-consents")
}

extension MarketingConsent: SyncedRecord {
    var changedAt: Timestamp? { nil }

    static func fetch(id: String, _ context: PlanContext) async throws -> Fetched<MarketingConsent> {
        try await context.client.marketingConsent(id: id, logger: context.logger)
    }
}

extension Declarations {
    /// No timestamps and no filters: the whole list every run, like experiences.
    static let marketingConsents = SyncedResource<MarketingConsent>(
        resource: .marketingConsents, scope: "marketing.read", table: Tables.marketingConsents,
        traversal: .fullList { client, options in client.marketingConsents(limit: min(100, max(options.pageSize, 1))) },
        scopeIsOptional: true
    )
}
