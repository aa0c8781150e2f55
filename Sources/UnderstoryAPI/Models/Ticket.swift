/// `GET /v1/bookings/{id}/tickets` item (understory-api.md §5.3; enum values are not documented,
/// so `status`, `check_in.method` and `items[].item_type` are kept as sent).
public struct Ticket: APIModel, Hashable {
    public static let resourceName = "tickets"

    public var id: String
    public var status: String?
    public var checkIn: CheckIn?
    public var items: [Item]?

    /// `check_in`: null until the ticket is checked in.
    public struct CheckIn: Sendable, Hashable, Decodable {
        public var checkInTime: Timestamp?
        public var checkedInBy: String?
        public var method: String?

        enum CodingKeys: String, CodingKey {
            case checkInTime = "check_in_time"
            case checkedInBy = "checked_in_by"
            case method
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.checkInTime = try container.decodeIfPresent(Timestamp.self, forKey: .checkInTime)
            self.checkedInBy = container.decodeLeniently(String.self, forKey: .checkedInBy)
            self.method = container.decodeLeniently(String.self, forKey: .method)
        }
    }

    /// One line of a ticket: a ticket variant (`VARIANT`, guests) or an add-on (`ADDON`).
    public struct Item: Sendable, Hashable, Decodable {
        public var itemType: String?
        public var typeID: String?
        public var quantity: Int?

        enum CodingKeys: String, CodingKey {
            case itemType = "item_type"
            case typeID = "type_id"
            case quantity
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, items
        case checkIn = "check_in"
    }
}
