/// `GET /v1/bookings` item (scope `booking.read`).
public struct Booking: APIModel, Hashable {
    public static let resourceName = "bookings"

    public var id: String
    public var status: BookingStatus?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var companyID: String?
    public var experienceID: String?
    public var eventID: String?
    public var customer: Customer?
    public var locale: String?
    public var source: String?
    public var internalNote: String?
    public var metadata: StringMap?

    enum CodingKeys: String, CodingKey {
        case id, status
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case companyID = "company_id"
        case experienceID = "experience_id"
        case eventID = "event_id"
        case customer, locale, source
        case internalNote = "internal_note"
        case metadata
    }
}
