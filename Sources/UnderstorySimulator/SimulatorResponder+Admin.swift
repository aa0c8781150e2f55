import Foundation
import Hummingbird

/// `/_admin/...`: served only when `adminEnabled`. No authentication; never expose it publicly.
///
/// - `POST /_admin/mutate?updates=3&creates=1&cancels=1&resources=bookings,orders,events`
/// - `POST /_admin/touch?resource=bookings&id=…`, `POST /_admin/cancel?resource=…&id=…`
/// - `POST /_admin/corrupt?resource=…&id=…&field=status`
/// - `POST /_admin/set?resource=…&id=…` with a JSON object body: each top-level member replaces that field
///   (raw JSON value kept as sent: a future `updated_at`, a `\u0000` in a string, `null`); no fresh `updated_at`
/// - `POST /_admin/delete?resource=…&id=…` (lists omit it, its GET and an order's children answer 404)
/// - `POST /_admin/order-children?id=ORDER&change=add-refund|remove-line-item` (the order's `updated_at` stays)
/// - `POST /_admin/set-line-item?id=ORDER&line=N` with a JSON object body: as `set`, for the order's
///   N-th line item (from 1); the order's `updated_at` stays
/// - `GET /_admin/truth` (counts) or `GET /_admin/truth?resource=bookings` (every item with its raw JSON)
/// - `GET /_admin/stats` (requests per path and status, in flight)
/// - `GET /_admin/faults`, `POST /_admin/faults?latency_ms=&error_rate=&rate_limit_every=&max_concurrent=
///   &retry_after=&token_ttl=&cursor_ttl=&unstable_paging=&ignore_updated_at_sort=&missing_scope_401=&mutate_every=&refresh_reuse_grace=` (omitted = unchanged; `none` clears)
/// - `POST /_admin/faults?path=/v1/bookings/ID/tickets&status=500` (a path fault; `*` matches within a segment;
///   `status=none` removes it, `path_faults=none` removes all); `POST /_admin/faults?not_found_after_create=3` (new
///   items answer 404 for 3 s after `mutate` creates them); an item with a value jsonb refuses: `/_admin/set` with
///   `{"note":"\ud800"}` or `{"note":1e1000000}`
/// - `POST /_admin/expire-tokens`
/// - `POST /_admin/consent?decision=approve|deny&company=ID` (what `/oauth2/auth` answers from now on)
/// - `POST /_admin/revoke-consent?company=ID[&app=ID]` (revokes that company's refresh and access tokens)
/// - `POST /_admin/bulk-connect[?companies=N][&app=ID]` (consents for the first N companies, default all, as if each had
///   approved the app: `{"grants":[{"company_id":…,"refresh_token":…,"scopes":"…"}]}`)
///
/// The data routes (mutate, touch, cancel, corrupt, truth) take `company=ID` (default: the primary
/// company); an unknown company is 404.
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
        let companyID = query["company"].flatMap { $0.isEmpty ? nil : $0 }
        guard simulator.companyData(companyID) != nil else {
            return Reply.error(.notFound, "NOT_FOUND", "no company \(companyID ?? "")")
        }

        switch path {
        case "/_admin/mutate" where isPost:
            var batch = MutationBatch(updates: int("updates") ?? 3, creates: int("creates") ?? 1, cancels: int("cancels") ?? 1)
            if let list = query["resources"] {
                let parsed = list.split(separator: ",").compactMap { SimulatorResource(rawValue: String($0)) }
                batch.resources = Set(parsed)
            }
            let summary = simulator.mutate(batch, company: companyID)
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
            guard let resource = resource(), let id = query["id"], let updatedAt = simulator.touch(resource, id: id, company: companyID) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array("{\"updated_at\":\"\(updatedAt)\"}".utf8))

        case "/_admin/cancel" where isPost:
            guard let resource = resource(), let id = query["id"], simulator.cancel(resource, id: id, company: companyID) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array(#"{"cancelled":true}"#.utf8))

        case "/_admin/corrupt" where isPost:
            guard let resource = resource(), let id = query["id"], let field = query["field"],
                simulator.corrupt(resource: resource, id: id, removingField: field, company: companyID)
            else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id, or no field given")
            }
            return Reply.json(.ok, Array(#"{"corrupted":true}"#.utf8))

        case "/_admin/set" where isPost:
            guard let resource = resource(), let id = query["id"] else {
                return Reply.error(.badRequest, "BAD_REQUEST", "resource and id are required")
            }
            var body = (try? await request.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            guard let members = JSONSurgery.topLevelMembers(bytes), !members.isEmpty else {
                return Reply.error(.badRequest, "BAD_REQUEST", "the body must be a JSON object of the fields to set")
            }
            guard simulator.setFields(resource, id: id, members, company: companyID) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array(#"{"set":true}"#.utf8))

        case "/_admin/set-line-item" where isPost:
            guard let id = query["id"], let line = int("line") else {
                return Reply.error(.badRequest, "BAD_REQUEST", "id and line are required")
            }
            var body = (try? await request.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            guard let members = JSONSurgery.topLevelMembers(bytes), !members.isEmpty else {
                return Reply.error(.badRequest, "BAD_REQUEST", "the body must be a JSON object of the fields to set")
            }
            guard simulator.setLineItemFields(orderID: id, line: line, members, company: companyID) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown order or line")
            }
            return Reply.json(.ok, Array(#"{"set":true}"#.utf8))

        case "/_admin/delete" where isPost:
            guard let resource = resource(), let id = query["id"], simulator.delete(resource, id: id, company: companyID) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array(#"{"deleted":true}"#.utf8))

        case "/_admin/order-children" where isPost:
            guard let id = query["id"], let change = query["change"].flatMap(OrderChildrenChange.init(rawValue:)) else {
                return Reply.error(.badRequest, "BAD_REQUEST", "id and change=add-refund|remove-line-item are required")
            }
            guard simulator.changeOrderChildren(orderID: id, change, company: companyID) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown order, or nothing to remove")
            }
            return Reply.json(.ok, Array(#"{"changed":true}"#.utf8))

        case "/_admin/expire-tokens" where isPost:
            simulator.expireAllTokens()
            return Reply.json(.ok, Array(#"{"expired":true}"#.utf8))

        case "/_admin/consent" where isPost:
            switch query["decision"] {
            case "approve": simulator.setConsent(.approve(companyID: companyID))
            case "deny": simulator.setConsent(.deny)
            default: return Reply.error(.badRequest, "BAD_REQUEST", "decision must be approve or deny")
            }
            return Reply.json(.ok, Self.describe(simulator.consent))

        case "/_admin/revoke-consent" where isPost:
            simulator.revokeConsent(company: companyID, appID: query["app"])
            return Reply.json(.ok, Array(#"{"revoked":true}"#.utf8))

        case "/_admin/bulk-connect" where isPost:
            let ids = simulator.companyIDs
            let count = int("companies") ?? ids.count
            guard count >= 0, count <= ids.count else {
                return Reply.error(.badRequest, "BAD_REQUEST", "companies must be 0…\(ids.count) (the companies this simulator serves)")
            }
            if let app = query["app"], !simulator.configuration.apps.contains(where: { $0.id == app }) {
                return Reply.error(.badRequest, "BAD_REQUEST", "no app \(app)")
            }
            let grants = simulator.bulkConnect(companies: Array(ids.prefix(count)), appID: query["app"])
            var w = JSONWriter(capacity: 128 * grants.count + 16)
            w.beginObject()
            w.key("grants")
            w.beginArray()
            for grant in grants {
                w.beginObject()
                w.key("company_id")
                w.string(grant.companyID)
                w.key("refresh_token")
                w.string(grant.refreshToken)
                w.key("scopes")
                w.string(grant.scopes.joined(separator: " "))
                w.endObject()
            }
            w.endArray()
            w.endObject()
            return Reply.json(.ok, w.bytes)

        case "/_admin/truth":
            let truth = simulator.truth(company: companyID)
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
            let oauth = simulator.oauthStatistics
            w.key("oauth")
            w.beginObject()
            for (key, value) in [
                ("authorizations", oauth.authorizations), ("denials", oauth.denials), ("code_exchanges", oauth.codeExchanges),
                ("code_exchange_failures", oauth.codeExchangeFailures), ("refreshes", oauth.refreshes),
                ("refresh_reuse_rejected", oauth.refreshReuseRejected), ("revocations", oauth.revocations),
            ] {
                w.key(dynamic: key)
                w.int(value)
            }
            w.key("live_refresh_tokens")
            w.beginObject()
            for id in simulator.companyIDs {
                w.key(dynamic: id)
                w.int(simulator.liveRefreshTokenCount(company: id))
            }
            w.endObject()
            w.endObject()
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
                    if let text = query["ignore_updated_at_sort"] { faults.ignoreUpdatedAtSort = text == "true" || text == "1" }
                    if let text = query["missing_scope_401"] { faults.missingScopeUnauthorized = text == "true" || text == "1" }
                    if let value = optionalInt("mutate_every") { faults.mutateEveryNRequests = value }
                    if let seconds = query["refresh_reuse_grace"].flatMap(Double.init) {
                        faults.refreshTokenReuseGrace = .milliseconds(Int64(seconds * 1000))
                    }
                    Self.updatePathFaults(&faults, query: query)
                }
            }
            return Reply.json(.ok, Self.describe(simulator.faults))

        default:
            return Reply.error(.notFound, "NOT_FOUND", "no admin route \(request.method.rawValue) \(path)")
        }
    }

    static func describe(_ consent: SimulatorConsent) -> [UInt8] {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("decision")
        switch consent {
        case .approve(let companyID):
            w.string("approve")
            w.key("company")
            if let companyID { w.string(companyID) } else { w.null() }
        case .deny:
            w.string("deny")
        }
        w.endObject()
        return w.bytes
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
        w.key("ignore_updated_at_sort")
        w.bool(faults.ignoreUpdatedAtSort)
        w.key("missing_scope_401")
        w.bool(faults.missingScopeUnauthorized)
        w.key("mutate_every")
        optional(faults.mutateEveryNRequests)
        w.key("refresh_reuse_grace_ms")
        w.int(milliseconds(faults.refreshTokenReuseGrace))
        describePathFaults(faults, into: &w)
        w.endObject()
        return w.bytes
    }
}
