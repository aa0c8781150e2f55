import Testing

@testable import UnderstoryAPI

/// The one byte-level walk the scanner, the syntax check and the decoder share.
@Suite("JSON walk")
struct JSONWalkTests {
    /// Where `skipValue` stops in `text` (from its first byte), or the problem's message.
    static func skip(_ text: String, validated: Bool = false) -> Result<Int, JSONWalk.Problem> {
        Array(text.utf8).withUnsafeBytes { bytes in
            var index = 0
            do throws(JSONWalk.Problem) {
                try JSONWalk.skipValue(bytes, &index, end: bytes.count, validated: validated)
                return .success(index)
            } catch {
                return .failure(error)
            }
        }
    }

    @Test(
        "a value is skipped to its end, whatever follows",
        arguments: [
            (#""a\"b" , 1"#, 6), (#"{"k":[1,{"x":"]"}],"n":null} ]"#, 28), ("[[[]]],", 6), ("true,", 4), ("false]", 5),
            ("null}", 4), ("-12.5e+3 ,", 8), (#"{"\\":"}"}x"#, 10),
        ]
    )
    func skipsValues(text: String, end: Int) {
        #expect(Self.skip(text) == .success(end))
        #expect(Self.skip(text, validated: true) == .success(end), "text the syntax check accepted: the same end, found by depth alone")
    }

    @Test(
        "a broken value names its problem",
        arguments: [
            (#"{"a":1]"#, "mismatched ']'"), (#"["a"}"#, "mismatched '}'"), (#""abc"#, "unterminated string"),
            ("\"a\u{01}b\"", "unescaped control character in a string"), ("[1,2", "unterminated object or array"),
            ("nul", "invalid literal"), ("?", "unexpected byte 0x3f"), ("", "unexpected end of input"),
        ]
    )
    func problems(text: String, message: String) {
        guard case .failure(let problem) = Self.skip(text) else {
            Issue.record("\(text) was skipped")
            return
        }
        #expect(problem.message == message)
    }

    @Test("brackets match beyond the 64 levels kept in one word, and nesting past the limit is refused")
    func deepNesting() {
        let deep = String(repeating: "[{\"k\":", count: 100) + "1" + String(repeating: "}]", count: 100)
        #expect(Self.skip(deep) == .success(deep.utf8.count))
        let wrong = String(repeating: "[", count: 70) + String(repeating: "]", count: 69) + "}"
        #expect((try? Self.skip(wrong).get()) == nil)
        let tooDeep = String(repeating: "[", count: JSONWalk.maxDepth + 1) + String(repeating: "]", count: JSONWalk.maxDepth + 1)
        guard case .failure(let problem) = Self.skip(tooDeep) else {
            Issue.record("nesting past the limit was skipped")
            return
        }
        #expect(problem.message == "nesting deeper than \(JSONWalk.maxDepth)")
    }

    @Test("a string reports whether it has escapes")
    func escapes() throws {
        for (text, escaped) in [(#""plain""#, false), (#""a\nb""#, true), (#""\u00e6""#, true)] {
            let result: Bool? = Array(text.utf8).withUnsafeBytes { bytes in
                var index = 0
                return try? JSONWalk.skipString(bytes, &index, end: bytes.count)
            }
            #expect(result == escaped, "\(text)")
        }
    }
}
