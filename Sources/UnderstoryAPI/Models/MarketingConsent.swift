/// `GET /v1/marketing-consents` item (scope `marketing.read`; understory-api.md §5.8): who agreed
/// to receive marketing, and where. No timestamps. `full_name` and `email` are personal data: keep
/// them out of logs and error messages.
public struct MarketingConsent: APIModel, Hashable {
    public static let resourceName = "marketing_consents"

    public var id: String
    public var companyID: String?
    public var fullName: String?
    public var email: String?
    /// Where the consent was given, as sent.
    public var source: String?
    /// Typed references to related entities (e.g. the booking); absent on legacy rows. Their
    /// shape is not documented: `type` and `id` are read leniently, the raw JSON keeps everything.
    public var references: [Reference]?

    public struct Reference: Sendable, Hashable, Decodable {
        public var type: String?
        public var id: String?

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            self.type = container.decodeLeniently(String.self, forKey: AnyKey(stringValue: "type"))
            self.id = container.decodeLeniently(String.self, forKey: AnyKey(stringValue: "id"))
        }
    }

    /// The id of the first reference of `type` (e.g. `BOOKING`), if any.
    public func reference(_ type: String) -> String? {
        references?.first { $0.type?.uppercased() == type }?.id
    }

    enum CodingKeys: String, CodingKey {
        case id
        case companyID = "company_id"
        case fullName = "full_name"
        case email, source, references
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.companyID = container.decodeLeniently(String.self, forKey: .companyID)
        self.fullName = container.decodeLeniently(String.self, forKey: .fullName)
        self.email = container.decodeLeniently(String.self, forKey: .email)
        self.source = container.decodeLeniently(String.self, forKey: .source)
        self.references = container.decodeLeniently([Reference].self, forKey: .references)
    }
}
