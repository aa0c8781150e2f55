/// `GET /v1/orders/{id}/line-items` item. Line items have no id of their own: key them by
/// (order id, position).
public struct LineItem: APIModel, Hashable {
    public static let resourceName = "line_items"

    public var quantity: Int?
    public var unitPrice: Money?
    public var unitVATAmount: Money?
    public var productType: ProductType?
    public var productID: String?
    public var details: Details?

    /// Product details (open schema: `{type, experience_id, ticket_id, gift_card_id}`).
    public struct Details: Sendable, Hashable, Decodable {
        public var type: String?
        public var experienceID: String?
        public var ticketID: String?
        public var giftCardID: String?

        enum CodingKeys: String, CodingKey {
            case type
            case experienceID = "experience_id"
            case ticketID = "ticket_id"
            case giftCardID = "gift_card_id"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.type = container.decodeLeniently(String.self, forKey: .type)
            self.experienceID = container.decodeLeniently(String.self, forKey: .experienceID)
            self.ticketID = container.decodeLeniently(String.self, forKey: .ticketID)
            self.giftCardID = container.decodeLeniently(String.self, forKey: .giftCardID)
        }
    }

    enum CodingKeys: String, CodingKey {
        case quantity
        case unitPrice = "unit_price"
        case unitVATAmount = "unit_vat_amount"
        case productType = "product_type"
        case productID = "product_id"
        case details
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.quantity = try container.decodeIfPresent(Int.self, forKey: .quantity)
        self.unitPrice = try container.decodeIfPresent(Money.self, forKey: .unitPrice)
        self.unitVATAmount = try container.decodeIfPresent(Money.self, forKey: .unitVATAmount)
        self.productType = try container.decodeIfPresent(ProductType.self, forKey: .productType)
        self.productID = try container.decodeIfPresent(String.self, forKey: .productID)
        self.details = container.decodeLeniently(Details.self, forKey: .details)
    }
}

/// `GET /v1/orders/{id}/refunds` item.
public struct Refund: APIModel, Hashable {
    public static let resourceName = "refunds"

    public var id: String
    public var status: RefundStatus?
    public var amount: Money?
    public var transactionID: String?
    public var createdAt: Timestamp?

    enum CodingKeys: String, CodingKey {
        case id, status, amount
        case transactionID = "transaction_id"
        case createdAt = "created_at"
    }
}

/// `GET /v1/orders/{id}/transactions` item.
public struct Transaction: APIModel, Hashable {
    public static let resourceName = "transactions"

    public var id: String
    public var status: TransactionStatus?
    public var provider: TransactionProvider?
    public var amount: Money?
    public var createdAt: Timestamp?
    public var details: Details?

    /// Open schema: `{type, gift_card_id}`.
    public struct Details: Sendable, Hashable, Decodable {
        public var type: String?
        public var giftCardID: String?

        enum CodingKeys: String, CodingKey {
            case type
            case giftCardID = "gift_card_id"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.type = container.decodeLeniently(String.self, forKey: .type)
            self.giftCardID = container.decodeLeniently(String.self, forKey: .giftCardID)
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, provider, amount
        case createdAt = "created_at"
        case details
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.status = try container.decodeIfPresent(TransactionStatus.self, forKey: .status)
        self.provider = try container.decodeIfPresent(TransactionProvider.self, forKey: .provider)
        self.amount = try container.decodeIfPresent(Money.self, forKey: .amount)
        self.createdAt = try container.decodeIfPresent(Timestamp.self, forKey: .createdAt)
        self.details = container.decodeLeniently(Details.self, forKey: .details)
    }
}
