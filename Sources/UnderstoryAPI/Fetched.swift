/// One record as received: the decoded ``model`` and its exact JSON text (``raw``), byte for byte
/// as the server sent it (for the `raw jsonb` column). Model properties are reachable directly
/// (`fetched.id`, `fetched.updatedAt`).
@dynamicMemberLookup
public struct Fetched<Model: Sendable>: Sendable {
    public let model: Model
    /// The item's JSON exactly as received (valid UTF-8, no re-encoding).
    public let raw: String

    public init(model: Model, raw: String) {
        self.model = model
        self.raw = raw
    }

    public subscript<Value>(dynamicMember keyPath: KeyPath<Model, Value>) -> Value {
        model[keyPath: keyPath]
    }
}

extension Fetched: Equatable where Model: Equatable {}
extension Fetched: Hashable where Model: Hashable {}

/// One page of a list endpoint.
public struct Page<Item: Sendable>: Sendable {
    /// The page's records, in the order the server sent them.
    public let items: [Fetched<Item>]
    /// The cursor of the next page; `nil` on the last page (`next` empty or absent).
    public let next: String?
    /// 1-based position of this page in its traversal.
    public let number: Int
    /// The cursor this page was requested with (`nil` for the first page).
    public let cursor: String?
    /// Size of the response body.
    public let byteCount: Int

    public init(items: [Fetched<Item>], next: String?, number: Int, cursor: String?, byteCount: Int) {
        self.items = items
        self.next = next
        self.number = number
        self.cursor = cursor
        self.byteCount = byteCount
    }

    public var isLast: Bool { next == nil }
}
