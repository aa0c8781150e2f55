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

extension Declarations {
    static let experiences = SyncedResource<Experience>(
        resource: .experiences, table: Tables.experiences,
        traversal: .fullList { client, options in client.experiences(limit: 100, acceptLanguage: options.acceptLanguage) }
    )
}
