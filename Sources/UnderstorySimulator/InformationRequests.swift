import Hummingbird

/// `GET /v1/experiences/{id}/information-requests` (the questions asked at checkout) and
/// `GET /v1/bookings/{id}/information-request-answers` (what the customer answered), derived from
/// the experience's and the booking's current JSON, so a changed one may come with other
/// questions or answers and an unchanged one never does (``Simulator/changeChildren(_:id:company:)``
/// changes them without touching the parent).
///
/// understory-api.md names both endpoints and documents no field. The simulator's shapes are
/// guesses: a request `{id, question, type, required}` (question text in English whatever the
/// `Accept-Language`), an answer `{information_request_id, answer}` with no id of its own; an
/// answer's value is a string, a number or a boolean by question type. Question ids depend on the
/// experience id only, so answers keep pointing at them when an experience changes.
enum InformationRequests {
    private static let questions: [(suffix: String, question: String, type: String, required: Bool)] = [
        ("diet", "Any dietary requirements?", "TEXT", false),
        ("height", "Height in cm (for equipment)", "NUMBER", true),
        ("experience", "Have you done this before?", "BOOLEAN", false),
        ("hotel", "Where are you staying?", "TEXT", false),
    ]
    private static let diets = ["None", "Vegetarian", "Vegan", "Gluten free", "None"]
    private static let hotels = ["Hotel d'Angleterre", "Camping", "Friends", "Airbnb in Nørrebro", "Hotel d'Angleterre"]

    /// The questions of the experience `id` (two to four, chosen by its id, so their ids never
    /// change); the experience's bytes decide whether the last one is required, and a
    /// ``Simulator/changeChildren(_:id:company:)`` revision rewords them. As the API's `items`.
    static func items(experienceID id: String, experience: [UInt8], revision: UInt64 = 0) -> [[UInt8]] {
        let asked = chosen(experienceID: id)
        return asked.enumerated().map { n, question in
            var w = JSONWriter(capacity: 160)
            w.beginObject()
            w.key("id")
            w.string("ir-\(id)-\(question.suffix)")
            w.key("question")
            w.string(revision > 0 ? "\(question.question) (revised \(revision))" : question.question)
            w.key("type")
            w.string(question.type)
            w.key("required")
            w.bool(question.required || (n == asked.count - 1 && hash(experience, 0) % 2 == 0))
            w.endObject()
            return w.bytes
        }
    }

    /// The answers of the booking `id` (JSON `booking`, `revision`) to the questions of its
    /// experience: one per question, an optional one sometimes left out. They follow the booking
    /// only (a changed experience does not change what its customers answered).
    static func answers(bookingID id: String, booking: [UInt8], revision: UInt64, experienceID: String) -> [[UInt8]] {
        let seed = hash(booking, revision)
        return chosen(experienceID: experienceID).enumerated().compactMap { n, question in
            let bits = seed >> UInt64(8 * n)
            if !question.required && bits % 4 == 0 { return nil }
            var w = JSONWriter(capacity: 120)
            w.beginObject()
            w.key("information_request_id")
            w.string("ir-\(experienceID)-\(question.suffix)")
            w.key("answer")
            switch question.suffix {
            case "height": w.int(140 + Int(bits % 60))
            case "experience": w.bool(bits % 3 == 0)
            case "diet": w.string(diets[Int(bits % UInt64(diets.count))])
            default: w.string(hotels[Int(bits % UInt64(hotels.count))])
            }
            w.endObject()
            return w.bytes
        }
    }

    private static func chosen(experienceID: String) -> ArraySlice<(suffix: String, question: String, type: String, required: Bool)> {
        questions.prefix(2 + Int(hash(Array(experienceID.utf8), 0) % 3))
    }

    private static func hash(_ json: [UInt8], _ revision: UInt64) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in json { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return revision > 0 ? SeededRandom.mix(hash ^ revision) : hash
    }

    /// The answers `GET /v1/bookings/{id}/information-request-answers` serves now (nil: unknown or deleted booking).
    static func answers(_ store: Store, bookingID id: String) -> [[UInt8]]? {
        guard let index = store.bookings.index(of: id), !store.bookings[index].deleted else { return nil }
        let booking = store.bookings[index].json
        guard let experienceID = BookingTickets.field("experience_id", in: booking), store.experiences.index(of: experienceID) != nil else { return [] }
        return answers(bookingID: id, booking: booking, revision: store.childRevisions[id] ?? 0, experienceID: experienceID)
    }

    /// The questions `GET /v1/experiences/{id}/information-requests` serves now (nil: unknown or deleted experience).
    static func requests(_ store: Store, experienceID id: String) -> [[UInt8]]? {
        guard let index = store.experiences.index(of: id), !store.experiences[index].deleted else { return nil }
        return items(experienceID: id, experience: store.experiences[index].json, revision: store.childRevisions[id] ?? 0)
    }
}

extension SimulatorResponder {
    /// `GET /v1/experiences/{id}/information-requests`: every question on one page (`next` empty).
    func informationRequests(experienceID: String, language: String, company: CompanyData) -> Response {
        let items = company.store.withLock { InformationRequests.requests($0, experienceID: experienceID) }
        var response = Reply.children(items, parent: "experience", id: experienceID, next: "")
        if items != nil { response.headers[.contentLanguage] = language }
        return response
    }

    /// `GET /v1/bookings/{id}/information-request-answers`: every answer on one page (no `next`).
    func informationAnswers(bookingID: String, company: CompanyData) -> Response {
        Reply.children(company.store.withLock { InformationRequests.answers($0, bookingID: bookingID) }, parent: "booking", id: bookingID)
    }
}

extension Simulator {
    /// The questions `GET /v1/experiences/{id}/information-requests` answers now (nil for an unknown or deleted experience).
    public func experienceInformationRequests(experienceID: String, company: String? = nil) -> [String]? {
        self.requireCompany(company).store.withLock { InformationRequests.requests($0, experienceID: experienceID) }?
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// The answers `GET /v1/bookings/{id}/information-request-answers` answers now (nil for an unknown or deleted booking).
    public func bookingInformationAnswers(bookingID: String, company: String? = nil) -> [String]? {
        self.requireCompany(company).store.withLock { InformationRequests.answers($0, bookingID: bookingID) }?
            .map { String(decoding: $0, as: UTF8.self) }
    }
}
