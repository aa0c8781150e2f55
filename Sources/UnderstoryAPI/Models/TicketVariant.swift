/// `GET /v1/experiences/{id}/ticket-variants` item: a ticket type of an experience and its catalog
/// price (understory-api.md §4: "catalog prices (Money), add-ons nested"). The field names beyond
/// `id` and the Money `price` are not documented; `name` and `addons` are kept leniently and the
/// raw JSON keeps everything.
public struct TicketVariant: APIModel, Hashable {
    public static let resourceName = "ticket_variants"

    public var id: String
    public var name: String?
    public var price: Money?
    public var addons: [Addon]?

    /// An add-on sold with the variant (nested in it).
    public struct Addon: Sendable, Hashable, Decodable {
        public var id: String?
        public var name: String?
        public var price: Money?
    }

    enum CodingKeys: String, CodingKey {
        case id, name, price, addons
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.name = container.decodeLeniently(String.self, forKey: .name)
        self.price = try container.decodeIfPresent(Money.self, forKey: .price)
        self.addons = container.decodeLeniently([Addon].self, forKey: .addons)
    }
}
