import UnderstoryAPI

/// The scope of a resource the key may lack (marketing consents need `marketing.read`, which keys
/// are often created without): when the token was granted other scopes but not this one, or the
/// API answers 403, the resource is skipped with one notice (``SyncError/Code/resourceSkipped``)
/// instead of failing the run.
struct OptionalScope: Sendable {
    let scope: String?
    let resource: Resource

    init(_ scope: String?, resource: Resource) {
        self.scope = scope
        self.resource = resource
    }

    func run<T>(_ context: PlanContext, _ body: () async throws -> T) async throws -> T {
        guard let scope else { return try await body() }
        if let granted = await context.client.tokens.grantedScopes, !granted.contains(scope) {
            throw skipped("the token was not granted \(scope)")
        }
        do {
            return try await body()
        } catch let error as UnderstoryAPIError where error.code == .forbidden {
            throw skipped("the API refused it (403)")
        }
    }

    private func skipped(_ why: String) -> SyncError {
        SyncError(
            .resourceSkipped,
            "skipped: \(why); to sync \(resource), tick \(scope ?? "") on the integration key and add it to UNDERSTORY_SCOPES (or leave them out with --skip-resource \(resource))",
            resource: resource
        )
    }
}
