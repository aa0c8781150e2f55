/// A kind of record that understory-sync keeps in step, and its table.
public enum Resource: String, CaseIterable, Sendable, Hashable, Codable, CustomStringConvertible {
    case orders
    case bookings
    case events
    case experiences
    /// Marketing consents (`/v1/marketing-consents`): read only with the `marketing.read` scope.
    case marketingConsents = "marketing-consents"
    /// Event availability (`/v1/event-availabilities`, per experience): current rows and their history.
    case availability

    public var description: String { rawValue }

    /// The advisory-lock name that keeps two runs off the same account's resource.
    func lockName(companyID: String) -> String { "understory-sync:\(companyID):\(rawValue)" }
}
