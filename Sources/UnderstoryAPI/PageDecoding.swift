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

    /// Decodes a list envelope (`{"next", "items"}`).
    static func decodeList<Item: APIModel>(
        _ type: Item.Type,
        from body: ByteBuffer,
        context: Context
    ) throws -> (items: [Fetched<Item>], next: String?) {
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
            // One decode of the whole page (the decoder's fixed cost is paid once, not per item);
            // the scanner's ranges give each item's raw bytes. Should the page fail to decode, the
            // failing item is decoded alone to name its id and field.
            let decoder = JSONDecoder()
            let models: [Item]
            do {
                models = try decoder.decode(ItemsEnvelope<Item>.self, from: Data(bytes)).items
            } catch {
                for (position, range) in envelope.items.enumerated() {
                    _ = try decodeItem(type, bytes: bytes, range: range, position: position, decoder: decoder, context: context)
                }
                throw UnderstoryAPIError(
                    code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                    detail: "the page does not decode", underlying: error
                )
            }
            guard models.count == envelope.items.count else {
                throw UnderstoryAPIError(
                    code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                    detail: "items counted \(envelope.items.count) by the scanner but \(models.count) by the decoder"
                )
            }
            var items: [Fetched<Item>] = []
            items.reserveCapacity(models.count)
            for (model, range) in zip(models, envelope.items) {
                let raw = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[range]), as: UTF8.self)
                guard raw.utf8.count == range.count else {
                    throw UnderstoryAPIError(
                        code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                        detail: "item is not valid UTF-8"
                    )
                }
                items.append(Fetched(model: model, raw: raw))
            }
            let next = envelope.next.flatMap { $0.isEmpty ? nil : $0 }
            return (items, next)
        }
    }

    /// Decodes a body that is one object (`/v1/me`, `/v1/events/{id}`).
    static func decodeSingle<Item: APIModel>(
        _ type: Item.Type,
        from body: ByteBuffer,
        context: Context
    ) throws -> Fetched<Item> {
        try body.withUnsafeReadableBytes { bytes in
            let range: Range<Int>
            do {
                range = try JSONItemScanner.scanSingleValue(bytes)
            } catch {
                throw UnderstoryAPIError(
                    code: .invalidResponse, path: context.path, resource: context.resource,
                    detail: "malformed body: \(error)", underlying: error
                )
            }
            return try decodeItem(type, bytes: bytes, range: range, position: nil, decoder: JSONDecoder(), context: context)
        }
    }

    private static func decodeItem<Item: APIModel>(
        _ type: Item.Type,
        bytes: UnsafeRawBufferPointer,
        range: Range<Int>,
        position: Int?,
        decoder: JSONDecoder,
        context: Context
    ) throws -> Fetched<Item> {
        let slice = UnsafeRawBufferPointer(rebasing: bytes[range])
        let data = Data(slice)
        let model: Item
        do {
            model = try decoder.decode(Item.self, from: data)
        } catch {
            let id = (try? decoder.decode(IDProbe.self, from: data))?.id
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
            if id == nil, let position { failure.detail = "item #\(position): " + (failure.detail ?? "") }
            throw failure
        }
        let raw = String(decoding: slice, as: UTF8.self)
        guard raw.utf8.count == range.count else {
            throw UnderstoryAPIError(
                code: .invalidResponse, path: context.path, resource: context.resource, page: context.page,
                detail: "item is not valid UTF-8"
            )
        }
        return Fetched(model: model, raw: raw)
    }

    /// `{"items": [...]}`; other envelope keys are skipped by the decoder.
    struct ItemsEnvelope<Element: Decodable>: Decodable {
        var items: [Element]
    }

    /// Reads an item's `id` (string or number) for error messages.
    struct IDProbe: Decodable {
        var id: String?
        enum CodingKeys: String, CodingKey { case id }
        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let text = try? container.decodeIfPresent(String.self, forKey: .id) {
                id = text
            } else if let number = try? container.decodeIfPresent(Int64.self, forKey: .id) {
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
