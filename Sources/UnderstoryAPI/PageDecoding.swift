import Foundation
import NIOCore

/// Turns response bodies into ``Fetched`` records: the scanner finds each item's bytes once, each
/// item is decoded from exactly those bytes, and the same bytes become its `raw` text. Linear in
/// the body size.
enum PageDecoding {
    struct Context {
        var resource: String
        var path: String
        var page: Int?
    }

    /// A decoded list page: the items that decode, those that do not (with their raw text), and the cursor.
    struct DecodedList<Item: Sendable> {
        var items: [Fetched<Item>]
        var undecodable: [UndecodableItem]
        var next: String?
    }

    /// Decodes a list envelope (`{"next", "items"}`). A malformed envelope fails the page; an item
    /// that does not decode is returned in ``DecodedList/undecodable`` and the others still decode.
    /// `\u0000` escapes are replaced by `\ufffd` first (see ``NULEscapes``).
    static func decodeList<Item: APIModel>(
        _ type: Item.Type,
        from body: ByteBuffer,
        context: Context
    ) throws -> DecodedList<Item> {
        try body.withUnsafeReadableBytes { bytes in
            let envelope: JSONItemScanner.ListEnvelope
            do {
                envelope = try JSONItemScanner.scanList(bytes)
            } catch {
                throw UnderstoryAPIError(
                    code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                    detail: "malformed list body: \(error)", underlying: error
                )
            }
            let next = envelope.next.flatMap { $0.isEmpty ? nil : $0 }
            // NUL escapes inside items (the cursor is left as sent), and which items had one
            // (both lists ascend: one merge).
            var sanitized = [Bool](repeating: false, count: envelope.items.count)
            var nuls: [Int] = []
            var position = 0
            for offset in NULEscapes.find(in: bytes) {
                while position < envelope.items.count && envelope.items[position].upperBound <= offset { position += 1 }
                guard position < envelope.items.count && envelope.items[position].contains(offset) else { continue }
                sanitized[position] = true
                nuls.append(offset)
            }
            guard !nuls.isEmpty else {
                return decodeItems(type, bytes: bytes, envelope: envelope, sanitized: sanitized, next: next, context: context)
            }
            // `\u0000` and `\ufffd` have the same length: the scanner's ranges hold in the copy.
            let copy = NULEscapes.replacing(nuls, in: bytes)
            return copy.withUnsafeBytes {
                decodeItems(type, bytes: $0, envelope: envelope, sanitized: sanitized, next: next, context: context)
            }
        }
    }

    private static func decodeItems<Item: APIModel>(
        _ type: Item.Type,
        bytes: UnsafeRawBufferPointer,
        envelope: JSONItemScanner.ListEnvelope,
        sanitized: [Bool],
        next: String?,
        context: Context
    ) -> DecodedList<Item> {
        // Each item from its own bytes: the scanner's range is both what is decoded and the raw
        // text. ``ByteRangeDecoder`` decodes well-formed items without a JSON tree; any other item
        // goes to Foundation's decoder, which sets it aside naming its id and field.
        var result = DecodedList<Item>(items: [], undecodable: [], next: next)
        result.items.reserveCapacity(envelope.items.count)
        for (position, range) in envelope.items.enumerated() {
            do {
                let item = try decodeItem(type, bytes: bytes, range: range, context: context)
                result.items.append(Fetched(model: item.model, raw: item.raw, sanitized: sanitized[position]))
            } catch {
                let raw = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                let failure = error as? UnderstoryAPIError ?? UnderstoryAPIError(
                    code: .invalidResponse, path: context.path, resource: context.resource, page: context.page, underlying: error
                )
                result.undecodable.append(UndecodableItem(error: failure, raw: raw))
            }
        }
        return result
    }

    /// Decodes a body that is one object (`/v1/me`, `/v1/events/{id}`).
    static func decodeSingle<Item: APIModel>(
        _ type: Item.Type,
        from body: ByteBuffer,
        context: Context
    ) throws -> Fetched<Item> {
        try body.withUnsafeReadableBytes { bytes in
            let nuls = NULEscapes.find(in: bytes)
            guard !nuls.isEmpty else { return try decodeSingle(type, bytes: bytes, context: context) }
            let copy = NULEscapes.replacing(nuls, in: bytes)
            let item = try copy.withUnsafeBytes { try decodeSingle(type, bytes: $0, context: context) }
            return Fetched(model: item.model, raw: item.raw, sanitized: true)
        }
    }

    private static func decodeSingle<Item: APIModel>(
        _ type: Item.Type,
        bytes: UnsafeRawBufferPointer,
        context: Context
    ) throws -> Fetched<Item> {
        let range: Range<Int>
        do {
            range = try JSONItemScanner.scanSingleValue(bytes)
        } catch {
            throw UnderstoryAPIError(
                code: .invalidResponse, path: context.path, resource: context.resource,
                detail: "malformed body: \(error)", underlying: error
            )
        }
        return try decodeItem(type, bytes: bytes, range: range, context: context)
    }

    /// One item from its bytes: ``ByteRangeDecoder`` when it can vouch for them, otherwise
    /// Foundation's `JSONDecoder`, whose errors name the item's id and field.
    private static func decodeItem<Item: APIModel>(
        _ type: Item.Type,
        bytes: UnsafeRawBufferPointer,
        range: Range<Int>,
        context: Context
    ) throws -> Fetched<Item> {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        if let raw = String(validating: slice, as: UTF8.self), let model = ByteRangeDecoder.decode(Item.self, bytes: bytes, range: range) {
            return Fetched(model: model, raw: raw)
        }
        let decoder = JSONDecoder()
        let data = Data(slice)
        let model: Item
        do {
            model = try decoder.decode(Item.self, from: data)
        } catch {
            let id = IDProbe.id(of: data, field: Item.idField)
            var failure = UnderstoryAPIError(
                code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                itemID: id, underlying: error
            )
            if let decodingError = error as? DecodingError {
                let (field, detail) = describe(decodingError)
                failure.field = field
                failure.detail = detail
            } else {
                failure.detail = "item is not valid JSON"
            }
            throw failure
        }
        let raw = String(decoding: slice, as: UTF8.self)
        guard raw.utf8.count == range.count else {
            throw UnderstoryAPIError(
                code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                itemID: IDProbe.id(of: data, field: Item.idField), detail: "item is not valid UTF-8"
            )
        }
        return Fetched(model: model, raw: raw)
    }

    /// Reads an item's id (its ``APIModel/idField``, string or number) for error messages and quarantine.
    struct IDProbe: Decodable {
        var id: String?

        static func id(of data: Data, field: String) -> String? {
            let decoder = JSONDecoder()
            decoder.userInfo[fieldKey] = field
            return (try? decoder.decode(IDProbe.self, from: data))?.id
        }

        static let fieldKey = CodingUserInfoKey(rawValue: "idField")!

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyKey.self)
            let key = AnyKey(stringValue: decoder.userInfo[Self.fieldKey] as? String ?? "id")
            if let text = try? container.decodeIfPresent(String.self, forKey: key) {
                id = text
            } else if let number = try? container.decodeIfPresent(Int64.self, forKey: key) {
                id = String(number)
            }
        }
    }

    /// (`customer.address.city` / `sessions[0].start_time`, what is wrong with it).
    static func describe(_ error: DecodingError) -> (field: String?, detail: String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (codingPath(context.codingPath + [key]), "required field is missing")
        case .valueNotFound(let type, let context):
            return (codingPath(context.codingPath), "required \(type) is null")
        case .typeMismatch(let type, let context):
            return (codingPath(context.codingPath), "expected \(type): \(context.debugDescription)")
        case .dataCorrupted(let context):
            return (codingPath(context.codingPath), context.debugDescription)
        @unknown default:
            return (nil, "\(error)")
        }
    }

    static func codingPath(_ path: [any CodingKey]) -> String? {
        guard !path.isEmpty else { return nil }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                if !text.isEmpty { text += "." }
                text += key.stringValue
            }
        }
        return text
    }
}
