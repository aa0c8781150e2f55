import Foundation
import NIOCore
import Testing

@testable import UnderstoryAPI

@Suite("Model decoding")
struct ModelDecodingTests {
    /// The page's items and cursor; throws the first undecodable item's error.
    func decodeList<Item: APIModel>(_ type: Item.Type, _ json: String) throws -> (items: [Fetched<Item>], next: String?) {
        let list = try PageDecoding.decodeList(type, from: ByteBuffer(string: json), context: .init(resource: Item.resourceName, path: "/v1/test", page: 1))
        if let bad = list.undecodable.first { throw bad.error }
        return (list.items, list.next)
    }

    @Test("unknown fields are ignored and unknown enum values kept")
    func tolerant() throws {
        let json = #"""
            {"items":[{"id":"b1","status":"NO_SHOW","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-02T00:00:00.123Z",
            "customer":{"customer_type":"ROBOT","full_name":"Zoë","address":{"address_lines":["a","b"],"zip_code":"2100"}},
            "metadata":{"k":"v","n":5},"sales_channel":{"deep":[1,2]},"x-internal-flags":null}],"next":""}
            """#
        let (items, next) = try decodeList(Booking.self, json)
        #expect(next == nil)
        let booking = try #require(items.first)
        #expect(booking.status == BookingStatus(rawValue: "NO_SHOW"))
        #expect(booking.status != .active)
        #expect(booking.customer?.customerType?.rawValue == "ROBOT")
        #expect(booking.customer?.address?.zipCode == "2100")
        #expect(booking.metadata?["k"] == "v")
        #expect(booking.metadata?["n"] == nil)
        #expect(booking.updatedAt.rfc3339 == "2024-01-02T00:00:00.123Z")
    }

    @Test("optional fields may be absent or null")
    func absentAndNull() throws {
        let json = #"""
            {"items":[
            {"id":"o1","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"},
            {"id":"o2","number":null,"status":null,"payment_status":null,"customer":null,"origin":null,"totals":null,"metadata":null,"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"},
            {"id":"o3","number":1042,"origin":"weird","totals":{"amount":{"currency":"KWD","value":1234567,"exponent":3},"vat_amount":null},"created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00+01:00"}
            ]}
            """#
        let (items, _) = try decodeList(Order.self, json)
        #expect(items.count == 3)
        #expect(items[0].status == nil && items[1].totals == nil)
        #expect(items[2].number == "1042")
        #expect(items[2].origin == nil)
        #expect(items[2].totals?.amount?.majorUnitsText == "1234.567")
        #expect(items[2].updatedAt < items[2].createdAt)
    }

    @Test("raw keeps each item's bytes exactly, escapes and unicode included")
    func rawExact() throws {
        let item1 = #"{"id":"e\u00e9","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","name":"Tab\there \"q\" 🌌 \\"}"#
        let item2 = "{ \"id\" : \"x\",\n \"created_at\":\"2024-01-01T00:00:00Z\",\"updated_at\":\"2024-01-01T00:00:00Z\" }"
        let (items, next) = try decodeList(Experience.self, #"{"items":["# + item1 + " ,\n" + item2 + #"],"next":"abc"}"#)
        #expect(items.map(\.raw) == [item1, item2])
        #expect(items[0].id == "eé")
        #expect(items[0].name == "Tab\there \"q\" 🌌 \\")
        #expect(next == "abc")
    }

    @Test("a bad item names the resource, the item id and the field")
    func decodingErrorNamesField() throws {
        let json = #"{"items":[{"id":"ev-9","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","sessions":[{"id":"s","start_time":"tomorrow"}]}]}"#
        let error = try #require(throws: UnderstoryAPIError.self) { try decodeList(Event.self, json) }
        #expect(error.code == .invalidResponse)
        #expect(error.resource == "events")
        #expect(error.itemID == "ev-9")
        #expect(error.field == "sessions[0].start_time")
        #expect("\(error)".contains("item id=ev-9"))
    }

    @Test("a missing required field is named")
    func missingRequired() throws {
        let json = #"{"items":[{"id":7,"created_at":"2024-01-01T00:00:00Z"}]}"#
        let error = try #require(throws: UnderstoryAPIError.self) { try decodeList(Booking.self, json) }
        #expect(error.itemID == "7")
        #expect(error.field == "id" || error.field == "updated_at")
    }

    @Test("money with any exponent decodes exactly, negative and beyond 18 included")
    func anyExponent() throws {
        let json = #"{"items":[{"id":"r","amount":{"currency":"X","value":12,"exponent":40}},{"id":"s","amount":{"currency":"X","value":-12,"exponent":-3}}]}"#
        let items = try decodeList(Refund.self, json).items
        #expect(items[0].amount?.majorUnitsText == "0." + String(repeating: "0", count: 38) + "12")
        #expect(items[1].amount?.majorUnitsText == "-12000")
    }

    @Test("one item that does not decode is set aside with its raw text; the rest of the page decodes")
    func oneBadItem() throws {
        let bad = #"{"created_at":"2024-01-01T00:00:00Z","updated_at":"not a time","status":"ACTIVE"}"#
        let json = #"{"items":[{"id":"a","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"},"# + bad
            + #",{"id":"c","created_at":"2024-01-01T00:00:00Z","updated_at":"not a time"}]}"#
        let list = try PageDecoding.decodeList(Booking.self, from: ByteBuffer(string: json), context: .init(resource: "bookings", path: "/v1/bookings", page: 1))
        #expect(list.items.map(\.id) == ["a"])
        #expect(list.undecodable.count == 2)
        #expect(list.undecodable[0].id == nil && list.undecodable[0].raw == bad)
        #expect(list.undecodable[1].id == "c")
        #expect(list.undecodable[1].reason.contains("updated_at"), "\(list.undecodable[1].reason)")
    }

    @Test("\\u0000 in values and keys, nested too, becomes U+FFFD in the model and raw; an escaped backslash before u0000 is left alone")
    func nulEscapes() throws {
        let item = #"{"id":"n","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z","locale":"a\u0000b","customer":{"full_name":"x\u0000","k\u0000":"v"},"source":"\\u0000"}"#
        let list = try PageDecoding.decodeList(Booking.self, from: ByteBuffer(string: #"{"items":["# + item + "]}"), context: .init(resource: "bookings", path: "/v1/bookings", page: 1))
        let booking = try #require(list.items.first)
        #expect(booking.sanitized)
        #expect(booking.locale == "a\u{FFFD}b")
        #expect(booking.customer?.fullName == "x\u{FFFD}")
        #expect(booking.source == "\\u0000")
        #expect(booking.raw == item.replacingOccurrences(of: #"\u0000b"#, with: #"\ufffdb"#).replacingOccurrences(of: #"x\u0000""#, with: #"x\ufffd""#).replacingOccurrences(of: #"k\u0000"#, with: #"k\ufffd"#))
        #expect(!booking.raw.contains(#"\u0000b"#))
        let clean = try PageDecoding.decodeList(Booking.self, from: ByteBuffer(string: #"{"items":[{"id":"m","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}]}"#), context: .init(resource: "bookings", path: "/v1/bookings", page: 1))
        #expect(clean.items.first?.sanitized == false)
    }

    @Test("a malformed envelope is an invalid response")
    func badEnvelope() throws {
        let error = try #require(throws: UnderstoryAPIError.self) { try decodeList(Refund.self, #"{"data":[]}"#) }
        #expect(error.code == .invalidResponse)
    }

    @Test("events decode sessions as local times and capacity")
    func events() throws {
        let json = #"""
            {"items":[{"id":"e1","state":"PAUSED","visibility":"PUBLIC","experience_id":"x","capacity":{"total":12,"reserved":5},
            "sessions":[{"id":"s1","start_time":"2025-10-26T02:30:00","end_time":"2025-10-26T04:00:00","timezone":"Europe/Copenhagen","location_id":"l","languages":["en","da"]}],
            "created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-01T00:00:00Z"}]}
            """#
        let event = try #require(try decodeList(Event.self, json).items.first)
        #expect(event.state?.rawValue == "PAUSED")
        #expect(event.capacity?.free == 7)
        #expect(event.startTime?.queryString == "2025-10-26T02:30:00")
        #expect(event.sessions?.first?.languages == ["en", "da"])
    }

    @Test("line items, refunds and transactions decode with money")
    func orderChildren() throws {
        let line = try decodeList(LineItem.self, #"{"items":[{"quantity":2,"unit_price":{"currency":"JPY","value":3000000000,"exponent":0},"unit_vat_amount":{"currency":"JPY","value":0,"exponent":0},"product_type":"TICKET","product_id":"p","details":{"type":"TICKET","ticket_id":"t"}}]}"#)
        #expect(line.items[0].unitPrice?.majorUnitsText == "3000000000")
        #expect(line.items[0].details?.ticketID == "t")
        let transaction = try decodeList(Transaction.self, #"{"items":[{"id":"t","status":"SETTLED","provider":"STRIPE","amount":{"currency":"BHD","value":1500,"exponent":3},"created_at":"2024-01-01T00:00:00.5Z","details":[]}]}"#)
        #expect(transaction.items[0].amount?.amount == Decimal(string: "1.5"))
        #expect(transaction.items[0].details == nil)
    }
}
