import UnderstoryAPI

/// An item that cannot be stored, on its way to `understory.rejected_items`: the rest of its
/// batch loads without it.
struct RejectedItem: Sendable {
    var resource: Resource
    /// The API id; nil when the item had none.
    var itemID: String?
    /// What is wrong: the field and why (for a child of an order, which child).
    var reason: String
    /// The item's JSON as received; nil when a re-fetch failed without a body to keep (the row keeps the last one).
    var raw: String?

    init(resource: Resource, itemID: String?, reason: String, raw: String?) {
        self.resource = resource
        self.itemID = itemID
        self.reason = reason
        self.raw = raw
    }

    /// An item the client could not decode.
    init(resource: Resource, _ item: UndecodableItem) {
        self.init(resource: resource, itemID: item.id, reason: item.reason, raw: item.raw)
    }
}

/// Thrown while staging one item (or one order's children) that cannot be stored: a required
/// field is missing, or a value does not fit its column. Caught per item, never fails a batch.
struct ItemRejection: Error, Sendable, CustomStringConvertible {
    var reason: String
    init(_ reason: String) { self.reason = reason }
    var description: String { reason }
}
