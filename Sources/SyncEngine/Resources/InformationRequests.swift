import UnderstoryAPI

extension Tables {
    /// Staged per experience (``Table/append(children:parentID:companyID:to:)``) by ``ExperienceInformationRequests``.
    static let experienceInformationRequests = Table<InformationRequest>(
        name: "experience_information_requests",
        comment: "Questions each experience asks at checkout (GET /v1/experiences/{id}/information-requests): fetched for new or changed experiences only, replaced with the experience in one transaction and removed when the experience is confirmed deleted. No field but id is documented. Left out with sync --skip-resource information-requests.",
        key: ["company_id", "experience_id", "id"],
        columns: [
            .companyID("Understory account."),
            Column("experience_id", "text NOT NULL", "The experience (experiences.id).") { $0.parentID },
            Column("id", "text NOT NULL", "Information request id (booking_information_answers.information_request_id).") { $0.model.id },
            Column("position", "integer NOT NULL", "Position of the question in the experience's list, from 1.") { String($0.position) },
            Column("question", "text", "The question in the language the sync requested (Accept-Language); the field name is not documented.") {
                $0.model.question
            },
            Column("type", "text", "Kind of answer expected, as sent (the field and its values are not documented).") { $0.model.type },
            Column("required", "boolean", "Whether an answer is required, as sent (the field is not documented).") { $0.model.required.map { String($0) } },
            .raw("The question exactly as the API sent it."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "information request \($0.model.id)" }
    )

    /// Staged per booking (``Table/append(children:parentID:companyID:to:)``) by ``BookingInformationAnswers``.
    static let bookingInformationAnswers = Table<InformationAnswer>(
        name: "booking_information_answers",
        comment: "What customers answered at checkout (GET /v1/bookings/{id}/information-request-answers): personal data, kept apart from bookings so it can be left out with sync --skip-resource information-answers. Fetched for new or changed bookings only, replaced with the booking in one transaction and removed when the booking is confirmed deleted. No field is documented and answers have no id: rows are numbered per booking.",
        key: ["company_id", "booking_id", "position"],
        columns: [
            .companyID("Understory account."),
            Column("booking_id", "text NOT NULL", "The booking (bookings.id).") { $0.parentID },
            Column("position", "integer NOT NULL", "Position of the answer in the booking's list, from 1.") { String($0.position) },
            Column("information_request_id", "text", "The question answered (experience_information_requests.id); the field name is not documented.") {
                $0.model.informationRequestID
            },
            Column("answer", "text", "The answer (raw->>'answer': text as sent, a number or boolean as its JSON text); personal data.", sql: "s.raw ->> 'answer'"),
            .raw("The answer exactly as the API sent it (personal data)."),
            .syncedAt,
            .runID,
        ],
        childLabel: { "information answer \($0.position)" }
    )
}
