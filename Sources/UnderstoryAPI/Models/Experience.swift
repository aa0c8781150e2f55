/// `GET /v1/experiences` item (scope `experience.read`; needs `Accept-Language`).
public struct Experience: APIModel, Hashable {
    public static let resourceName = "experiences"

    public var id: String
    public var type: ExperienceType?
    public var state: ExperienceState?
    /// Localised per `Accept-Language`.
    public var name: String?
    public var description: String?
    public var tagIDs: [String]?
    public var media: [Media]?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var metadata: StringMap?

    public struct Media: Sendable, Hashable, Decodable {
        public var type: String?
        public var mimeType: String?
        public var url: String?

        enum CodingKeys: String, CodingKey {
            case type
            case mimeType = "mime_type"
            case url
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, type, state, name, description
        case tagIDs = "tag_ids"
        case media
        case createdAt = "created_at"
        case updatedAt = "updated_at"
        case metadata
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.type = try container.decodeIfPresent(ExperienceType.self, forKey: .type)
        self.state = try container.decodeIfPresent(ExperienceState.self, forKey: .state)
        self.name = try container.decodeIfPresent(String.self, forKey: .name)
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
        self.tagIDs = try container.decodeIfPresent([String].self, forKey: .tagIDs)
        self.media = container.decodeLeniently([Media].self, forKey: .media)
        self.createdAt = try container.decode(Timestamp.self, forKey: .createdAt)
        self.updatedAt = try container.decode(Timestamp.self, forKey: .updatedAt)
        self.metadata = try container.decodeIfPresent(StringMap.self, forKey: .metadata)
    }
}
