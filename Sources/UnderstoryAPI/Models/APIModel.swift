/// A record type of the API. `resourceName` names it in errors and logs (`orders`, `line_items`).
public protocol APIModel: Decodable, Sendable {
    static var resourceName: String { get }
    /// The field naming an item, read from one that does not decode (for its quarantine): `id`, or
    /// `event_id` for event availability, which has no id of its own.
    static var idField: String { get }
}

extension APIModel {
    public static var idField: String { "id" }
}

/// A string→string map (`metadata`). Tolerant: a value that is not a string is skipped (the raw
/// JSON still has it) rather than failing the record.
public struct StringMap: Sendable, Hashable, Decodable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    public subscript(key: String) -> String? { values[key] }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        var values: [String: String] = [:]
        for key in container.allKeys {
            if let value = try? container.decodeIfPresent(String.self, forKey: key) {
                values[key.stringValue] = value
            }
        }
        self.values = values
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension KeyedDecodingContainer {
    /// Decodes an optional field whose schema the API leaves open ("any"): a value of another shape
    /// becomes `nil` instead of failing the record (the raw JSON keeps it).
    func decodeLeniently<T: Decodable>(_ type: T.Type, forKey key: Key) -> T? {
        (try? decodeIfPresent(type, forKey: key)) ?? nil
    }
}
