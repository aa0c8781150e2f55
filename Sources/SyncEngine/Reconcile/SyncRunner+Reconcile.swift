extension SyncRunner {
    /// Audits the chosen resources against the API and repairs what drifted (see
    /// ``ReconcilePlan``). Takes the same per-resource locks as `sync`, so it never overlaps a
    /// sync of the same resource; records one `sync_runs` row with command `reconcile` whose counts
    /// carry, per resource, `missing`, `stale`, `deleted` and `children_fixed`. A dry run reports
    /// the same counts and changes nothing.
    public func reconcile(_ options: SyncOptions, arguments: [String: String] = [:]) async throws -> Summary {
        let resources = options.resources.isEmpty ? Resource.allCases : Array(Set(options.resources)).sorted { $0.rawValue < $1.rawValue }
        return try await withRun(command: "reconcile", arguments: arguments, resources: resources, options: options) { resource, context in
            try await ReconcilePlan.run(context, resource: resource)
        }
    }
}
