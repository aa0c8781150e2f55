import Foundation
import Hummingbird

/// `/_admin/...`: served only when `adminEnabled`. No authentication; never expose it publicly.
///
/// - `POST /_admin/mutate?updates=3&creates=1&cancels=1&resources=bookings,orders,events`
/// - `POST /_admin/touch?resource=bookings&id=…`, `POST /_admin/cancel?resource=…&id=…`
/// - `POST /_admin/corrupt?resource=…&id=…&field=status`
/// - `GET /_admin/truth` (counts) or `GET /_admin/truth?resource=bookings` (every item with its raw JSON)
/// - `GET /_admin/stats` (requests per path and status, in flight)
/// - `GET /_admin/faults`, `POST /_admin/faults?latency_ms=&error_rate=&rate_limit_every=&max_concurrent=
///   &retry_after=&token_ttl=&cursor_ttl=&unstable_paging=&mutate_every=` (omitted = unchanged; `none` clears)
/// - `POST /_admin/expire-tokens`
extension SimulatorResponder {
    func admin(_ request: Request, path: String) async -> Response {
        var query: [String: String] = [:]
        if let raw = request.uri.query {
            for (name, value) in FormDecoding.parse(Substring(raw)) where query[name] == nil { query[name] = value }
        }
        let simulator = self.simulator
        func resource() -> SimulatorResource? { query["resource"].flatMap(SimulatorResource.init(rawValue:)) }
        func int(_ name: String) -> Int? { query[name].flatMap { Int($0) } }
        let isPost = request.method == .post

        switch path {
        case "/_admin/mutate" where isPost:
            var batch = MutationBatch(updates: int("updates") ?? 3, creates: int("creates") ?? 1, cancels: int("cancels") ?? 1)
            if let list = query["resources"] {
                let parsed = list.split(separator: ",").compactMap { SimulatorResource(rawValue: String($0)) }
                batch.resources = Set(parsed)
            }
            let summary = simulator.mutate(batch)
            var w = JSONWriter(capacity: 1024)
            w.beginObject()
            w.key("updated_at")
            w.string(summary.updatedAt)
            for (key, map) in [("updated", summary.updated), ("created", summary.created), ("cancelled", summary.cancelled)] {
                w.key(dynamic: key)
                w.beginObject()
                for (resource, ids) in map.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    w.key(dynamic: resource.rawValue)
                    w.beginArray()
                    for id in ids { w.string(id) }
                    w.endArray()
                }
                w.endObject()
            }
            w.endObject()
            return Reply.json(.ok, w.bytes)

        case "/_admin/touch" where isPost:
            guard let resource = resource(), let id = query["id"], let updatedAt = simulator.touch(resource, id: id) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array("{\"updated_at\":\"\(updatedAt)\"}".utf8))

        case "/_admin/cancel" where isPost:
            guard let resource = resource(), let id = query["id"], simulator.cancel(resource, id: id) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array(#"{"cancelled":true}"#.utf8))

        case "/_admin/corrupt" where isPost:
            guard let resource = resource(), let id = query["id"], let field = query["field"],
                simulator.corrupt(resource: resource, id: id, removingField: field)
            else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id, or no field given")
            }
            return Reply.json(.ok, Array(#"{"corrupted":true}"#.utf8))

        case "/_admin/expire-tokens" where isPost:
            simulator.expireAllTokens()
            return Reply.json(.ok, Array(#"{"expired":true}"#.utf8))

        case "/_admin/truth":
            let truth = simulator.truth()
            var w = JSONWriter(capacity: 4096)
            w.beginObject()
            if let resource = resource() {
                let items = truth[resource]
                w.key("resource")
                w.string(resource.rawValue)
                w.key("count")
                w.int(items.count)
                w.key("items")
                w.beginArray()
                for id in items.keys.sorted() {
                    guard let item = items[id] else { continue }
                    w.beginObject()
                    w.key("id")
                    w.string(id)
                    w.key("updated_at")
                    w.string(item.updatedAt)
                    w.key("item")
                    w.fragment(item.raw)
                    w.endObject()
                }
                w.endArray()
            } else {
                for resource in SimulatorResource.allCases {
                    w.key(dynamic: resource.rawValue)
                    w.beginObject()
                    w.key("count")
                    w.int(truth[resource].count)
                    w.key("max_updated_at")
                    if let max = truth[resource].values.max(by: { $0.updatedAtMicroseconds < $1.updatedAtMicroseconds }) {
                        w.string(max.updatedAt)
                    } else {
                        w.null()
                    }
                    w.endObject()
                }
            }
            w.endObject()
            return Reply.json(.ok, w.bytes)

        case "/_admin/stats":
            let counts = simulator.requestCounts()
            var w = JSONWriter(capacity: 4096)
            w.beginObject()
            w.key("in_flight")
            w.int(simulator.requestsInFlight)
            w.key("total")
            w.int(counts.values.reduce(0) { $0 + $1.values.reduce(0, +) })
            w.key("requests")
            w.beginObject()
            for path in counts.keys.sorted() {
                w.key(dynamic: path)
                w.beginObject()
                for (status, count) in (counts[path] ?? [:]).sorted(by: { $0.key < $1.key }) {
                    w.key(dynamic: String(status))
                    w.int(count)
                }
                w.endObject()
            }
            w.endObject()
            w.endObject()
            return Reply.json(.ok, w.bytes)

        case "/_admin/faults":
            if isPost {
                func optionalInt(_ name: String) -> Int?? {
                    guard let text = query[name] else { return .none }
                    return text == "none" || text.isEmpty ? .some(nil) : Int(text).map { .some($0) }
                }
                simulator.updateFaults { faults in
                    if let ms = int("latency_ms") { faults.latency = .milliseconds(ms) }
                    if let rate = query["error_rate"].flatMap(Double.init) { faults.errorRate = rate }
                    if let value = optionalInt("rate_limit_every") { faults.rateLimitEveryN = value }
                    if let value = optionalInt("max_concurrent") { faults.maxConcurrentRequests = value }
                    if let value = optionalInt("retry_after") { faults.retryAfterSeconds = value }
                    if let seconds = query["token_ttl"].flatMap(Double.init) { faults.tokenTTL = .milliseconds(Int64(seconds * 1000)) }
                    if let text = query["cursor_ttl"] {
                        faults.cursorTTL = Double(text).map { .milliseconds(Int64($0 * 1000)) }
                    }
                    if let text = query["unstable_paging"] { faults.unstablePaging = text == "true" || text == "1" }
                    if let value = optionalInt("mutate_every") { faults.mutateEveryNRequests = value }
                }
            }
            return Reply.json(.ok, Self.describe(simulator.faults))

        default:
            return Reply.error(.notFound, "NOT_FOUND", "no admin route \(request.method.rawValue) \(path)")
        }
    }

    static func describe(_ faults: SimulatorFaults) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        func optional(_ value: Int?) {
            if let value { w.int(value) } else { w.null() }
        }
        w.beginObject()
        w.key("latency_ms")
        w.int(milliseconds(faults.latency))
        w.key("error_rate")
        w.double(faults.errorRate)
        w.key("rate_limit_every")
        optional(faults.rateLimitEveryN)
        w.key("max_concurrent")
        optional(faults.maxConcurrentRequests)
        w.key("retry_after")
        optional(faults.retryAfterSeconds)
        w.key("token_ttl_ms")
        w.int(milliseconds(faults.tokenTTL))
        w.key("cursor_ttl_ms")
        optional(faults.cursorTTL.map { Int(milliseconds($0)) })
        w.key("unstable_paging")
        w.bool(faults.unstablePaging)
        w.key("mutate_every")
        optional(faults.mutateEveryNRequests)
        w.endObject()
        return w.bytes
    }
}
