import Hummingbird
import Synchronization

/// A list the simulator serves besides its own resources: `GET /v1/<name>` (paged by `limit`,
/// 1…100, and `cursor`) and `GET /v1/<name>/{id}` (404 for an id it does not hold), behind the
/// same faults, authentication, scope check and request counting as every `/v1` route. A test
/// that declares a resource of its own serves it with one (``SimulatorConfiguration/lists``),
/// without touching the simulator's resources; it may change the items between requests.
public final class SimulatorList: Sendable {
    /// The path segment after `/v1/`, e.g. `widgets`.
    public let name: String
    /// The scope a token needs to read it.
    public let scope: String
    private let items: Mutex<[(id: String, json: [UInt8])]>

    public init(name: String, scope: String, items: [(id: String, json: [UInt8])]) {
        self.name = name
        self.scope = scope
        self.items = Mutex(items)
    }

    /// Takes the item `id` out of the list (it then answers 404).
    public func remove(id: String) {
        items.withLock { $0.removeAll { $0.id == id } }
    }

    /// One page (`id` nil) or one item.
    func respond(id: String?, query rawQuery: String?) -> Response {
        let items = self.items.withLock { $0 }
        if let id {
            guard let item = items.first(where: { $0.id == id }) else { return Reply.error(.notFound, "NOT_FOUND", "no \(name) item with id \(id)") }
            return Reply.json(.ok, item.json)
        }
        var query: [String: String] = [:]
        for (name, value) in FormDecoding.parse(Substring(rawQuery ?? "")) where query[name] == nil { query[name] = value }
        guard let limit = Int(query["limit"] ?? "100"), (1...100).contains(limit) else {
            return Reply.error(.badRequest, "BAD_REQUEST", "limit must be an integer from 1 to 100")
        }
        guard let start = Int(query["cursor"] ?? "0"), (0...items.count).contains(start) else {
            return Reply.error(.badRequest, "INVALID_CURSOR", "cursor is not valid")
        }
        let end = min(items.count, start + limit)
        return Reply.json(.ok, Reply.itemsBody(next: end < items.count ? String(end) : nil, items: items[start..<end].map(\.json)))
    }
}
