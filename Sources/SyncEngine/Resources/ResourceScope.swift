import UnderstoryAPI

/// The scope a resource needs, and what a run does without it. The API is vague here: the token
/// response may list no scopes, and Understory may answer a missing scope with 401
/// `UNAUTHORIZED` as well as 403. So the key lacks the scope when the token endpoint refused it,
/// when the token lists other scopes but not it, when the API answers 403, or when it answers 401
/// to a fresh token that listed no scopes.
///
/// Without it, a resource of the default set (none named with `--resource`), or one whose scope
/// is optional (marketing consents), is skipped with one notice (``ResourceSkip``)
/// and the run goes on; a resource asked for by name fails with exit 77, naming the scope to tick.
struct ResourceScope: Sendable {
    let scope: String
    let resource: Resource
    /// Skipped even when named.
    let optional: Bool

    init(_ scope: String, resource: Resource, optional: Bool) {
        self.scope = scope
        self.resource = resource
        self.optional = optional
    }

    func run<T>(_ context: PlanContext, _ body: () async throws -> T) async throws -> T {
        let skippable = optional || !context.options.namedResources.contains(resource)
        if await context.client.tokens.lacks(scope) == true {
            let why = await context.client.tokens.refusedScopes.contains(scope) ? "the token endpoint refused \(scope)" : "the token was not granted \(scope)"
            guard skippable else { throw UnderstoryAPIError(code: .forbidden, resource: resource.rawValue, requiredScope: scope, detail: why) }
            throw skipped(why)
        }
        do {
            return try await body()
        } catch let error as UnderstoryAPIError where skippable && error.code == .forbidden {
            throw skipped("the API refused it (403)")
        } catch let error as UnderstoryAPIError where skippable && error.code == .authenticationFailed && error.requiredScope == scope {
            guard await context.client.tokens.grantedScopes == nil else { throw error }
            throw skipped("the API answered 401 to a fresh token that listed no scopes (read as a missing \(scope))")
        }
    }

    private func skipped(_ why: String) -> ResourceSkip {
        ResourceSkip(resource: resource, scope: scope, why: why, optional: optional)
    }
}
