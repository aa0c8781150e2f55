/// `GET /v1/bookings/{id}/tickets`: the tickets of a booking, derived from the booking's current
/// JSON (so a changed booking may come with changed tickets, and an unchanged one never does).
///
/// Fields per understory-api.md §5.3: `id`, `status`, `check_in` {`check_in_time`,
/// `checked_in_by`, `method`} (null until checked in), `items` [{`item_type` VARIANT | ADDON,
/// `type_id`, `quantity`}], `urls` [{`type`, `url`}]. The enum values are not documented; the
/// simulator uses ISSUED / CHECKED_IN and method SCAN.
enum BookingTickets {
    /// The tickets of the booking `id` whose JSON is `booking`, as the API's `items` array.
    /// `revision` (``Simulator/changeChildren(_:id:company:)``) gives other tickets for the same booking bytes.
    static func items(bookingID id: String, booking: [UInt8], revision: UInt64 = 0) -> [[UInt8]] {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in booking { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        if revision > 0 { hash = SeededRandom.mix(hash ^ revision) }
        let experience = Self.field("experience_id", in: booking) ?? "unknown"
        let count = Int(hash % 3) + 1
        return (0..<count).map { index in
            let bits = hash >> UInt64(8 * index)
            let adults = Int(bits % 4) + 1
            let children = Int((bits >> 2) % 3)
            let checkedIn = (bits >> 5) % 3 == 0
            var items = "{\"item_type\":\"VARIANT\",\"type_id\":\"tv-\(experience)-adult\",\"quantity\":\(adults)}"
            if children > 0 { items += ",{\"item_type\":\"VARIANT\",\"type_id\":\"tv-\(experience)-child\",\"quantity\":\(children)}" }
            if (bits >> 7) % 4 == 0 { items += ",{\"item_type\":\"ADDON\",\"type_id\":\"addon-\(experience)-lunch\",\"quantity\":1}" }
            let checkIn = checkedIn
                ? "{\"check_in_time\":\"2026-01-0\((index % 9) + 1)T10:00:00.000Z\",\"checked_in_by\":\"staff-\(bits % 7)\",\"method\":\"SCAN\"}"
                : "null"
            let ticket = "{\"id\":\"\(id)-t\(index + 1)\",\"status\":\"\(checkedIn ? "CHECKED_IN" : "ISSUED")\",\"check_in\":\(checkIn),"
                + "\"items\":[\(items)],\"urls\":[{\"type\":\"PDF\",\"url\":\"https://tickets.example/\(id)/\(index + 1).pdf\"}]}"
            return Array(ticket.utf8)
        }
    }

    /// The string value of a top-level `"key":"value"` in compact JSON.
    static func field(_ key: String, in json: [UInt8]) -> String? {
        let text = String(decoding: json, as: UTF8.self)
        guard let start = text.range(of: "\"\(key)\":\"") else { return nil }
        let rest = text[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }
}

extension Simulator {
    /// The tickets `GET /v1/bookings/{id}/tickets` answers now (nil for an unknown or deleted booking).
    public func bookingTickets(bookingID: String, company: Int = 0) -> [String]? {
        companies[company].store.withLock { store in
            guard let index = store.bookings.index(of: bookingID), !store.bookings[index].deleted else { return nil }
            return BookingTickets.items(bookingID: bookingID, booking: store.bookings[index].json, revision: store.childRevisions[bookingID] ?? 0)
                .map { String(decoding: $0, as: UTF8.self) }
        }
    }
}
