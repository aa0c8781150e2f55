/// `GET /v1/event-availabilities?experienceId=…` item (scope `event.read`; understory-api.md §5.10):
/// whether an event can still be booked, and the constraints that decide it. `event_id`,
/// `available` and `constraints` are required; the item carries no experience id (the request
/// names it) and no timestamps.
public struct EventAvailability: APIModel, Hashable {
    public static let resourceName = "event_availabilities"
    public static let idField = "event_id"

    public var eventID: String
    /// False when any constraint fails.
    public var available: Bool
    /// Every applicable constraint, passing and failing, in API order.
    public var constraints: [Constraint]

    /// One constraint: a discriminated object. The docs name only the discriminator `type` (e.g.
    /// `EVENT_STATE`) and the booking cutoff's `cutoff_time`; the other types (seat capacity,
    /// booking limits, per-variant resource limits) and whether a constraint passes are not
    /// documented field by field, so everything else stays in the raw JSON.
    public struct Constraint: Sendable, Hashable, Decodable {
        public var type: String?
        /// The booking cutoff's instant; an unparseable one fails the item (it is rejected, not guessed).
        public var cutoffTime: Timestamp?

        enum CodingKeys: String, CodingKey {
            case type
            case cutoffTime = "cutoff_time"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.type = container.decodeLeniently(String.self, forKey: .type)
            self.cutoffTime = try container.decodeIfPresent(Timestamp.self, forKey: .cutoffTime)
        }
    }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
        case available, constraints
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.eventID = try container.decode(String.self, forKey: .eventID)
        self.available = try container.decode(Bool.self, forKey: .available)
        self.constraints = try container.decode([Constraint].self, forKey: .constraints)
    }

    /// The types of the constraints, in API order (a constraint without a `type` is left out).
    public var constraintTypes: [String] { constraints.compactMap(\.type) }

    /// The booking cutoff: the first `cutoff_time` any constraint carries.
    public var bookingCutoff: Timestamp? { constraints.lazy.compactMap(\.cutoffTime).first }
}
