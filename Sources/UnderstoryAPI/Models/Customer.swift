/// The customer of a booking or an order: a private person or a company (`customer_type`).
public struct Customer: Sendable, Hashable, Decodable {
    public var customerType: CustomerType?
    public var fullName: String?
    public var name: String?
    public var companyName: String?
    public var vatNumber: String?
    public var email: String?
    public var phone: String?
    public var address: Address?

    public struct Address: Sendable, Hashable, Decodable {
        public var addressLines: [String]?
        public var city: String?
        public var region: String?
        public var zipCode: String?
        public var country: String?

        enum CodingKeys: String, CodingKey {
            case addressLines = "address_lines"
            case city, region
            case zipCode = "zip_code"
            case country
        }
    }

    /// The best display name: `full_name`, else `name`, else `company_name`.
    public var displayName: String? { fullName ?? name ?? companyName }

    enum CodingKeys: String, CodingKey {
        case customerType = "customer_type"
        case fullName = "full_name"
        case name
        case companyName = "company_name"
        case vatNumber = "vat_number"
        case email, phone, address
    }
}
