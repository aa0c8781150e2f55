/// One record as received: the decoded ``model`` and its exact JSON text (``raw``), byte for byte
/// as the server sent it (for the `raw jsonb` column). Model properties are reachable directly
/// (`fetched.id`, `fetched.updatedAt`).
@dynamicMemberLookup
public struct Fetched<Model: Sendable>: Sendable {
    public let model: Model
    /// The item's JSON exactly as received (valid UTF-8, no re-encoding), except that each
    /// `\u0000` escape (which PostgreSQL cannot store) reads `\ufffd`, as in ``model``.
    public let raw: String
    /// Whether the item carried `\u0000` escapes that were replaced by U+FFFD.
    public let sanitized: Bool

    public init(model: Model, raw: String, sanitized: Bool = false) {
        self.model = model
        self.raw = raw
        self.sanitized = sanitized
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
    /// Items of this page that did not decode (the rest of the page is in ``items``).
    public let undecodable: [UndecodableItem]
    /// The cursor of the next page; `nil` on the last page (`next` empty or absent).
    public let next: String?
    /// 1-based position of this page in its traversal.
    public let number: Int
    /// The cursor this page was requested with (`nil` for the first page).
    public let cursor: String?
    /// Size of the response body.
    public let byteCount: Int

    public init(
        items: [Fetched<Item>], undecodable: [UndecodableItem] = [], next: String?, number: Int, cursor: String?, byteCount: Int
    ) {
        self.items = items
        self.undecodable = undecodable
        self.next = next
        self.number = number
        self.cursor = cursor
        self.byteCount = byteCount
    }

    public var isLast: Bool { next == nil }
}

/// An item the client received but could not decode (no `id`, an unparseable `updated_at`, a
/// value of the wrong type): why, and its JSON text as received, so it can be set aside while
/// the rest of its page is stored.
public struct UndecodableItem: Sendable {
    /// Names the resource, the item's id when it has one, the field and what is wrong.
    public let error: UnderstoryAPIError
    /// The item's JSON (with `\u0000` escapes replaced, as in ``Fetched/raw``).
    public let raw: String

    public init(error: UnderstoryAPIError, raw: String) {
        self.error = error
        self.raw = raw
    }

    /// The item's id, when it could be read.
    public var id: String? { error.itemID }

    /// What is wrong, in one line, without the resource and id (kept apart).
    public var reason: String {
        let field = error.field.map { "field \($0): " } ?? ""
        return field + (error.detail ?? "does not decode")
    }
}
