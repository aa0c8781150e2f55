/// Rows a resource reads per item with one request each (booking tickets, checkout answers,
/// experiences' ticket variants and questions) that `--skip-resource <name>` leaves out. Declared
/// once, in its parent's declaration (``SyncedResource/parts``); the CLI lists, checks and
/// explains the names from the catalog (``ResourceCatalog/parts``), and a run leaves out those in
/// ``SyncOptions/skipped``.
public struct ChildPart: Sendable, Hashable {
    /// The `--skip-resource` value, e.g. `tickets`.
    public let name: String
    /// What leaving it out saves or keeps out, for `--help`.
    public let help: String

    /// Every part of the resources in the catalog in force, in its order.
    public static var all: [ChildPart] { ResourceCatalog.current.parts }
}

/// A part and the stage that reads it for one run.
struct SkippableStage<Parent: SyncedRecord>: Sendable {
    let part: ChildPart
    let stage: @Sendable (PlanContext) -> any ParentChildStage<Parent>
}
