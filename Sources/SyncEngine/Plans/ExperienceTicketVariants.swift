import PostgresClient
import UnderstoryAPI

/// The ticket variants of experiences (`GET /v1/experiences/{id}/ticket-variants`, one request
/// per experience, with the sync's `Accept-Language`): fetched inside the batch's transaction only
/// for experiences that are new or changed in it (all of them with `--full`), and swapped in whole
/// in the same transaction as the experiences. An experience whose variants cannot be stored is
/// rejected, naming the variant; the rest load.
struct ExperienceTicketVariants: ChildStage {
    let context: PlanContext

    var tables: [TableSpec] { [.experienceTicketVariants] }

    /// Variants are fetched once the changed experiences are known (an experience's variants are one request).
    func prefetch(_ parents: [Fetched<Experience>]) async throws {}
    func cancelPrefetches() {}

    func stageAndReplace(_ loader: BatchLoader, parents experiences: [Fetched<Experience>]) async throws -> StagedChildren {
        let experienceIDs = context.options.full
            ? Array(Set(experiences.map(\.model.id))) : try await loader.stagedChanges(.experiences)
        guard !experienceIDs.isEmpty else { return StagedChildren() }
        let client = context.client, logger = context.logger, language = context.options.acceptLanguage
        let fetched = try await boundedConcurrentMap(experienceIDs, limit: context.options.childConcurrency) {
            id -> (String, Result<[Fetched<TicketVariant>], UnderstoryAPIError>) in
            do {
                return (id, .success(try await client.ticketVariants(experienceID: id, acceptLanguage: language, logger: logger)))
            } catch let error as UnderstoryAPIError where error.code == .notFound {
                // Gone meanwhile: no variants (a deletion check confirms the experience gone later).
                return (id, .success([]))
            } catch let error as UnderstoryAPIError where error.code == .invalidResponse {
                return (id, .failure(error))
            }
        }
        let raws = Dictionary(experiences.map { ($0.model.id, $0.raw) }, uniquingKeysWith: { _, last in last })
        let companyID = context.companyID
        var variants = CopyBuffer()
        var result = StagedChildren()
        for (experienceID, answer) in fetched {
            var rows = CopyBuffer(reservingCapacity: 0)
            do {
                switch answer {
                case .success(let items):
                    try Tables.experienceTicketVariants.append(children: items, parentID: experienceID, companyID: companyID, to: &rows)
                    result.sanitized += items.count(where: \.sanitized)
                case .failure(let error):
                    throw ItemRejection("ticket variants: " + UndecodableItem(error: error, raw: "").reason)
                }
            } catch let rejection as ItemRejection {
                result.rejected.append(RejectedItem(resource: .experiences, itemID: experienceID, reason: rejection.reason, raw: raws[experienceID]))
                continue
            }
            variants.append(contentsOf: rows)
        }
        let rejectedIDs = result.rejected.compactMap(\.itemID)
        if !rejectedIDs.isEmpty { try await loader.unstage(.experiences, companyID: companyID, ids: rejectedIDs) }
        let storedIDs = experienceIDs.filter { !rejectedIDs.contains($0) }
        try await loader.stage(.experienceTicketVariants, variants)
        result.rows += try await loader.replaceChildren(
            .experienceTicketVariants, parentColumn: "experience_id", companyID: companyID, parentIDs: storedIDs
        )
        return result
    }
}
