/// One stored item: its sort keys, the mutable facts it is rendered from, and the exact bytes served.
struct Record: Sendable {
    let id: String
    var createdAt: Int64
    var updatedAt: Int64
    /// Events: first session's local start (seconds, wall clock as if UTC). Others: 0.
    var startKey: Int64 = 0
    /// Resource-specific status index (booking status, order status, event state, experience state).
    var status: UInt8 = 0
    /// Orders: payment status index. Events: visibility.
    var secondaryStatus: UInt8 = 0
    /// Events: reserved seats.
    var reservedSeats: Int32 = 0
    /// Bumped when a mutation changes content beyond timestamps/status (notes, line items).
    var version: UInt32 = 0
    /// Top-level fields removed on purpose (`Simulator.corrupt`).
    var omit: [String] = []
    /// Top-level fields served with exactly these JSON bytes, whatever the generator renders
    /// (`Simulator.setFields`): a NUL in a string, a malformed value. Kept through later mutations.
    var overrides: [FieldOverride] = []
    /// Deleted (`Simulator.delete`): lists omit it and its single GET answers 404.
    var deleted = false
    /// Exactly what is served for this item.
    var json: [UInt8] = []
}

/// One top-level field of a record and the raw JSON value served for it.
struct FieldOverride: Sendable {
    var key: String
    var json: [UInt8]
}

/// The children of one order, each item's exact bytes.
struct StoredOrderChildren: Sendable {
    var lineItems: [[UInt8]] = []
    var refunds: [[UInt8]] = []
    var transactions: [[UInt8]] = []
    var transactionIDs: [String] = []
}

enum Enums {
    static let bookingStatus: [StaticString] = ["ACTIVE", "CANCELLED", "MOVED", "PROCESSING", "CHECKED_IN", "UNKNOWN", "NO_SHOW"]
    static let bookingCancelled: UInt8 = 1
    static let orderStatus: [StaticString] = ["PENDING", "COMPLETED", "CANCELLED"]
    static let orderCancelled: UInt8 = 2
    static let paymentStatus: [StaticString] = ["UNPAID", "PAID", "PARTIALLY_PAID", "REFUNDED", "PARTIALLY_REFUNDED"]
    /// Indices into `paymentStatus` (an order's `Record.secondaryStatus`).
    static let unpaid: UInt8 = 0, paid: UInt8 = 1, partiallyPaid: UInt8 = 2, refunded: UInt8 = 3, partiallyRefunded: UInt8 = 4
    static let eventState: [StaticString] = ["ACTIVE", "INACTIVE", "CANCELLED", "COMPLETED", "PAUSED"]
    static let eventCancelled: UInt8 = 2
    static let visibility: [StaticString] = ["PUBLIC", "PRIVATE"]
    static let experienceState: [StaticString] = ["ACTIVE", "ARCHIVED", "INACTIVE"]
    static let refundStatus: [StaticString] = ["INITIATED", "COMPLETED", "FAILED", "CANCELLED"]
    static let transactionStatus: [StaticString] = ["COMPLETED", "PENDING", "FAILED", "AUTHORIZED"]
    static let providers: [StaticString] = ["STRIPE", "ADYEN", "GIFT_CARD", "MANUAL", "MOBILEPAY", "VIPPS"]
}
