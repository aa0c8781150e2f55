/// `GET /v1/experiences/{id}/information-requests` item (scope `experience.read`, needs
/// `Accept-Language`): a question the customer is asked at checkout. understory-api.md §4 names
/// the endpoint only; no field is documented. `id` is required (answers point at it); `question`,
/// `type` and `required` are our guesses, read leniently, and the raw JSON keeps everything.
public struct InformationRequest: APIModel, Hashable {
    public static let resourceName = "information_requests"

    public var id: String
    public var question: String?
    public var type: String?
    public var required: Bool?

    enum CodingKeys: String, CodingKey {
        case id, question, type, required
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.question = container.decodeLeniently(String.self, forKey: .question)
        self.type = container.decodeLeniently(String.self, forKey: .type)
        self.required = container.decodeLeniently(Bool.self, forKey: .required)
    }
}

/// `GET /v1/bookings/{id}/information-request-answers` item (scope `booking.read`, inferred): what
/// the customer answered at checkout — personal data. No field is documented and answers carry no
/// documented id: `information_request_id` (the question answered) is our guess, read leniently;
/// the answer itself is read from the raw JSON (`answer`, whatever its JSON type).
public struct InformationAnswer: APIModel, Hashable {
    public static let resourceName = "information_request_answers"

    public var informationRequestID: String?

    enum CodingKeys: String, CodingKey {
        case informationRequestID = "information_request_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.informationRequestID = container.decodeLeniently(String.self, forKey: .informationRequestID)
    }
}
