import Foundation
import Testing

@testable import UnderstoryAPI

@Suite("JSON item scanner")
struct JSONItemScannerTests {
    func scan(_ json: String) throws -> (items: [String], next: String?) {
        let bytes = Array(json.utf8)
        return try bytes.withUnsafeBytes { buffer in
            let envelope = try JSONItemScanner.scanList(buffer)
            let items = envelope.items.map { String(decoding: bytes[$0], as: UTF8.self) }
            return (items, envelope.next)
        }
    }

    @Test("finds the exact bytes of each element of items")
    func findsElements() throws {
        let json = #"{"next":"abc","items":[{"id":"1","a":[1,2,{"b":null}]} , {"id":"2"},3,"x",true,null,-1.5e3]}"#
        let result = try scan(json)
        #expect(result.items == [#"{"id":"1","a":[1,2,{"b":null}]}"#, #"{"id":"2"}"#, "3", #""x""#, "true", "null", "-1.5e3"])
        #expect(result.next == "abc")
    }

    @Test("items before next, whitespace everywhere, other keys skipped")
    func orderAndWhitespace() throws {
        let json = " \n{ \"meta\" : {\"items\": [9]} ,\t\"items\" : [ ] , \"next\" : \"\" } \r\n"
        let result = try scan(json)
        #expect(result.items.isEmpty)
        #expect(result.next == "")
    }

    @Test("next absent or null means no next")
    func nextAbsentOrNull() throws {
        #expect(try scan(#"{"items":[{}]}"#).next == nil)
        #expect(try scan(#"{"items":[{}],"next":null}"#).next == nil)
    }

    @Test("hostile strings: brackets, quotes, escaped backslashes, unicode inside strings")
    func hostileStrings() throws {
        let element = #"{"id":"a\"]}[{","note":"\\","x":"\\\"","emoji":"🌌 ‏مغامرات‎","u":"\u2028\ud83d\ude00","k\"ey}":"]"}"#
        let json = #"{"items":["# + element + #",{"id":"b"}],"next":"c\u002Fd\"e"}"#
        let result = try scan(json)
        #expect(result.items == [element, #"{"id":"b"}"#])
        #expect(result.next == "c/d\"e")
    }

    @Test("escaped key names are recognised")
    func escapedKeys() throws {
        let result = try scan(#"{"it\u0065ms":[1],"n\u0065xt":"z"}"#)
        #expect(result.items == ["1"])
        #expect(result.next == "z")
    }

    @Test("surrogate pairs in next decode to one scalar")
    func surrogatePairs() throws {
        #expect(try scan(#"{"items":[],"next":"\ud83d\ude00"}"#).next == "😀")
    }

    @Test(
        "malformed bodies are rejected",
        arguments: [
            "", "[]", "{", #"{"items":[1,2}"#, #"{"items":[{"a":"b}]}"#, #"{"items":"x"}"#, #"{"next":"x"}"#,
            #"{"items":[1]} x"#, #"{"items":[{]}]}"#, #"{"items":[1 2]}"#, "{\"items\":[\"a\u{01}\"]}",
            #"{"items":[1],"next":5}"#, #"{"items":[tru]}"#, #"{"items":[1],"items":[2]}"#,
        ]
    )
    func rejectsMalformed(json: String) {
        #expect(throws: JSONItemScanner.Failure.self) { try scan(json) }
    }

    @Test("deep nesting is capped, not a stack overflow")
    func deepNesting() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: JSONItemScanner.Failure.self) { try scan(#"{"items":["# + deep + "]}") }
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(try scan(#"{"items":["# + ok + "]}").items.count == 1)
    }

    @Test("a single-object body is trimmed to the object")
    func singleValue() throws {
        let bytes = Array("  {\"a\":\"}\"}\n".utf8)
        let range = try bytes.withUnsafeBytes { try JSONItemScanner.scanSingleValue($0) }
        #expect(String(decoding: bytes[range], as: UTF8.self) == #"{"a":"}"}"#)
    }

    @Test("scans a large page linearly")
    func largePage() throws {
        let item = #"{"id":"x","s":"\"[{\\","n":[1,2,3],"o":{"p":null}}"#
        let json = #"{"next":"n","items":["# + Array(repeating: item, count: 20_000).joined(separator: ",") + "]}"
        let result = try scan(json)
        #expect(result.items.count == 20_000)
        #expect(result.items.allSatisfy { $0 == item })
    }
}
