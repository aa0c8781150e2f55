/// `GET /v1/orders` item (scope `order.read`).
public struct Order: APIModel, Hashable {
    public static let resourceName = "orders"

    public var id: String
    public var number: String?
    public var status: OrderStatus?
    public var paymentStatus: PaymentStatus?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var customer: Customer?
    public var origin: Origin?
    public var totals: Totals?
    public var metadata: StringMap?

    /// Where the order came from (`{type, id}`; the API documents the schema as open).
    public struct Origin: Sendable, Hashable, Decodable {
        public var type: String?
        public var id: String?

        enum CodingKeys: String, CodingKey { case type, id }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.type = container.decodeLeniently(String.self, forKey: .type)
            self.id = container.decodeLeniently(String.self, forKey: .id)
        }
    }

    public struct Totals: Sendable, Hashable, Decodable {
        public var amount: Money?
        public var vatAmount: Money?
        public var discount: Money?

        enum CodingKeys: String, CodingKey {
            case amount
            case vatAmount = "vat_amount"
            case discount
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, number, status
        case paymentStatus = "payment_status"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case customer, origin, totals, metadata
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        // `number` is documented as a string; tolerate a JSON number.
        if let text = container.decodeLeniently(String.self, forKey: .number) {
            self.number = text
        } else {
            self.number = container.decodeLeniently(Int64.self, forKey: .number).map(String.init)
        }
        self.status = try container.decodeIfPresent(OrderStatus.self, forKey: .status)
        self.paymentStatus = try container.decodeIfPresent(PaymentStatus.self, forKey: .paymentStatus)
        self.createdAt = try container.decode(Timestamp.self, forKey: .createdAt)
        self.updatedAt = try container.decode(Timestamp.self, forKey: .updatedAt)
        self.customer = try container.decodeIfPresent(Customer.self, forKey: .customer)
        self.origin = container.decodeLeniently(Origin.self, forKey: .origin)
        self.totals = try container.decodeIfPresent(Totals.self, forKey: .totals)
        self.metadata = try container.decodeIfPresent(StringMap.self, forKey: .metadata)
    }
}
