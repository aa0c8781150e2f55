/// A `text[]` parameter (`= ANY($1::text[])`, `unnest($1::text[])`), quoted element by element:
/// the values stay a parameter, never SQL text. An empty array is `{}`.
public struct PostgresTextArray: PostgresEncodable, Hashable {
    public var elements: [String]
    public init(_ elements: [String]) { self.elements = elements }

    /// The array literal, every element double-quoted (so `NULL`, commas, braces and spaces stay
    /// text), with `"` and `\` escaped by a backslash.
    public var postgresText: String {
        var text = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { text += "\\" }
                text.unicodeScalars.append(character)
            }
            text += "\""
        }
        return text + "}"
    }
}
