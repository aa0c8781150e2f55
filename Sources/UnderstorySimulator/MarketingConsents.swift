/// `GET /v1/marketing-consents` items (understory-api.md §5.8): `id`, `company_id`, `full_name`,
/// `email`, `source` (all required) and `references` (absent on legacy rows). No timestamps are
/// served; the record's `createdAt` only orders the list. The shape of a reference and the
/// `source` values are not documented: references are guessed as `{"type": "BOOKING", "id"}`
/// naming one of the company's bookings, sources as a few upper-case channel names.
extension DataGenerator {
    static let consentSources: [String] = ["BOOKING_FLOW", "NEWSLETTER_SIGNUP", "GIFT_CARD", "IMPORT"]

    func consentID(_ index: Int) -> String { self.hexID(.consentID, index) }

    /// Consent `index`; `createdAt` (a new one from a mutation) or spread over the history.
    func makeConsent(_ index: Int, createdAt: Int64? = nil) -> Record {
        let created = createdAt ?? self.generatedCreatedAt(.consent, index: index, count: self.consentCount)
        var record = Record(id: self.consentID(index), createdAt: created, updatedAt: created)
        record.json = self.renderConsent(index, record)
        return record
    }

    /// The consent's bytes; a mutation bumps `version`, which changes its `source`.
    func renderConsent(_ index: Int, _ record: Record) -> [UInt8] {
        var r = self.random(.consent, index)
        var w = JSONWriter(capacity: 320)
        w.beginObject()
        w.key("id")
        w.string(record.id)
        w.key("company_id")
        w.fragment(self.companyID)
        w.key("full_name")
        w.string(self.fullName(&r))
        w.key("email")
        w.string(self.email(&r, index))
        w.key("source")
        w.string(Self.consentSources[(r.below(Self.consentSources.count) + Int(record.version)) % Self.consentSources.count])
        // Legacy rows (index 1 and about one in five) have no references.
        if index != 1, !r.oneIn(5), self.bookingCount > 0 {
            w.key("references")
            w.beginArray()
            w.beginObject()
            w.key("type")
            w.string("BOOKING")
            w.key("id")
            w.string(self.bookingID(r.below(self.bookingCount)))
            w.endObject()
            w.endArray()
        }
        self.writeUnknownFields(&w, &r, index)
        w.endObject()
        return w.bytes
    }
}
