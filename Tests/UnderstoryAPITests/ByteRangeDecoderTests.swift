import Foundation
import NIOCore
import SyncTestSupport
import Testing
import UnderstorySimulator

@testable import UnderstoryAPI

/// `ByteRangeDecoder` is a fast path: whatever it decodes must equal what Foundation's
/// `JSONDecoder` decodes from the same bytes, and whatever it cannot vouch for must go to Foundation.
@Suite("Decoding items from their bytes")
struct ByteRangeDecoderTests {
    /// The fast path's model for `json`, checked against Foundation's: equal when the fast path
    /// decodes, and then Foundation must decode too.
    @discardableResult
    func fastDecode<Model: Decodable & Equatable>(_ type: Model.Type, _ json: String, sourceLocation: SourceLocation = #_sourceLocation) -> Model? {
        let foundation = try? JSONDecoder().decode(Model.self, from: Data(json.utf8))
        let bytes = Array(json.utf8)
        let fast = bytes.withUnsafeBytes { ByteRangeDecoder.decode(Model.self, bytes: $0, range: 0..<$0.count) }
        if let fast {
            #expect(foundation != nil, "the fast path decoded what Foundation rejects: \(json)", sourceLocation: sourceLocation)
            #expect(fast == foundation, "the fast path differs from Foundation for \(json)", sourceLocation: sourceLocation)
        }
        return fast
    }

    struct Probe: Decodable, Equatable {
        var i: Int
        var i64: Int64?
        var small: UInt8?
        var flag: Bool?
        var list: [String]?
        var map: [String: String]?
        var nested: [Probe]?
    }

    static let booking = #"{"id":"b1","status":"CONFIRMED","created_at":"2024-01-01T00:00:00Z","updated_at":"2024-01-02T00:00:00.123Z","customer":{"full_name":"Zoë","address":{"address_lines":["a","b"]}},"metadata":{"k":"v"}}"#

    @Test("well-formed items decode on the fast path, equal to Foundation's")
    func wellFormed() {
        #expect(fastDecode(Booking.self, Self.booking) != nil)
        #expect(fastDecode(Booking.self, " \n" + Self.booking + "\t ") != nil)
        #expect(fastDecode(Probe.self, #"{"i":-0,"i64":9223372036854775807,"small":255,"flag":false,"list":[],"map":{},"nested":[{"i":1,"nested":null}]}"#) != nil)
        #expect(fastDecode(Probe.self, #"{ "i" : -9223372036854775808 , "list" : [ "a" , "b" ] , "extra" : [ 1.5e3 , { "x" : [ ] } , true , null ] }"#) != nil)
        #expect(fastDecode(Probe.self, #"{"i":1,"map":{"ключ":"значение","emoji_🔑":"🌟","with space":"x"}}"#) != nil)
    }

    @Test("escapes in values decode as Foundation decodes them")
    func escapes() {
        let escaped = fastDecode(Probe.self, #"{"i":1,"list":["line\nbreak","\u00e9t\u00E9","\ud83d\ude00","quote\"slash\\\/","\b\f\r\t"]}"#)
        #expect(escaped?.list == ["line\nbreak", "été", "😀", "quote\"slash\\/", "\u{08}\u{0C}\r\t"])
        // A lone surrogate where it is read: Foundation decides.
        #expect(fastDecode(Probe.self, #"{"i":1,"list":["\ud800"]}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1,"list":["\udc00x"]}"#) == nil)
        // Where it is not read, both accept the item.
        #expect(fastDecode(Probe.self, #"{"i":1,"unread":"\ud800"}"#) != nil)
    }

    @Test("keys: the first of repeated keys wins, as in Foundation; escaped keys are compared unescaped")
    func keys() {
        #expect(fastDecode(Probe.self, #"{"i":1,"i":2}"#)?.i == 1)
        #expect(fastDecode(Probe.self, #"{"i":1,"map":{"k":"1","k":"2"}}"#)?.map == ["k": "1"])
        #expect(fastDecode(Probe.self, #"{"\u0069":1}"#)?.i == 1)
        #expect(fastDecode(Probe.self, #"{"i":1,"map":{"k\u0020":"1","back\\slash":"2"}}"#)?.map == ["k ": "1", "back\\slash": "2"])
        #expect(fastDecode(Probe.self, #"{"i":2,"\u0069":1}"#)?.i == 2)
        #expect(fastDecode(Probe.self, #"{"\ud800":1,"i":1}"#) == nil)  // a key that is not text: Foundation decides
        // Canonically equal but different bytes (é precomposed and decomposed): one key, as in Foundation.
        #expect(fastDecode(Probe.self, "{\"i\":1,\"map\":{\"caf\u{E9}\":\"1\",\"cafe\u{301}\":\"2\"}}") != nil)
    }

    @Test("what the fast path cannot vouch for goes to Foundation, even when a model swallows the error")
    func givesUp() {
        // Numbers Foundation reads as integers but the fast path does not.
        #expect(fastDecode(Probe.self, #"{"i":1.0}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1e2}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":9223372036854775808}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1,"small":256}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1,"small":-1}"#) == nil)
        // Wrong types and nulls where a value is required.
        #expect(fastDecode(Probe.self, #"{"i":"1"}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":null}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"list":[]}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1,"list":[null]}"#) == nil)
        // StringMap skips a value that is not a string with `try?`: Foundation must still decide.
        let withNumber = Self.booking.replacingOccurrences(of: #""metadata":{"k":"v"}"#, with: #""metadata":{"k":"v","n":5}"#)
        #expect(fastDecode(Booking.self, withNumber) == nil)
        // Not JSON, even where the model does not look: left to Foundation.
        #expect(fastDecode(Probe.self, #"{"i":1,"unread":01}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1,"unread":tru}"#) == nil)
        #expect(fastDecode(Probe.self, "{\"i\":1,\"unread\":\"a\tb\"}") == nil)  // a raw tab inside a string
        #expect(fastDecode(Probe.self, #"{"i":1,}"#) == nil)
        #expect(fastDecode(Probe.self, #"{"i":1} {"#) == nil)
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(fastDecode(Probe.self, #"{"i":1,"unread":"# + deep + "}") == nil)
    }

    @Test("every item the simulator serves decodes on the fast path exactly as Foundation decodes it")
    func simulatorItems() async throws {
        try await withSimulatorClient { sim, client in
            var fast = 0, total = 0
            func compare<Model: APIModel & Equatable>(_ type: Model.Type, path: String, query: [(String, String)] = [("limit", "100")], language: String? = nil) async throws {
                let spec = client.makeSpec(path: path, query: query, resource: Model.resourceName, scope: nil, acceptLanguage: language)
                let body = try await client.executor.send(spec, tokens: client.tokens, logger: quietLogger).body
                try body.withUnsafeReadableBytes { bytes in
                    for range in try JSONItemScanner.scanList(bytes).items {
                        total += 1
                        let foundation = try JSONDecoder().decode(Model.self, from: Data(UnsafeRawBufferPointer(rebasing: bytes[range])))
                        let model = try #require(ByteRangeDecoder.decode(Model.self, bytes: bytes, range: range), "\(path): fell back for \(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self))")
                        #expect(model == foundation, "\(path)")
                        fast += 1
                    }
                }
            }
            try await compare(Booking.self, path: "/v1/bookings")
            try await compare(Order.self, path: "/v1/orders")
            try await compare(Event.self, path: "/v1/events")
            try await compare(Experience.self, path: "/v1/experiences", language: "en")
            for id in sim.ids(.orders).prefix(20) {
                try await compare(LineItem.self, path: "/v1/orders/\(id)/line-items", query: [])
                try await compare(Refund.self, path: "/v1/orders/\(id)/refunds", query: [])
                try await compare(Transaction.self, path: "/v1/orders/\(id)/transactions", query: [])
            }
            for id in sim.ids(.bookings).prefix(20) {
                try await compare(Ticket.self, path: "/v1/bookings/\(id)/tickets", query: [])
            }
            for id in sim.ids(.experiences).prefix(4) {
                try await compare(TicketVariant.self, path: "/v1/experiences/\(id)/ticket-variants", query: [], language: "en")
            }
            #expect(total > 250)
            #expect(fast == total)
        }
    }

    @Test("a page mixes both paths: fast items, a fallback item, and a rejected item named by its field")
    func mixedPage() throws {
        let fallback = Self.booking.replacingOccurrences(of: #""id":"b1""#, with: #""id":"b2""#)
            .replacingOccurrences(of: #""metadata":{"k":"v"}"#, with: #""metadata":{"k":"v","n":5}"#)
        let rejected = #"{"id":"b3","created_at":"yesterday","updated_at":"2024-01-02T00:00:00Z"}"#
        let page = #"{"items":["# + [Self.booking, fallback, rejected].joined(separator: ",") + #"],"next":"c2"}"#
        let list = try PageDecoding.decodeList(Booking.self, from: ByteBuffer(string: page), context: .init(resource: "bookings", path: "/v1/bookings", page: 1))
        #expect(list.items.map(\.model.id) == ["b1", "b2"])
        #expect(list.items[1].metadata?["k"] == "v")
        #expect(list.items[1].raw == fallback)
        #expect(list.undecodable.count == 1)
        #expect(list.undecodable.first?.id == "b3")
        #expect(list.undecodable.first?.error.field == "created_at")
        #expect(list.next == "c2")
    }
}
