import Foundation

/// `/v1/webhook-subscriptions` item (scopes `webhook.read` / `webhook.write`). The signing
/// ``secret`` is present only in the answer to a create.
public struct WebhookSubscription: APIModel, Hashable {
    public static let resourceName = "webhook_subscriptions"

    public var id: String
    public var url: String?
    public var eventTypes: [String]?
    public var state: String?
    public var description: String?
    public var createdAt: Timestamp?
    public var updatedAt: Timestamp?
    /// Returned once, by `POST /v1/webhook-subscriptions`. Never printed (``Secret``).
    public var secret: Secret?

    enum CodingKeys: String, CodingKey {
        case id, url, state, description, secret
        case eventTypes = "event_types"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = try container.decode(String.self, forKey: .id)
        self.url = container.decodeLeniently(String.self, forKey: .url)
        self.eventTypes = container.decodeLeniently([String].self, forKey: .eventTypes)
        self.state = container.decodeLeniently(String.self, forKey: .state)
        self.description = container.decodeLeniently(String.self, forKey: .description)
        self.createdAt = container.decodeLeniently(Timestamp.self, forKey: .createdAt)
        self.updatedAt = container.decodeLeniently(Timestamp.self, forKey: .updatedAt)
        self.secret = container.decodeLeniently(String.self, forKey: .secret).map(Secret.init)
    }

    /// The eleven event types Understory sends (bookings, events, experiences).
    public static let allEventTypes: [String] = [
        "v1.booking.created", "v1.booking.updated", "v1.booking.cancelled",
        "v1.event.created", "v1.event.updated", "v1.event.cancelled", "v1.event.completed", "v1.event.deleted",
        "v1.experience.created", "v1.experience.updated", "v1.experience.deleted",
    ]
}

/// A thin webhook message: `{id, type, timestamp, payload: {booking_id | event_id | experience_id, host_id, …}}`.
public struct WebhookMessage: Sendable, Hashable, Decodable {
    public var id: String?
    public var type: String
    public var timestamp: String?
    public var payload: [String: String]

    enum CodingKeys: String, CodingKey { case id, type, timestamp, payload }

    public init(id: String?, type: String, timestamp: String?, payload: [String: String]) {
        self.id = id
        self.type = type
        self.timestamp = timestamp
        self.payload = payload
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.id = container.decodeLeniently(String.self, forKey: .id)
        self.type = try container.decode(String.self, forKey: .type)
        self.timestamp = container.decodeLeniently(String.self, forKey: .timestamp)
        self.payload = (container.decodeLeniently(StringMap.self, forKey: .payload))?.values ?? [:]
    }

    /// Decodes a delivery body; nil when it is not such a message.
    public static func decode(_ body: some Sequence<UInt8>) -> WebhookMessage? {
        try? JSONDecoder().decode(WebhookMessage.self, from: Data(body))
    }

    /// What the message is about (the topic of its type, `v1.<topic>.<change>`, and the id in its
    /// payload's `<topic>_id`), or nil for a topic this client does not know.
    public var subject: WebhookSubject? {
        let parts = type.split(separator: ".")
        guard parts.count == 3, let topic = WebhookSubject.Topic(rawValue: String(parts[1])), let id = payload[topic.payloadKey] else { return nil }
        return WebhookSubject(topic: topic, id: id)
    }

    /// `v1.event.deleted` / `v1.experience.deleted`.
    public var isDeletion: Bool { type.hasSuffix(".deleted") }
}

/// The item a webhook message is about.
public struct WebhookSubject: Sendable, Hashable {
    /// The kinds of item Understory sends webhook messages about.
    public enum Topic: String, Sendable, CaseIterable {
        case booking, event, experience

        /// The payload key naming the item: `booking_id`, …
        public var payloadKey: String { "\(rawValue)_id" }
    }

    public var topic: Topic
    public var id: String

    public init(topic: Topic, id: String) {
        self.topic = topic
        self.id = id
    }
}
