import Hummingbird

/// `GET /v1/event-availabilities?experienceId=…` and `GET /v1/event-availabilities/{eventId}`:
/// whether each event of an experience can still be booked, derived from the event's current
/// state, seats and start, so a sold-out, cancelled or past-cutoff event turns unavailable.
///
/// understory-api.md §5.10 documents `event_id`, `available` (false if any constraint fails) and
/// `constraints` (all applicable ones, passing and failing, discriminated by `type`, e.g.
/// `EVENT_STATE`; a booking cutoff carries `cutoff_time`). The docs are silent on the other type
/// names and on how a constraint says it passes: the simulator's `SEAT_CAPACITY`, `BOOKING_CUTOFF`,
/// `passed`, `state`, `total` and `reserved` are guesses (the sync keeps them only in `raw`).
/// The cutoff is one hour before the first session's local start read as UTC (the simulator keeps
/// no zone offsets), and "now" is the store's clock, which moves only with mutations.
enum EventAvailabilities {
    /// Default and largest page size (understory-api.md §4: default 50, max 100).
    static let defaultLimit = 50, maxLimit = 100

    /// The availability of the event at `index` of `store.events`, as served.
    static func item(_ store: Store, index: Int) -> [UInt8] {
        let record = store.events[index]
        if let override = store.availabilityOverrides[record.id] { return override }
        let state = Enums.eventState[Int(record.status)]
        let total = store.generator.eventCapacity(index), reserved = Int(record.reservedSeats)
        let cutoff = (record.startKey - 3600) * SimulatorTime.microsPerSecond
        let active = record.status == 0, seats = reserved < total, open = store.clock < cutoff
        var w = JSONWriter(capacity: 320)
        w.beginObject()
        w.key("event_id")
        w.string(record.id)
        w.key("available")
        w.bool(active && seats && open)
        w.key("constraints")
        w.beginArray()
        w.beginObject()
        w.key("type")
        w.string("EVENT_STATE")
        w.key("state")
        w.string(state)
        w.key("passed")
        w.bool(active)
        w.endObject()
        w.beginObject()
        w.key("type")
        w.string("SEAT_CAPACITY")
        w.key("total")
        w.int(total)
        w.key("reserved")
        w.int(reserved)
        w.key("passed")
        w.bool(seats)
        w.endObject()
        w.beginObject()
        w.key("type")
        w.string("BOOKING_CUTOFF")
        w.key("cutoff_time")
        w.timestamp(micros: cutoff)
        w.key("passed")
        w.bool(open)
        w.endObject()
        w.endArray()
        w.endObject()
        return w.bytes
    }

    /// The events of the experience at `experience` (not deleted) whose local start lies in
    /// [`from`, `to`) (seconds, local wall clock), in start order.
    static func events(_ store: Store, experience: Int, from: Int64?, to: Int64?) -> [Int] {
        store.events.order(.start).map { Int($0) }.filter { index in
            let record = store.events[index]
            return !record.deleted && store.generator.experienceIndex(forEvent: index) == experience
                && from.map { record.startKey >= $0 } ?? true && to.map { record.startKey < $0 } ?? true
        }
    }

    /// `from`/`to`: the docs page says RFC 3339, the other clients send local times; both are taken
    /// (an offset-free local time, or one ending in `Z`, read as the same wall clock).
    static func parseTime(_ text: String) -> Int64? {
        SimulatorTime.parseSeconds(Substring(text), suffix: "") ?? SimulatorTime.parseSeconds(Substring(text), suffix: "Z")
    }
}

extension SimulatorResponder {
    /// `GET /v1/event-availabilities`: `experienceId` required (404 for an unknown or deleted
    /// experience), `from`/`to`, `limit` 1…100 (default 50), `cursor` (an offset bound to the query).
    func eventAvailabilities(_ request: Request, faults: SimulatorFaults, company: CompanyData) -> Response {
        var query: [String: String] = [:]
        for (name, value) in FormDecoding.parse(Substring(request.uri.query ?? "")) where query[name] == nil { query[name] = value }
        guard let experienceID = query["experienceId"], !experienceID.isEmpty else {
            return Reply.error(.badRequest, "BAD_REQUEST", "experienceId is required (camelCase)")
        }
        var limit = EventAvailabilities.defaultLimit
        if let text = query["limit"] {
            guard let value = Int(text), (1...EventAvailabilities.maxLimit).contains(value) else {
                return Reply.error(.badRequest, "BAD_REQUEST", "limit must be an integer from 1 to \(EventAvailabilities.maxLimit)")
            }
            limit = value
        }
        var bounds: [Int64?] = []
        for name in ["from", "to"] {
            guard let text = query[name], !text.isEmpty else {
                bounds.append(nil)
                continue
            }
            guard let seconds = EventAvailabilities.parseTime(text) else {
                return Reply.error(.badRequest, "BAD_REQUEST", "\(name) must be a date-time YYYY-MM-DDTHH:MM:SS (optionally ending in Z)")
            }
            bounds.append(seconds)
        }
        let binding = "event-availabilities:\(experienceID)@\(company.index)"
        var offset = 0
        if let token = query["cursor"], !token.isEmpty {
            guard let cursor = Cursor.decode(token, secret: self.simulator.cursorSecret), cursor.resource == binding,
                cursor.from == (query["from"] ?? ""), cursor.to == (query["to"] ?? ""), case .offset(let n) = cursor.position
            else { return Reply.cursorLost(faults.cursorLoss, "the cursor is invalid") }
            if self.simulator.cursorExpires(issuedMillis: cursor.issuedMillis, faults: faults) {
                return Reply.cursorLost(faults.cursorLoss, "the cursor has expired; start the listing again")
            }
            offset = n
        }
        let page: (items: [[UInt8]], more: Bool)? = company.store.withLock { store in
            guard let experience = store.experiences.index(of: experienceID), !store.experiences[experience].deleted else { return nil }
            let events = EventAvailabilities.events(store, experience: experience, from: bounds[0], to: bounds[1])
            let slice = events.dropFirst(offset).prefix(limit)
            return (slice.map { EventAvailabilities.item(store, index: $0) }, offset + slice.count < events.count)
        }
        guard let page else { return Reply.error(.notFound, "NOT_FOUND", "no experience with id \(experienceID)") }
        let next = page.more
            ? Cursor(
                resource: binding, sort: "start", from: query["from"] ?? "", to: query["to"] ?? "",
                issuedMillis: milliseconds(self.simulator.now - self.simulator.started), position: .offset(offset + page.items.count)
            ).encode(secret: self.simulator.cursorSecret)
            : ""
        return Reply.json(.ok, Reply.itemsBody(next: next, items: page.items))
    }

    /// `GET /v1/event-availabilities/{eventId}`: one event's availability (404 for an unknown or deleted event).
    func eventAvailability(eventID: String, company: CompanyData) -> Response {
        let bytes: [UInt8]? = company.store.withLock { store in
            guard let index = store.events.index(of: eventID), !store.events[index].deleted else { return nil }
            return EventAvailabilities.item(store, index: index)
        }
        guard let bytes else { return Reply.error(.notFound, "NOT_FOUND", "no event with id \(eventID)") }
        return Reply.json(.ok, bytes)
    }
}

extension Simulator {
    /// Whether a cursor issued at `issuedMillis` is refused now, as the lists refuse one: one of the
    /// next cursors set to expire (``SimulatorFaults/expireNextCursors``), or older than the TTL.
    func cursorExpires(issuedMillis: Int64, faults: SimulatorFaults) -> Bool {
        let expireNow = self.runtime.withLock { runtime in
            guard runtime.faults.expireNextCursors > 0 else { return false }
            runtime.faults.expireNextCursors -= 1
            return true
        }
        guard !expireNow else { return true }
        guard let ttl = faults.cursorTTL else { return false }
        return milliseconds(self.now - self.started) - issuedMillis > milliseconds(ttl)
    }

    /// The availability items `GET /v1/event-availabilities?experienceId=` answers now, every page, no window.
    public func eventAvailabilities(experienceID: String, company: String? = nil) -> [String]? {
        self.requireCompany(company).store.withLock { store in
            guard let experience = store.experiences.index(of: experienceID), !store.experiences[experience].deleted else { return nil }
            return EventAvailabilities.events(store, experience: experience, from: nil, to: nil)
                .map { String(decoding: EventAvailabilities.item(store, index: $0), as: UTF8.self) }
        }
    }

    /// Serves exactly `json` as the availability of `eventID` from now on (a malformed item, say);
    /// nil goes back to the derived one. False for an unknown event.
    @discardableResult
    public func setEventAvailability(eventID: String, json: String?, company: String? = nil) -> Bool {
        self.requireCompany(company).store.withLock { store in
            guard store.events.index(of: eventID) != nil else { return false }
            store.availabilityOverrides[eventID] = json.map { Array($0.utf8) }
            return true
        }
    }
}
