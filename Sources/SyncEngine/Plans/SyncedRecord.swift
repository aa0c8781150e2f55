import UnderstoryAPI

/// A top-level API item with an id and a last-change time: what the page loader needs.
protocol SyncedRecord: APIModel {
    var id: String { get }
    var updatedAt: Timestamp { get }
}

extension Booking: SyncedRecord {}
extension Order: SyncedRecord {}
extension Event: SyncedRecord {}
extension Experience: SyncedRecord {}
