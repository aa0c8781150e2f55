import Hummingbird

/// What a list request asks for, from its query or the cursor it presents.
struct ListParameters {
    var limit = 100
    /// The sort as the API names it (`+created_at`, `-updated_at`, `start`).
    var sort: String
    var field: SortField
    var descending = false
    /// The field `from`/`to` filter on.
    var filterField: SortField
    var fromText = ""
    var toText = ""
    var from: Int64?
    var to: Int64?
    var position = CursorPosition.start

    typealias Failure = SimulatorResponder.APIFailure

    /// Reads `limit`, `sort`, `from` and `to` (what each resource allows), refusing anything else with 400.
    init(_ resource: SimulatorResource, query: [String: String]) throws(Failure) {
        let maxLimit = resource == .events ? 500 : 100
        if let text = query["limit"] {
            guard let value = Int(text), (1...maxLimit).contains(value) else {
                throw Failure.badRequest("limit must be an integer from 1 to \(maxLimit)")
            }
            self.limit = value
        }
        switch resource {
        case .bookings, .orders:
            let requested = query["sort"] ?? "-created_at"
            guard let sort = Self.createdOrUpdated(requested) else {
                let hint = requested.hasPrefix(" ") ? " (a '+' must be URL-escaped as %2B)" : ""
                throw Failure.badRequest("sort must be created_at or updated_at, optionally prefixed with + or -\(hint)")
            }
            (self.sort, self.filterField) = (sort, .created)
            (self.field, self.descending) = Self.order(sort, resource)
        case .events:
            (self.sort, self.field, self.filterField) = ("start", .start, .start)
        case .experiences:
            (self.sort, self.field, self.filterField) = ("+created_at", .created, .created)
        case .marketingConsents:
            // No filters or sort are documented: anything but limit and cursor is refused.
            if let unknown = query.keys.sorted().first(where: { $0 != "limit" && $0 != "cursor" }) {
                throw Failure.badRequest("unknown query parameter \(unknown); /v1/marketing-consents takes only limit and cursor")
            }
            (self.sort, self.field, self.filterField) = ("+created_at", .created, .created)
        }
        guard resource != .experiences && resource != .marketingConsents else { return }
        for (name, isFrom) in [("from", true), ("to", false)] {
            guard let text = query[name], !text.isEmpty else { continue }
            guard let value = Self.time(text, resource) else {
                let shape = resource == .events ? "a local time YYYY-MM-DDTHH:MM:SS without offset" : "a UTC time YYYY-MM-DDTHH:MM:SSZ"
                throw Failure.badRequest("\(name) must be \(shape)")
            }
            if isFrom { (self.fromText, self.from) = (text, value) } else { (self.toText, self.to) = (text, value) }
        }
    }

    /// `sort` as the canonical `±created_at`/`±updated_at` (a bare field is ascending), or nil.
    static func createdOrUpdated(_ sort: String) -> String? {
        switch sort {
        case "created_at", "+created_at": return "+created_at"
        case "-created_at": return "-created_at"
        case "updated_at", "+updated_at": return "+updated_at"
        case "-updated_at": return "-updated_at"
        default: return nil
        }
    }

    /// The field and direction of a canonical sort.
    static func order(_ sort: String, _ resource: SimulatorResource) -> (SortField, descending: Bool) {
        switch sort {
        case "+created_at": return (resource == .events ? .start : .created, false)
        case "-created_at": return (.created, true)
        case "+updated_at": return (.updated, false)
        case "-updated_at": return (.updated, true)
        default: return (.start, false)
        }
    }

    /// A `from`/`to` value: events take local seconds, the others UTC microseconds.
    static func time(_ text: String, _ resource: SimulatorResource) -> Int64? {
        let local = resource == .events
        guard !text.isEmpty, let seconds = SimulatorTime.parseSeconds(Substring(text), suffix: local ? "" : "Z") else { return nil }
        return local ? seconds : seconds * SimulatorTime.microsPerSecond
    }
}

extension SimulatorResponder.APIFailure {
    static func badRequest(_ message: String) -> Self {
        Self(response: Reply.error(.badRequest, "BAD_REQUEST", message))
    }
}

extension SimulatorResponder {
    /// `GET /v1/{resource}`: one page in the requested (or the cursor's) order and window.
    func list(_ resource: SimulatorResource, _ request: Request, context: Context) -> Response {
        let company = self.company(context)
        // A cursor is bound to its company: another company's cursor is INVALID_CURSOR.
        let cursorResource = company.index == 0 ? resource.rawValue : "\(resource.rawValue)@\(company.index)"
        let query = request.queryParameters
        let nowMillis = milliseconds(self.simulator.now - self.simulator.started)
        var parameters: ListParameters
        do throws(APIFailure) {
            parameters = try ListParameters(resource, query: query)
            if let token = query["cursor"], !token.isEmpty {
                try self.resume(
                    &parameters, token: token, resource: resource, cursorResource: cursorResource, query: query,
                    faults: context.faults, nowMillis: nowMillis
                )
            }
        } catch {
            return error.response
        }
        let faults = context.faults
        // A server that ignores the sort serves bookings and orders by creation time, whatever was asked.
        if faults.ignoreUpdatedAtSort, parameters.field == .updated { parameters.field = .created }
        let pageRequest = PageRequest(
            field: parameters.field, descending: parameters.descending, filterField: parameters.filterField,
            from: parameters.from, to: parameters.to, limit: parameters.limit, position: parameters.position,
            unstable: faults.unstablePaging
        )
        let (items, next): ([[UInt8]], CursorPosition?) = company.store.withLock { store in
            let table = store.table(resource)
            let page = table.page(pageRequest)
            let served = faults.listsSkip.isEmpty ? page.indices : page.indices.filter { !faults.listsSkip.contains(table[$0].id) }
            let items = resource == .experiences ? served.map { store.experienceLocalized[$0][context.language] } : served.map { table[$0].json }
            return (items, page.next)
        }
        let nextToken = next.map {
            Cursor(
                resource: cursorResource, sort: parameters.sort, from: parameters.fromText, to: parameters.toText,
                issuedMillis: nowMillis, position: $0
            ).encode(secret: self.simulator.cursorSecret)
        }
        return Reply.json(.ok, Reply.itemsBody(next: nextToken ?? "", items: items))
    }

    /// Continues the listing `token` names: its sort, window and position replace the query's,
    /// unless the cursor is foreign, expired or at odds with the query (cursor loss, in the
    /// configured wording).
    private func resume(
        _ parameters: inout ListParameters, token: String, resource: SimulatorResource, cursorResource: String,
        query: [String: String], faults: SimulatorFaults, nowMillis: Int64
    ) throws(APIFailure) {
        func lost(_ detail: String) -> APIFailure { APIFailure(response: Reply.cursorLost(faults.cursorLoss, detail)) }
        guard let cursor = Cursor.decode(token, secret: self.simulator.cursorSecret), cursor.resource == cursorResource else {
            throw lost("the cursor is invalid")
        }
        let expireNow = self.simulator.runtime.withLock { runtime in
            guard runtime.faults.expireNextCursors > 0 else { return false }
            runtime.faults.expireNextCursors -= 1
            return true
        }
        if expireNow { throw lost("the cursor has expired; start the listing again") }
        if let ttl = faults.cursorTTL, nowMillis - cursor.issuedMillis > milliseconds(ttl) {
            throw lost("the cursor has expired; start the listing again")
        }
        let sortGiven = query["sort"] != nil
        if (sortGiven && cursor.sort != parameters.sort) || (!parameters.fromText.isEmpty && cursor.from != parameters.fromText)
            || (!parameters.toText.isEmpty && cursor.to != parameters.toText)
        {
            throw lost("the cursor does not match the sort/from/to of this request")
        }
        parameters.sort = cursor.sort
        (parameters.field, parameters.descending) = ListParameters.order(cursor.sort, resource)
        (parameters.fromText, parameters.from) = (cursor.from, ListParameters.time(cursor.from, resource))
        (parameters.toText, parameters.to) = (cursor.to, ListParameters.time(cursor.to, resource))
        parameters.position = cursor.position
    }
}
