/// A resource a run left out because the integration key lacks its scope (``ResourceScope``): a
/// notice, never a failure. The run records it in `understory.sync_state` (`skipped_scope`,
/// `skipped_reason`) so `status`, the status page and `/metrics` show the scope to tick until a
/// run syncs the resource.
struct ResourceSkip: Error, Sendable, CustomStringConvertible {
    let resource: Resource
    /// The scope to tick on the key.
    let scope: String
    /// Why the key is taken to lack it (the token endpoint refused it, the token did not list it, 403, 401).
    let why: String
    /// Whether the resource is skipped even when named (``SyncedResource/scopeIsOptional``).
    let optional: Bool

    /// The notice the run summary and the log show, once per run.
    var description: String {
        "skipped: \(why); to sync \(resource), tick \(scope) on the integration key and add it to UNDERSTORY_SCOPES"
            + (optional ? " (or leave it out with --skip-resource \(resource))" : " (or name the resources to sync with --resource)")
    }
}
