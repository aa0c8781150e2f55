/// `GET /v1/events` item (scope `event.read`).
public struct Event: APIModel, Hashable {
    public static let resourceName = "events"

    public var id: String
    public var state: EventState?
    public var visibility: EventVisibility?
    public var experienceID: String?
    public var capacity: Capacity?
    public var sessions: [Session]?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var metadata: StringMap?

    public struct Capacity: Sendable, Hashable, Decodable {
        /// Seats.
        public var total: Int?
        /// Seats taken.
        public var reserved: Int?
        /// `total − reserved`, when both are known.
        public var free: Int? {
            guard let total, let reserved else { return nil }
            return total - reserved
        }
    }

    /// A session; times are local to `timezone` (no offset).
    public struct Session: Sendable, Hashable, Decodable {
        public var id: String?
        public var startTime: LocalDateTime?
        public var endTime: LocalDateTime?
        /// IANA zone, e.g. `Europe/Copenhagen`.
        public var timezone: String?
        public var locationID: String?
        public var languages: [String]?

        enum CodingKeys: String, CodingKey {
            case id
            case startTime = "start_time"
            case endTime = "end_time"
            case timezone
            case locationID = "location_id"
            case languages
        }
    }

    /// The first session's local start (what clients show as "the" start).
    public var startTime: LocalDateTime? { sessions?.first?.startTime }

    enum CodingKeys: String, CodingKey {
        case id, state, visibility
        case experienceID = "experience_id"
        case capacity, sessions
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case metadata
    }
}
