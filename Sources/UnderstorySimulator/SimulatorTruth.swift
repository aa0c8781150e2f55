import Foundation

/// A snapshot of what the simulator serves right now, for assertions: per resource, id → item with
/// its `updated_at` and the exact bytes served for it.
public struct SimulatorTruth: Sendable {
    public struct Item: Sendable, Hashable {
        public let id: String
        public let createdAtMicroseconds: Int64
        public let updatedAtMicroseconds: Int64
        /// The exact JSON bytes the list and get endpoints serve for this item.
        public let raw: [UInt8]

        /// `created_at` exactly as served (RFC 3339, UTC).
        public var createdAt: String { SimulatorTime.rfc3339(micros: self.createdAtMicroseconds) }
        /// `updated_at` exactly as served (RFC 3339, UTC).
        public var updatedAt: String { SimulatorTime.rfc3339(micros: self.updatedAtMicroseconds) }
        public var updatedAtDate: Date { Date(timeIntervalSince1970: Double(self.updatedAtMicroseconds) / 1_000_000) }
        public var json: String { String(decoding: self.raw, as: UTF8.self) }
    }

    public var bookings: [String: Item]
    public var orders: [String: Item]
    public var events: [String: Item]
    /// Rendered in the first configured language (`configuration.languages[0]`).
    public var experiences: [String: Item]
    /// No timestamps are served: each item's `createdAt`/`updatedAt` is only its place in the list.
    public var marketingConsents: [String: Item] = [:]
    /// Order id → its line items, refunds and transactions, each item's exact bytes, in served order.
    public var orderLineItems: [String: [[UInt8]]]
    public var orderRefunds: [String: [[UInt8]]]
    public var orderTransactions: [String: [[UInt8]]]
    /// The `/v1/me` body.
    public var me: [UInt8]

    public subscript(resource: SimulatorResource) -> [String: Item] {
        switch resource {
        case .bookings: return self.bookings
        case .orders: return self.orders
        case .events: return self.events
        case .experiences: return self.experiences
        case .marketingConsents: return self.marketingConsents
        }
    }
}

/// What one `mutate` changed, per resource.
public struct SimulatorMutationSummary: Sendable, Hashable {
    public var updated: [SimulatorResource: [String]] = [:]
    public var created: [SimulatorResource: [String]] = [:]
    public var cancelled: [SimulatorResource: [String]] = [:]
    /// The `updated_at` every changed record got (one instant per mutation, shared on purpose).
    public var updatedAtMicroseconds: Int64 = 0

    public var updatedAt: String { SimulatorTime.rfc3339(micros: self.updatedAtMicroseconds) }

    public var totalChanges: Int {
        self.updated.values.reduce(0) { $0 + $1.count } + self.created.values.reduce(0) { $0 + $1.count }
            + self.cancelled.values.reduce(0) { $0 + $1.count }
    }
}
