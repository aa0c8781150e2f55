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
    /// An admin request's query, with the company its data routes act on.
    struct AdminQuery {
        var values: [String: String]
        init(_ request: Request) { self.values = request.queryParameters }
        subscript(_ name: String) -> String? { self.values[name] }
        /// `company=ID`; nil (absent or empty) is the primary company.
        var company: String? { self.values["company"].flatMap { $0.isEmpty ? nil : $0 } }
        var resource: SimulatorResource? { self.values["resource"].flatMap(SimulatorResource.init(rawValue:)) }
        func int(_ name: String) -> Int? { self.values[name].flatMap { Int($0) } }
    }

    /// `POST /_admin/mutate?updates=&creates=&cancels=&resources=`: the ids changed, by kind and resource.
    func adminMutate(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        var batch = MutationBatch(updates: query.int("updates") ?? 3, creates: query.int("creates") ?? 1, cancels: query.int("cancels") ?? 1)
        if let list = query["resources"] {
            batch.resources = Set(list.split(separator: ",").compactMap { SimulatorResource(rawValue: String($0)) })
        }
        let summary = self.simulator.mutate(batch, company: query.company)
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
    }

    /// `POST /_admin/touch?resource=&id=`: the fresh `updated_at`.
    func adminTouch(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        guard let resource = query.resource, let id = query["id"],
            let updatedAt = self.simulator.touch(resource, id: id, company: query.company)
        else {
            return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
        }
        return Reply.json(.ok, Array("{\"updated_at\":\"\(updatedAt)\"}".utf8))
    }

    /// `POST /_admin/cancel?resource=&id=`.
    func adminCancel(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        guard let resource = query.resource, let id = query["id"], self.simulator.cancel(resource, id: id, company: query.company) else {
            return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
        }
        return Reply.json(.ok, Array(#"{"cancelled":true}"#.utf8))
    }

    /// `POST /_admin/delete?resource=&id=`.
    func adminDelete(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        guard let resource = query.resource, let id = query["id"], self.simulator.delete(resource, id: id, company: query.company) else {
            return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
        }
        return Reply.json(.ok, Array(#"{"deleted":true}"#.utf8))
    }

    /// `POST /_admin/corrupt?resource=&id=&field=`.
    func adminCorrupt(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        guard let resource = query.resource, let id = query["id"], let field = query["field"],
            self.simulator.corrupt(resource: resource, id: id, removingField: field, company: query.company)
        else {
            return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id, or no field given")
        }
        return Reply.json(.ok, Array(#"{"corrupted":true}"#.utf8))
    }

    /// The top-level members of a JSON object body (the fields `set` and `set-line-item` replace), or the 400.
    private func fieldsToSet(_ request: Request) async -> Result<[(key: String, json: String)], APIFailure> {
        var body = (try? await request.body.collect(upTo: 1 << 20)) ?? ByteBuffer()
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        guard let members = JSONSurgery.topLevelMembers(bytes), !members.isEmpty else {
            return .failure(.badRequest("the body must be a JSON object of the fields to set"))
        }
        return .success(members)
    }

    /// `POST /_admin/set?resource=&id=` with a JSON object body.
    func adminSet(_ request: Request, context: Context) async -> Response {
        let query = AdminQuery(request)
        guard let resource = query.resource, let id = query["id"] else {
            return Reply.error(.badRequest, "BAD_REQUEST", "resource and id are required")
        }
        switch await self.fieldsToSet(request) {
        case .failure(let failure): return failure.response
        case .success(let members):
            guard self.simulator.setFields(resource, id: id, members, company: query.company) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown resource or id")
            }
            return Reply.json(.ok, Array(#"{"set":true}"#.utf8))
        }
    }

    /// `POST /_admin/set-line-item?id=ORDER&line=N` with a JSON object body.
    func adminSetLineItem(_ request: Request, context: Context) async -> Response {
        let query = AdminQuery(request)
        guard let id = query["id"], let line = query.int("line") else {
            return Reply.error(.badRequest, "BAD_REQUEST", "id and line are required")
        }
        switch await self.fieldsToSet(request) {
        case .failure(let failure): return failure.response
        case .success(let members):
            guard self.simulator.setLineItemFields(orderID: id, line: line, members, company: query.company) else {
                return Reply.error(.notFound, "NOT_FOUND", "unknown order or line")
            }
            return Reply.json(.ok, Array(#"{"set":true}"#.utf8))
        }
    }

    /// `POST /_admin/order-children?id=ORDER&change=add-refund|remove-line-item`.
    func adminOrderChildren(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        guard let id = query["id"], let change = query["change"].flatMap(OrderChildrenChange.init(rawValue:)) else {
            return Reply.error(.badRequest, "BAD_REQUEST", "id and change=add-refund|remove-line-item are required")
        }
        guard self.simulator.changeOrderChildren(orderID: id, change, company: query.company) else {
            return Reply.error(.notFound, "NOT_FOUND", "unknown order, or nothing to remove")
        }
        return Reply.json(.ok, Array(#"{"changed":true}"#.utf8))
    }

    /// `POST /_admin/expire-tokens`.
    func adminExpireTokens(_ request: Request, context: Context) -> Response {
        self.simulator.expireAllTokens()
        return Reply.json(.ok, Array(#"{"expired":true}"#.utf8))
    }

    /// `POST /_admin/consent?decision=approve|deny&company=`.
    func adminConsent(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        switch query["decision"] {
        case "approve": self.simulator.setConsent(.approve(companyID: query.company))
        case "deny": self.simulator.setConsent(.deny)
        default: return Reply.error(.badRequest, "BAD_REQUEST", "decision must be approve or deny")
        }
        return Reply.json(.ok, Self.describe(self.simulator.consent))
    }

    /// `POST /_admin/revoke-consent?company=[&app=]`.
    func adminRevokeConsent(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        self.simulator.revokeConsent(company: query.company, appID: query["app"])
        return Reply.json(.ok, Array(#"{"revoked":true}"#.utf8))
    }

    /// `POST /_admin/bulk-connect[?companies=N][&app=ID]`: the grants.
    func adminBulkConnect(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        let simulator = self.simulator
        let ids = simulator.companyIDs
        let count = query.int("companies") ?? ids.count
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
    }

    /// `GET /_admin/faults`; `POST /_admin/faults?…` changes the named faults first.
    func adminFaults(_ request: Request, context: Context) -> Response {
        if request.method == .post {
            let query = AdminQuery(request).values
            self.simulator.updateFaults { faults in Self.updateFaults(&faults, query: query) }
        }
        return Reply.json(.ok, Self.describe(self.simulator.faults))
    }

    /// Sets each fault the query names (omitted: unchanged; `none` or empty clears an optional one).
    static func updateFaults(_ faults: inout SimulatorFaults, query: [String: String]) {
        func int(_ name: String) -> Int? { query[name].flatMap { Int($0) } }
        func optionalInt(_ name: String) -> Int?? {
            guard let text = query[name] else { return .none }
            return text == "none" || text.isEmpty ? .some(nil) : Int(text).map { .some($0) }
        }
        func flag(_ name: String) -> Bool? { query[name].map { $0 == "true" || $0 == "1" } }
        func seconds(_ name: String) -> Duration? { query[name].flatMap(Double.init).map { .milliseconds(Int64($0 * 1000)) } }
        if let ms = int("latency_ms") { faults.latency = .milliseconds(ms) }
        if let rate = query["error_rate"].flatMap(Double.init) { faults.errorRate = rate }
        if let value = optionalInt("rate_limit_every") { faults.rateLimitEveryN = value }
        if let value = optionalInt("max_concurrent") { faults.maxConcurrentRequests = value }
        if let value = optionalInt("retry_after") { faults.retryAfterSeconds = value }
        if let ttl = seconds("token_ttl") { faults.tokenTTL = ttl }
        if query["cursor_ttl"] != nil { faults.cursorTTL = seconds("cursor_ttl") }
        if let value = flag("unstable_paging") { faults.unstablePaging = value }
        if let value = flag("ignore_updated_at_sort") { faults.ignoreUpdatedAtSort = value }
        if let value = flag("missing_scope_401") { faults.missingScopeUnauthorized = value }
        if let value = optionalInt("mutate_every") { faults.mutateEveryNRequests = value }
        if let grace = seconds("refresh_reuse_grace") { faults.refreshTokenReuseGrace = grace }
        Self.updatePathFaults(&faults, query: query)
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
