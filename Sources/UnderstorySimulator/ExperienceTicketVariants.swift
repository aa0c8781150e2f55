/// `GET /v1/experiences/{id}/ticket-variants`: the ticket variants of an experience with their
/// catalog prices, derived from the experience's current JSON (its first language), so an
/// experience that changes may get other variants or prices and one that does not never does.
///
/// understory-api.md §4 documents only "catalog prices (Money), add-ons nested"; the fields are
/// guessed: `id`, `name`, `price` (Money), `addons` [{`id`, `name`, `price`}]. The ids are the
/// `type_id`s the simulator's booking tickets use (`tv-<experience>-adult`, `-child`;
/// add-on `addon-<experience>-lunch`), plus sometimes a `-senior` variant.
enum ExperienceTicketVariants {
    /// The variants of the experience `id` whose JSON is `experience`, as the API's `items` array.
    /// `revision` (``Simulator/changeChildren(_:id:company:)``) gives other variants for the same experience bytes.
    static func items(experienceID id: String, experience: [UInt8], revision: UInt64 = 0) -> [[UInt8]] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in experience { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if revision > 0 { hash = SeededRandom.mix(hash ^ revision) }
        let adult = 20_000 + Int64(hash % 40) * 1_000
        let lunch = 5_000 + Int64((hash >> 8) % 10) * 500
        let addons = "[{\"id\":\"addon-\(id)-lunch\",\"name\":\"Lunch\",\"price\":\(money(lunch))}]"
        var variants: [(suffix: String, name: String, price: Int64)] = [("adult", "Adult", adult), ("child", "Child", adult / 2)]
        if (hash >> 16) % 3 == 0 { variants.append(("senior", "Senior", adult * 3 / 4)) }
        return variants.map { variant in
            Array("{\"id\":\"tv-\(id)-\(variant.suffix)\",\"name\":\"\(variant.name)\",\"price\":\(money(variant.price)),\"addons\":\(addons)}".utf8)
        }
    }

    private static func money(_ minor: Int64) -> String {
        "{\"currency\":\"DKK\",\"value\":\(minor),\"exponent\":2}"
    }
}

extension Simulator {
    /// The variants `GET /v1/experiences/{id}/ticket-variants` answers now (nil for an unknown or deleted experience).
    public func experienceTicketVariants(experienceID: String, company: Int = 0) -> [String]? {
        companies[company].store.withLock { store in
            guard let index = store.experiences.index(of: experienceID), !store.experiences[index].deleted else { return nil }
            return ExperienceTicketVariants.items(
                experienceID: experienceID, experience: store.experiences[index].json, revision: store.childRevisions[experienceID] ?? 0
            )
                .map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
