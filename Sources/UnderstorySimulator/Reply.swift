import Hummingbird
import NIOCore

func milliseconds(_ duration: Duration) -> Int64 {
    duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
}

/// Response builders.
enum Reply {
    static func json(_ status: HTTPResponse.Status, _ bytes: [UInt8]) -> Response {
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    /// A cursor the simulator no longer accepts, answered in the configured wording.
    static func cursorLost(_ wording: CursorLossAnswer, _ detail: String) -> Response {
        let answer = wording.answer(detail)
        return error(HTTPResponse.Status(code: answer.status), answer.code, answer.message)
    }

    /// The API's error shape: `{"code":…,"message":…}`.
    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        self.json(status, self.object([("code", code), ("message", message)]))
    }

    /// The rows a child endpoint lists for its parent (one page), or 404 naming the parent when
    /// `items` is nil (an unknown or deleted parent). `next`: nil leaves it out, "" sends it empty.
    static func children(_ items: [[UInt8]]?, parent: String, id: String, next: String? = nil) -> Response {
        guard let items else { return self.error(.notFound, "NOT_FOUND", "no \(parent) with id \(id)") }
        return self.json(.ok, self.itemsBody(next: next, items: items))
    }

    /// A JSON object of string members, in the order given.
    private static func object(_ members: [(key: String, value: String)]) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        for member in members {
            w.key(dynamic: member.key)
            w.string(member.value)
        }
        w.endObject()
        return w.bytes
    }

    /// A successful token response (`Cache-Control: no-store`); `scopes` nil leaves `scope` out,
    /// `refresh_token` is sent only when given.
    static func token(access: String, ttl: Duration, scopes: Set<String>?, refresh: String?) -> Response {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("access_token")
        w.string(access)
        w.key("expires_in")
        w.int(ttl.components.seconds)
        w.key("token_type")
        w.string("bearer")
        if let scopes {
            w.key("scope")
            w.string(scopes.sorted().joined(separator: " "))
        }
        if let refresh {
            w.key("refresh_token")
            w.string(refresh)
        }
        w.endObject()
        var response = self.json(.ok, w.bytes)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    static func unauthorized(_ message: String) -> Response {
        var response = self.error(.unauthorized, "UNAUTHORIZED", message)
        response.headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\""
        return response
    }

    /// OAuth's error shape: `{"error":…,"error_description":…}`, not cached.
    static func oauth(_ status: HTTPResponse.Status, _ error: String, _ description: String) -> Response {
        var response = self.json(status, self.object([("error", error), ("error_description", description)]))
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// `{"next":"…","items":[…]}` (or `{"items":[…]}` when `next` is nil) by concatenating stored bytes.
    static func itemsBody(next: String?, items: [[UInt8]]) -> [UInt8] {
        var size = 32 + (next?.utf8.count ?? 0)
        for item in items { size += item.count + 1 }
        var out: [UInt8] = []
        out.reserveCapacity(size)
        if let next {
            out.append(contentsOf: #"{"next":"#.utf8)
            JSONWriter.appendEscaped(next, asciiOnly: false, to: &out)
            out.append(contentsOf: #","items":["#.utf8)
        } else {
            out.append(contentsOf: #"{"items":["#.utf8)
        }
        for (i, item) in items.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: item)
        }
        out.append(contentsOf: "]}".utf8)
        return out
    }
}
