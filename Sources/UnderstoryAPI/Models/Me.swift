/// `GET /v1/me`: who the token belongs to. `company_id` keys every row of this account.
public struct Me: APIModel, Hashable {
    public static let resourceName = "me"

    public var companyID: String?
    public var companyName: String?
    public var userID: String?
    public var email: String?

    public init(companyID: String?, companyName: String?, userID: String?, email: String?) {
        self.companyID = companyID
        self.companyName = companyName
        self.userID = userID
        self.email = email
    }

    enum CodingKeys: String, CodingKey {
        case companyID = "company_id"
        case companyName = "company_name"
        case userID = "user_id"
        case email
    }
}
