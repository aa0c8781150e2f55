import CLibPQ
import Foundation
import URLEncoding

/// What the wrapper reads from a connection string before and after libpq uses it: whether libpq
/// can parse it (`PQconninfoParse`), the passwords it holds (so no message built from libpq's
/// text can show them: libpq quotes the part it cannot parse, password included), and which
/// run-time parameters a connection's `options` sets.
enum ConnectionString {
    /// Checks that libpq can parse `text`; the error names what is wrong, with every password redacted.
    static func validate(_ text: String) throws {
        var errorMessage: UnsafeMutablePointer<CChar>?
        if let options = PQconninfoParse(text, &errorMessage) {
            PQconninfoFree(options)
            return
        }
        let reason = errorMessage.map { String(cString: $0) } ?? "out of memory"
        if let errorMessage { PQfreemem(errorMessage) }
        throw PostgresError(
            code: .invalidConnectionString,
            message: "the PostgreSQL connection string is malformed: \(redacting(reason.replacingNewlines(), in: text))",
            hint: "fix DATABASE_URL: a postgresql://user@host:port/database URI or key=value pairs (percent-encode special characters of a URI)"
        )
    }

    /// `message` with every password of `connectionString` replaced by `<redacted>`, and then every
    /// password-shaped part of the message itself (``redactingPasswordShapes(_:)``), so that a
    /// connection string this code does not recognise cannot leak through libpq's quoting either.
    static func redacting(_ message: String, in connectionString: String?) -> String {
        var result = message
        if let connectionString {
            // Longest first, so a password that contains another one is replaced whole.
            for secret in passwords(in: connectionString).sorted(by: { $0.count > $1.count }) where !secret.isEmpty {
                result = result.replacingOccurrences(of: secret, with: "<redacted>")
            }
        }
        return redactingPasswordShapes(result)
    }

    /// `text` with the value of every `password=` (quoted or not, any case, spaces around `=`) and
    /// the password of every `scheme://user:password@` replaced by `<redacted>`: what any libpq
    /// message may quote back, whatever the connection string looked like.
    static func redactingPasswordShapes(_ text: String) -> String {
        var result = text
        for secret in passwords(in: text).sorted(by: { $0.count > $1.count }) where !secret.isEmpty && secret != "<redacted>" {
            result = result.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return result
    }

    /// Every password `text` holds, found textually, so that a string libpq cannot parse is covered
    /// too: the userinfo password and `password=` query parameter of every `…://` URI in it (any
    /// scheme, anywhere: a leading space or a misspelled `postgresq://` is still a URI to a
    /// reader), and every conninfo `password=` value (quoted or not). Percent-decoded forms are included.
    static func passwords(in text: String) -> [String] {
        var found = uriPasswords(text) + userinfoPasswords(text) + conninfoPasswords(text)
        found = found.reduce(into: [String]()) { unique, value in if !unique.contains(value) { unique.append(value) } }
        return found + found.compactMap(PercentEncoding.decode).filter { !found.contains($0) }
    }

    /// The userinfo passwords and `password=` query values of every `scheme://` in `text`.
    private static func uriPasswords(_ text: String) -> [String] {
        var found = [String]()
        var searchStart = text.startIndex
        while let separator = text.range(of: "://", range: searchStart..<text.endIndex) {
            searchStart = separator.upperBound
            // The URI runs to the next double quote (libpq quotes what it cannot parse that way).
            let uriEnd = text[separator.upperBound...].firstIndex(of: "\"") ?? text.endIndex
            let rest = text[separator.upperBound..<uriEnd]
            // Userinfo ends at the last "@" before the path: over-redacting is better than a leak.
            let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
            let authority = rest[..<authorityEnd]
            let userinfoEnd = authority.lastIndex(of: "@") ?? (rest.lastIndex(of: "@"))
            if let userinfoEnd {
                let userinfo = rest[..<userinfoEnd]
                if let colon = userinfo.firstIndex(of: ":") { found.append(String(userinfo[userinfo.index(after: colon)...])) }
            }
            if let query = rest.firstIndex(of: "?") {
                for pair in rest[rest.index(after: query)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                    if parts.count == 2, parts[0].lowercased() == "password" { found.append(String(parts[1])) }
                }
            }
        }
        return found
    }

    /// The `password` of every `user:password@` in `text`, with or without a scheme before it.
    private static func userinfoPasswords(_ text: String) -> [String] {
        var found = [String]()
        for at in text.indices where text[at] == "@" {
            var start = at
            while start > text.startIndex {
                let previous = text.index(before: start)
                let character = text[previous]
                if character.isWhitespace || character == "\"" || character == "'" || character == "/" { break }
                start = previous
            }
            let token = text[start..<at]
            if let colon = token.firstIndex(of: ":"), token.index(after: colon) < token.endIndex {
                found.append(String(token[token.index(after: colon)...]))
            }
        }
        return found
    }

    /// `password=value` and `password = 'quoted \' value'` in a key=value string.
    private static func conninfoPasswords(_ text: String) -> [String] {
        var found = [String]()
        var index = text.startIndex
        while let range = text.range(of: "password", options: .caseInsensitive, range: index..<text.endIndex) {
            index = range.upperBound
            var cursor = range.upperBound
            while cursor < text.endIndex, text[cursor].isWhitespace { cursor = text.index(after: cursor) }
            guard cursor < text.endIndex, text[cursor] == "=" else { continue }
            cursor = text.index(after: cursor)
            while cursor < text.endIndex, text[cursor].isWhitespace { cursor = text.index(after: cursor) }
            var value = ""
            if cursor < text.endIndex, text[cursor] == "'" {
                cursor = text.index(after: cursor)
                var raw = ""
                while cursor < text.endIndex, text[cursor] != "'" {
                    if text[cursor] == "\\", text.index(after: cursor) < text.endIndex {
                        raw.append(text[cursor])
                        cursor = text.index(after: cursor)
                        value.append(text[cursor])
                    } else {
                        value.append(text[cursor])
                    }
                    raw.append(text[cursor])
                    cursor = text.index(after: cursor)
                }
                if raw != value { found.append(raw) }
            } else {
                while cursor < text.endIndex, !text[cursor].isWhitespace {
                    value.append(text[cursor])
                    cursor = text.index(after: cursor)
                }
            }
            found.append(value)
            index = cursor
        }
        return found
    }

    /// The names of the run-time parameters that an `options` value sets (`-c name=value`,
    /// `-cname=value`, `--name=value`), lower-cased with `-` read as `_`, as the server reads them.
    static func parameterNames(inOptions options: String) -> Set<String> {
        // Split on unescaped whitespace; a backslash escapes the next character (libpq's rule).
        var words = [String]()
        var word = ""
        var escaped = false
        for character in options {
            if escaped {
                word.append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character.isWhitespace {
                if !word.isEmpty { words.append(word) }
                word = ""
            } else {
                word.append(character)
            }
        }
        if !word.isEmpty { words.append(word) }

        var names = Set<String>()
        var index = 0
        while index < words.count {
            var setting: String?
            let current = words[index]
            if current == "-c", index + 1 < words.count {
                setting = words[index + 1]
                index += 1
            } else if current.hasPrefix("--") {
                setting = String(current.dropFirst(2))
            } else if current.hasPrefix("-c") {
                setting = String(current.dropFirst(2))
            }
            if let setting, let equals = setting.firstIndex(of: "=") {
                names.insert(setting[..<equals].lowercased().replacingOccurrences(of: "-", with: "_"))
            }
            index += 1
        }
        return names
    }

    /// The `options` value a live connection uses (from its connection string or `PGOPTIONS`).
    static func options(of handle: OpaquePointer) -> String {
        guard let list = PQconninfo(handle) else { return "" }
        defer { PQconninfoFree(list) }
        var pointer = list
        while let keyword = pointer.pointee.keyword {
            if String(cString: keyword) == "options" {
                return pointer.pointee.val.map { String(cString: $0) } ?? ""
            }
            pointer += 1
        }
        return ""
    }
}
