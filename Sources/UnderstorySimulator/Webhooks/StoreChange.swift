/// One change to a booking, event or experience, as every path that changes a ``Table`` reports it.
struct StoreChange: Sendable, Hashable {
    enum Kind: String, Sendable, Hashable {
        case created, updated, cancelled, completed, deleted
    }

    var resource: SimulatorResource
    var id: String
    var kind: Kind

    /// `v1.booking.updated` and so on; nil for orders and marketing consents (Understory sends no
    /// webhooks for them) and for
    /// kinds a resource has no type for.
    var eventType: String? {
        let noun: String
        switch resource {
        case .bookings: noun = "booking"
        case .events: noun = "event"
        case .experiences: noun = "experience"
        case .orders, .marketingConsents: return nil
        }
        let type = "v1.\(noun).\(kind.rawValue)"
        return SimulatorWebhooks.eventTypes.contains(type) ? type : "v1.\(noun).updated"
    }

    /// The payload key of the changed item's id.
    var payloadKey: String {
        switch resource {
        case .bookings: return "booking_id"
        case .events: return "event_id"
        case .experiences: return "experience_id"
        case .orders: return "order_id"
        case .marketingConsents: return "consent_id"
        }
    }
}

/// The one notification point of the simulator's data: every ``Table`` change (append, update,
/// and any removal) calls ``changed(before:after:)``, whichever route or method made it, so
/// webhooks follow every change. Reference type so the tables of one company share it.
final class TableObserver: Sendable {
    let resource: SimulatorResource
    let companyIndex: Int
    let webhooks: SimulatorWebhooks

    init(resource: SimulatorResource, companyIndex: Int, webhooks: SimulatorWebhooks) {
        self.resource = resource
        self.companyIndex = companyIndex
        self.webhooks = webhooks
    }

    /// `before` nil = created; `after` nil = deleted. Called under the store's lock: it only enqueues.
    func changed(before: Record?, after: Record?) {
        guard let id = after?.id ?? before?.id else { return }
        let kind: StoreChange.Kind
        if before == nil {
            kind = .created
        } else if after?.deleted == true {
            // `Simulator.delete` flags the record; an update of a deleted record announces nothing.
            guard before?.deleted != true else { return }
            kind = .deleted
        } else if let after, let before {
            kind = Self.kind(resource, before: before, after: after)
        } else {
            kind = .deleted
        }
        webhooks.publish(StoreChange(resource: resource, id: id, kind: kind), companyIndex: companyIndex)
    }

    static func kind(_ resource: SimulatorResource, before: Record, after: Record) -> StoreChange.Kind {
        switch resource {
        case .bookings where after.status == Enums.bookingCancelled && before.status != after.status:
            return .cancelled
        case .events where after.status == Enums.eventCancelled && before.status != after.status:
            return .cancelled
        case .events where after.status == 3 && before.status != after.status:
            return .completed
        default:
            return .updated
        }
    }
}

extension Table {
    /// Tells the observer (if any) about one change; the single place table changes are announced.
    func announce(before: Record?, after: Record?) {
        observer?.changed(before: before, after: after)
    }
}

extension Store {
    /// Routes every change of bookings, events and experiences (and orders, which send nothing) to `webhooks`.
    mutating func observe(companyIndex: Int, webhooks: SimulatorWebhooks) {
        bookings.observer = TableObserver(resource: .bookings, companyIndex: companyIndex, webhooks: webhooks)
        orders.observer = TableObserver(resource: .orders, companyIndex: companyIndex, webhooks: webhooks)
        events.observer = TableObserver(resource: .events, companyIndex: companyIndex, webhooks: webhooks)
        experiences.observer = TableObserver(resource: .experiences, companyIndex: companyIndex, webhooks: webhooks)
    }
}
