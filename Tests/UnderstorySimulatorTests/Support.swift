import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import URLEncoding
import UnderstorySimulator

/// A small dataset pinned to one anchor, so every test sees the same data shape.
func smallConfiguration(
    seed: UInt64 = 7, bookings: Int = 60, orders: Int = 60, events: Int = 50, experiences: Int = 12
) -> SimulatorConfiguration {
    var config = SimulatorConfiguration(seed: seed, bookings: bookings, orders: orders, events: events, experiences: experiences)
    config.anchor = Date(timeIntervalSince1970: 1_780_000_000)  // 2026-05-28T20:26:40Z
    return config
}

struct HTTPResult: Sendable {
    var status: Int
    var headers: HTTPFields
    var body: [UInt8]

    var text: String { String(decoding: self.body, as: UTF8.self) }

    func json() throws -> [String: Any] {
        guard let object = try JSONSerialization.jsonObject(with: Data(self.body)) as? [String: Any] else {
            throw SimulatorError(message: "not a JSON object: \(self.text.prefix(200))")
        }
        return object
    }

    /// `code` of a `{code, message}` error body.
    var code: String? { (try? self.json())?["code"] as? String }

    func header(_ name: String) -> String? {
        HTTPField.Name(name).flatMap { self.headers[$0] }
    }
}

/// Real loopback HTTP against a running simulator (one keep-alive connection per client).
struct SimClient: Sendable {
    let client: TestClient
    let simulator: Simulator

    static func with<T: Sendable>(_ simulator: Simulator, _ body: @escaping @Sendable (SimClient) async throws -> T) async throws -> T {
        // The read timeout is a bound against a hang, generous for a parallel run on two cores (a
        // held answer waits for the test's next steps).
        try await TestClient.withClient(host: "127.0.0.1", port: simulator.port, configuration: .init(timeout: .seconds(120))) { client in
            try await body(SimClient(client: client, simulator: simulator))
        }
    }

    func send(_ method: HTTPRequest.Method, _ uri: String, headers: [String: String] = [:], body: String? = nil) async throws -> HTTPResult {
        var fields = HTTPFields()
        for (name, value) in headers {
            fields[HTTPField.Name(name)!] = value
        }
        let buffer = body.map { ByteBuffer(string: $0) }
        let request = TestClient.Request(uri, method: method, authority: "127.0.0.1:\(self.simulator.port)", headers: fields, body: buffer)
        let response = try await self.client.execute(request)
        let bytes = response.body.map { Array($0.readableBytesView) } ?? []
        return HTTPResult(status: Int(response.status.code), headers: response.headers, body: bytes)
    }

    func get(_ uri: String, token: String?, headers: [String: String] = [:]) async throws -> HTTPResult {
        var headers = headers
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try await self.send(.get, uri, headers: headers)
    }

    static func formEncode(_ value: String) -> String { PercentEncoding.encode(value) }

    func tokenResponse(
        id: String? = nil, secret: String? = nil, scope: String? = "openid booking.read order.read event.read experience.read",
        audience: String? = "https://api.understory.io", grantType: String = "client_credentials"
    ) async throws -> HTTPResult {
        var pairs = [("grant_type", grantType), ("client_id", id ?? self.simulator.clientID), ("client_secret", secret ?? self.simulator.clientSecret)]
        if let audience { pairs.append(("audience", audience)) }
        if let scope { pairs.append(("scope", scope)) }
        let body = pairs.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        return try await self.send(.post, "/oauth2/token", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: body)
    }

    func token(id: String? = nil, secret: String? = nil, scope: String? = "openid booking.read order.read event.read experience.read") async throws -> String {
        let response = try await self.tokenResponse(id: id, secret: secret, scope: scope)
        guard response.status == 200, let token = try response.json()["access_token"] as? String else {
            throw SimulatorError(message: "token request failed: \(response.status) \(response.text)")
        }
        return token
    }

    /// Pages a list endpoint to the end. Returns every page (ids in order, raw body, next).
    func pages(_ path: String, query: [String: String] = [:], limit: Int, token: String, headers: [String: String] = [:], maxPages: Int = 100_000)
        async throws -> [Page]
    {
        var pages: [Page] = []
        var cursor = ""
        repeat {
            var parts = query.map { "\($0.key)=\(SimClient.formEncode($0.value))" }
            parts.append("limit=\(limit)")
            if !cursor.isEmpty { parts.append("cursor=\(cursor)") }
            let response = try await self.get(path + "?" + parts.sorted().joined(separator: "&"), token: token, headers: headers)
            guard response.status == 200 else { throw SimulatorError(message: "\(path) -> \(response.status) \(response.text)") }
            let object = try response.json()
            let items = object["items"] as? [[String: Any]] ?? []
            let next = object["next"] as? String ?? ""
            pages.append(Page(ids: items.map { $0["id"] as? String ?? "" }, next: next, body: response.body))
            cursor = next
        } while !cursor.isEmpty && pages.count < maxPages
        return pages
    }
}

struct Page: Sendable {
    var ids: [String]
    var next: String
    var body: [UInt8]
}

/// The body the simulator must have sent for a page: the stored item bytes, concatenated.
func expectedBody(next: String?, raws: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    if let next {
        out += Array("{\"next\":\"\(next)\",\"items\":[".utf8)
    } else {
        out += Array("{\"items\":[".utf8)
    }
    for (i, raw) in raws.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        out += raw
    }
    out += Array("]}".utf8)
    return out
}

func parseObject(_ raw: [UInt8]) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(raw))) as? [String: Any] ?? [:]
}
