import Foundation
import Hummingbird
import NIOCore

/// Routes every request by hand (one switch, so faults, auth and counting wrap all of `/v1`).
struct SimulatorResponder: HTTPResponder {
    typealias Context = BasicRequestContext
    let simulator: Simulator

    func respond(to request: Request, context: BasicRequestContext) async throws -> Response {
        let path = request.uri.path
        let response: Response
        if path == "/v1/webhook-subscriptions" || path.hasPrefix("/v1/webhook-subscriptions/") {
            response = await self.webhookSubscriptions(request, path: path)
        } else if path == "/_admin/webhooks", self.simulator.configuration.adminEnabled {
            response = await self.adminWebhooks(request)
        } else if path == "/v1" || path.hasPrefix("/v1/") {
            response = await self.api(request, path: path)
            await self.simulator.waitWhileAnswerHeld(path: path)
        } else if Self.isHoldRoute(path), self.simulator.configuration.adminEnabled {
            response = self.adminHold(request, path: path)
        } else if path == "/oauth2/token" {
            response = await self.token(request)
        } else if path == "/oauth2/auth" {
            response = self.authorize(request)
        } else if path == "/oauth2/revoke" {
            response = await self.revoke(request)
        } else if path == "/.well-known/openid-configuration" {
            response = self.discovery(request)
        } else if path == "/.well-known/jwks.json" {
            response = Reply.json(.ok, Array(#"{"keys":[]}"#.utf8))
        } else if path.hasPrefix("/_admin/"), self.simulator.configuration.adminEnabled {
            response = await self.admin(request, path: path)
        } else {
            response = Reply.error(.notFound, "NOT_FOUND", "no route for \(path)")
        }
        self.simulator.runtime.withLock { runtime in
            runtime.requestCounts[path, default: [:]][response.status.code, default: 0] += 1
            if runtime.recordedTargets != nil, path.hasPrefix("/v1/"), response.status.code == 200 {
                runtime.recordedTargets!.append(path + (request.uri.query.map { "?" + $0 } ?? ""))
            }
        }
        return response
    }

    // MARK: discovery

    private func issuer(_ request: Request) -> String {
        if let authority = request.head.authority, !authority.isEmpty { return "http://\(authority)" }
        return self.simulator.baseURL
    }

    private func discovery(_ request: Request) -> Response {
        let issuer = self.issuer(request)
        var w = JSONWriter(capacity: 700)
        w.beginObject()
        w.key("issuer")
        w.string(issuer)
        w.key("token_endpoint")
        w.string(issuer + "/oauth2/token")
        w.key("authorization_endpoint")
        w.string(issuer + "/oauth2/auth")
        w.key("revocation_endpoint")
        w.string(issuer + "/oauth2/revoke")
        w.key("code_challenge_methods_supported")
        w.beginArray()
        w.string("S256")
        w.endArray()
        w.key("jwks_uri")
        w.string(issuer + "/.well-known/jwks.json")
        w.key("scopes_supported")
        w.beginArray()
        for scope in SimulatorClient.knownScopes.sorted() { w.string(scope) }
        w.endArray()
        w.key("grant_types_supported")
        w.beginArray()
        w.string("client_credentials")
        w.string("authorization_code")
        w.string("refresh_token")
        w.endArray()
        w.key("response_types_supported")
        w.beginArray()
        w.string("code")
        w.endArray()
        w.key("token_endpoint_auth_methods_supported")
        w.beginArray()
        w.string("client_secret_post")
        w.endArray()
        w.endObject()
        return Reply.json(.ok, w.bytes)
    }

    // MARK: /v1

    private struct Admission {
        var faults: SimulatorFaults
        var rateLimited = false
        var serverError: HTTPResponse.Status?
        var mutation: MutationBatch?
    }

    private enum Route {
        case me
        case list(SimulatorResource)
        case get(SimulatorResource, String)
        case orderChildren(String, OrderChildKind)
        case bookingTickets(String)
        case experienceTicketVariants(String)
        case eventAvailabilities, eventAvailability(String), informationRequests(String), informationAnswers(String)
        /// A list of ``SimulatorConfiguration/lists``: a page, or one item.
        case other(SimulatorList, id: String?)
    }

    enum OrderChildKind { case lineItems, refunds, transactions }

    private func route(_ path: String) -> Route? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).map(String.init)
        guard let first = parts.first else { return nil }
        let resource = SimulatorResource(rawValue: first)
        if first == "event-availabilities" { return parts.count == 1 ? .eventAvailabilities : parts.count == 2 && !parts[1].isEmpty ? .eventAvailability(parts[1]) : nil }
        if resource == nil, parts.count <= 2, let list = simulator.configuration.lists.first(where: { $0.name == first }) {
            return .other(list, id: parts.count == 2 ? parts[1] : nil)
        }
        switch parts.count {
        case 1:
            if first == "me" { return .me }
            return resource.map { .list($0) }
        case 2:
            guard let resource, !parts[1].isEmpty else { return nil }
            return .get(resource, parts[1])
        case 3:
            if resource == .bookings, !parts[1].isEmpty, parts[2] == "tickets" { return .bookingTickets(parts[1]) }
            if resource == .experiences, !parts[1].isEmpty, parts[2] == "ticket-variants" { return .experienceTicketVariants(parts[1]) }
            if resource == .experiences, !parts[1].isEmpty, parts[2] == "information-requests" { return .informationRequests(parts[1]) }
            if resource == .bookings, !parts[1].isEmpty, parts[2] == "information-request-answers" { return .informationAnswers(parts[1]) }
            guard resource == .orders, !parts[1].isEmpty else { return nil }
            switch parts[2] {
            case "line-items": return .orderChildren(parts[1], .lineItems)
            case "refunds": return .orderChildren(parts[1], .refunds)
            case "transactions": return .orderChildren(parts[1], .transactions)
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func scope(for resource: SimulatorResource) -> String {
        switch resource {
        case .bookings: return "booking.read"
        case .orders: return "order.read"
        case .events: return "event.read"
        case .experiences: return "experience.read"
        case .marketingConsents: return "marketing.read"
        }
    }

    private func api(_ request: Request, path: String) async -> Response {
        let simulator = self.simulator
        let presented = self.bearer(request)
        let arrived = simulator.now
        var bucketClient: String?
        let admission = simulator.runtime.withLock { runtime -> Admission in
            runtime.apiRequests += 1
            runtime.inFlight += 1
            let n = runtime.apiRequests
            var admission = Admission(faults: runtime.faults)
            if let limiter = runtime.faults.rateLimiter {
                let client = presented.flatMap { runtime.tokens[$0]?.clientID } ?? "anonymous"
                var bucket = runtime.buckets[client] ?? RateLimiterBucket(tokens: limiter.burst, refilledAt: arrived)
                if bucket.admit(limiter, now: arrived) {
                    bucket.inFlight += 1
                    bucketClient = client
                } else {
                    admission.rateLimited = true
                }
                runtime.buckets[client] = bucket
            }
            if let every = runtime.faults.rateLimitEveryN, every > 0, n % every == 0 { admission.rateLimited = true }
            if let limit = runtime.faults.maxConcurrentRequests, runtime.inFlight > limit { admission.rateLimited = true }
            if let after = runtime.faults.outageAfterRequests, n > after { admission.serverError = .serviceUnavailable }
            let roll = runtime.faultRandom.unit()
            let statuses: [HTTPResponse.Status] = [.internalServerError, .badGateway, .serviceUnavailable, .gatewayTimeout]
            let pick = statuses[runtime.faultRandom.below(statuses.count)]
            if roll < runtime.faults.errorRate { admission.serverError = pick }
            if let every = runtime.faults.mutateEveryNRequests, every > 0, n % every == 0 {
                admission.mutation = runtime.faults.mutationBatch
            }
            return admission
        }
        defer {
            simulator.runtime.withLock { runtime in
                runtime.inFlight -= 1
                if let client = bucketClient { runtime.buckets[client]?.inFlight -= 1 }
            }
        }

        await simulator.waitWhileHeld(path: path)
        if admission.faults.latency > .zero {
            try? await simulator.configuration.clock.sleep(admission.faults.latency)
        }
        if let batch = admission.mutation {
            // The company of the presented token (if any) is the one whose data moves.
            let company = presented.flatMap { presented in simulator.runtime.withLock { $0.tokens[presented]?.company } } ?? 0
            _ = simulator.companies[company].store.withLock { $0.mutate(batch) }
        }
        if admission.rateLimited {
            var response = Reply.error(.tooManyRequests, "TOO_MANY_REQUESTS", "rate limit exceeded; back off before retrying")
            if let seconds = admission.faults.retryAfterSeconds {
                response.headers[.retryAfter] = String(seconds)
            }
            return response
        }
        if let status = admission.serverError {
            return Reply.error(status, "INTERNAL_SERVER_ERROR", "injected server error")
        }
        if let response = self.injectedPathFault(path, faults: admission.faults) { return response }
        guard let route = self.route(path) else {
            return Reply.error(.notFound, "NOT_FOUND", "no route for \(path)")
        }
        guard request.method == .get || request.method == .head else {
            return Reply.error(.methodNotAllowed, "METHOD_NOT_ALLOWED", "only GET is supported here")
        }
        // Authentication.
        guard let presented else {
            return Reply.unauthorized("missing bearer token")
        }
        let now = self.simulator.now
        let token = simulator.runtime.withLock { $0.tokens[presented] }
        guard let token else { return Reply.unauthorized("unknown access token") }
        guard token.expiresAt > now else { return Reply.unauthorized("access token expired") }
        let company = simulator.companies[token.company]

        let resource: SimulatorResource
        switch route {
        case .me:
            return Reply.json(.ok, company.store.withLock { $0.me })
        case .other(let list, let id):
            guard token.scopes.contains(list.scope) else { return Reply.error(.forbidden, "FORBIDDEN", "the token lacks the scope \(list.scope)") }
            return list.respond(id: id, query: request.uri.query)
        case .list(let r), .get(let r, _): resource = r
        case .orderChildren: resource = .orders
        case .bookingTickets, .informationAnswers: resource = .bookings
        case .experienceTicketVariants, .informationRequests: resource = .experiences
        case .eventAvailabilities, .eventAvailability: resource = .events
        }
        let scope = Self.scope(for: resource)
        guard token.scopes.contains(scope) else {
            if simulator.faults.missingScopeUnauthorized {
                return Reply.error(.unauthorized, "UNAUTHORIZED", "not authorized")
            }
            return Reply.error(.forbidden, "FORBIDDEN", "the token lacks the scope \(scope)")
        }
        var language = 0
        if resource == .experiences {
            switch self.negotiateLanguage(request.headers[.acceptLanguage]) {
            case .success(let index): language = index
            case .failure(let error): return error.response
            }
        }
        switch route {
        case .me, .other:
            return Reply.error(.internalServerError, "INTERNAL_SERVER_ERROR", "unreachable")
        case .list(let resource):
            return self.list(resource, request: request, language: language, faults: admission.faults, company: company)
        case .get(let resource, let id):
            let bytes: [UInt8]? = company.store.withLock { store in
                let table = store.table(resource)
                guard let index = table.index(of: id), !table[index].deleted else { return nil }
                return resource == .experiences ? store.experienceLocalized[index][language] : table[index].json
            }
            guard let bytes else { return Reply.error(.notFound, "NOT_FOUND", "no \(resource.rawValue.dropLast()) with id \(id)") }
            var response = Reply.json(.ok, bytes)
            if resource == .experiences { response.headers[.contentLanguage] = simulator.configuration.languages[language] }
            return response
        case .orderChildren(let id, let kind):
            let items: [[UInt8]]? = company.store.withLock { store in
                guard let index = store.orders.index(of: id), !store.orders[index].deleted else { return nil }
                let children = store.orderChildren[index]
                switch kind {
                case .lineItems: return children.lineItems
                case .refunds: return children.refunds
                case .transactions: return children.transactions
                }
            }
            guard let items else { return Reply.error(.notFound, "NOT_FOUND", "no order with id \(id)") }
            return Reply.json(.ok, Reply.itemsBody(next: nil, items: items))
        case .bookingTickets(let id):
            let items: [[UInt8]]? = company.store.withLock { store in
                guard let index = store.bookings.index(of: id), !store.bookings[index].deleted else { return nil }
                return BookingTickets.items(bookingID: id, booking: store.bookings[index].json, revision: store.childRevisions[id] ?? 0)
            }
            guard let items else { return Reply.error(.notFound, "NOT_FOUND", "no booking with id \(id)") }
            return Reply.json(.ok, Reply.itemsBody(next: nil, items: items))
        case .eventAvailabilities:
            return self.eventAvailabilities(request, faults: admission.faults, company: company)
        case .eventAvailability(let id):
            return self.eventAvailability(eventID: id, company: company)
        case .informationRequests(let id):
            return self.informationRequests(experienceID: id, language: simulator.configuration.languages[language], company: company)
        case .informationAnswers(let id):
            return self.informationAnswers(bookingID: id, company: company)
        case .experienceTicketVariants(let id):
            let items: [[UInt8]]? = company.store.withLock { store in
                guard let index = store.experiences.index(of: id), !store.experiences[index].deleted else { return nil }
                return ExperienceTicketVariants.items(
                    experienceID: id, experience: store.experiences[index].json, revision: store.childRevisions[id] ?? 0
                )
            }
            guard let items else { return Reply.error(.notFound, "NOT_FOUND", "no experience with id \(id)") }
            var response = Reply.json(.ok, Reply.itemsBody(next: "", items: items))
            response.headers[.contentLanguage] = simulator.configuration.languages[language]
            return response
        }
    }

    /// The bearer token of an `Authorization` header, if any.
    func bearer(_ request: Request) -> String? {
        guard let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    }

    struct APIFailure: Error {
        var response: Response
    }

    /// Picks the best storefront language for `Accept-Language` (q-values honoured; `*` = default).
    private func negotiateLanguage(_ header: String?) -> Result<Int, APIFailure> {
        let languages = self.simulator.configuration.languages
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else {
            return .failure(APIFailure(response: Reply.error(.badRequest, "BAD_REQUEST", "the Accept-Language header is required")))
        }
        var ranges: [(tag: String, q: Double, order: Int)] = []
        for (order, part) in header.split(separator: ",").enumerated() {
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard let tag = pieces.first?.lowercased(), !tag.isEmpty else { continue }
            var q = 1.0
            for piece in pieces.dropFirst() where piece.hasPrefix("q=") {
                q = Double(piece.dropFirst(2)) ?? 0
            }
            if q > 0 { ranges.append((tag, q, order)) }
        }
        ranges.sort { $0.q != $1.q ? $0.q > $1.q : $0.order < $1.order }
        for range in ranges {
            if range.tag == "*" { return .success(0) }
            let primary = range.tag.split(separator: "-").first.map(String.init) ?? range.tag
            if let index = languages.firstIndex(where: { $0.lowercased() == range.tag || $0.lowercased() == primary }) {
                return .success(index)
            }
        }
        return .failure(
            APIFailure(
                response: Reply.error(
                    .badRequest, "BAD_REQUEST",
                    "none of the languages in Accept-Language is offered (offered: \(languages.joined(separator: ", ")))"
                )
            )
        )
    }

    // MARK: lists

    private func list(_ resource: SimulatorResource, request: Request, language: Int, faults: SimulatorFaults, company: CompanyData) -> Response {
        // A cursor is bound to its company: another company's cursor is INVALID_CURSOR.
        let cursorResource = company.index == 0 ? resource.rawValue : "\(resource.rawValue)@\(company.index)"
        var query: [String: String] = [:]
        if let raw = request.uri.query {
            for (name, value) in FormDecoding.parse(Substring(raw)) where query[name] == nil {
                query[name] = value
            }
        }
        let maxLimit = resource == .events ? 500 : 100
        var limit = 100
        if let text = query["limit"] {
            guard let value = Int(text), (1...maxLimit).contains(value) else {
                return Reply.error(.badRequest, "BAD_REQUEST", "limit must be an integer from 1 to \(maxLimit)")
            }
            limit = value
        }

        var sort: String
        var field: SortField
        var descending = false
        let filterField: SortField
        switch resource {
        case .bookings, .orders:
            filterField = .created
            let requested = query["sort"] ?? "-created_at"
            switch requested {
            case "created_at", "+created_at": (sort, field) = ("+created_at", .created)
            case "-created_at": (sort, field, descending) = ("-created_at", .created, true)
            case "updated_at", "+updated_at": (sort, field) = ("+updated_at", .updated)
            case "-updated_at": (sort, field, descending) = ("-updated_at", .updated, true)
            default:
                let hint = requested.hasPrefix(" ") ? " (a '+' must be URL-escaped as %2B)" : ""
                return Reply.error(
                    .badRequest, "BAD_REQUEST",
                    "sort must be created_at or updated_at, optionally prefixed with + or -\(hint)"
                )
            }
        case .events:
            (sort, field, filterField) = ("start", .start, .start)
        case .experiences:
            (sort, field, filterField) = ("+created_at", .created, .created)
        case .marketingConsents:
            // No filters or sort are documented: anything but limit and cursor is refused.
            if let unknown = query.keys.sorted().first(where: { $0 != "limit" && $0 != "cursor" }) {
                return Reply.error(.badRequest, "BAD_REQUEST", "unknown query parameter \(unknown); /v1/marketing-consents takes only limit and cursor")
            }
            (sort, field, filterField) = ("+created_at", .created, .created)
        }

        var fromText = ""
        var toText = ""
        var from: Int64?
        var to: Int64?
        if resource != .experiences && resource != .marketingConsents {
            let local = resource == .events
            for (name, isFrom) in [("from", true), ("to", false)] {
                guard let text = query[name], !text.isEmpty else { continue }
                guard let seconds = SimulatorTime.parseSeconds(Substring(text), suffix: local ? "" : "Z") else {
                    let shape = local ? "a local time YYYY-MM-DDTHH:MM:SS without offset" : "a UTC time YYYY-MM-DDTHH:MM:SSZ"
                    return Reply.error(.badRequest, "BAD_REQUEST", "\(name) must be \(shape)")
                }
                let value = local ? seconds : seconds * SimulatorTime.microsPerSecond
                if isFrom {
                    (fromText, from) = (text, value)
                } else {
                    (toText, to) = (text, value)
                }
            }
        }

        let nowMillis = milliseconds(self.simulator.now - self.simulator.started)
        var position = CursorPosition.start
        if let token = query["cursor"], !token.isEmpty {
            guard let cursor = Cursor.decode(token, secret: self.simulator.cursorSecret), cursor.resource == cursorResource else {
                return Reply.cursorLost(faults.cursorLoss, "the cursor is invalid")
            }
            let expireNow = self.simulator.runtime.withLock { runtime in
                guard runtime.faults.expireNextCursors > 0 else { return false }
                runtime.faults.expireNextCursors -= 1
                return true
            }
            if expireNow {
                return Reply.cursorLost(faults.cursorLoss, "the cursor has expired; start the listing again")
            }
            if let ttl = faults.cursorTTL {
                if nowMillis - cursor.issuedMillis > milliseconds(ttl) {
                    return Reply.cursorLost(faults.cursorLoss, "the cursor has expired; start the listing again")
                }
            }
            let sortGiven = query["sort"] != nil
            if (sortGiven && cursor.sort != sort) || (!fromText.isEmpty && cursor.from != fromText) || (!toText.isEmpty && cursor.to != toText) {
                return Reply.cursorLost(faults.cursorLoss, "the cursor does not match the sort/from/to of this request")
            }
            sort = cursor.sort
            switch sort {
            case "+created_at": (field, descending) = (resource == .events ? .start : .created, false)
            case "-created_at": (field, descending) = (.created, true)
            case "+updated_at": (field, descending) = (.updated, false)
            case "-updated_at": (field, descending) = (.updated, true)
            default: (field, descending) = (.start, false)
            }
            let local = resource == .events
            func value(_ text: String) -> Int64? {
                guard !text.isEmpty, let s = SimulatorTime.parseSeconds(Substring(text), suffix: local ? "" : "Z") else { return nil }
                return local ? s : s * SimulatorTime.microsPerSecond
            }
            (fromText, from, toText, to) = (cursor.from, value(cursor.from), cursor.to, value(cursor.to))
            position = cursor.position
        }

        // A server that ignores the sort serves bookings and orders by creation time, whatever was asked.
        if faults.ignoreUpdatedAtSort, field == .updated { field = .created }
        let pageRequest = PageRequest(
            field: field, descending: descending, filterField: filterField, from: from, to: to, limit: limit,
            position: position, unstable: faults.unstablePaging
        )
        let (items, next): ([[UInt8]], CursorPosition?) = company.store.withLock { store in
            let table = store.table(resource)
            let page = table.page(pageRequest)
            let served = faults.listsSkip.isEmpty ? page.indices : page.indices.filter { !faults.listsSkip.contains(table[$0].id) }
            let items =
                resource == .experiences
                ? served.map { store.experienceLocalized[$0][language] }
                : served.map { table[$0].json }
            return (items, page.next)
        }
        let nextToken = next.map {
            Cursor(resource: cursorResource, sort: sort, from: fromText, to: toText, issuedMillis: nowMillis, position: $0)
                .encode(secret: self.simulator.cursorSecret)
        }
        var response = Reply.json(.ok, Reply.itemsBody(next: nextToken ?? "", items: items))
        if resource == .experiences {
            response.headers[.contentLanguage] = self.simulator.configuration.languages[language]
        }
        return response
    }
}

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

    static func error(_ status: HTTPResponse.Status, _ code: String, _ message: String) -> Response {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("code")
        w.string(code)
        w.key("message")
        w.string(message)
        w.endObject()
        return self.json(status, w.bytes)
    }

    /// A successful token response (`Cache-Control: no-store`); `refresh_token` only when given.
    /// A token response; `scopes` nil leaves `scope` out.
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

    static func oauth(_ status: HTTPResponse.Status, _ error: String, _ description: String) -> Response {
        var w = JSONWriter(capacity: 128)
        w.beginObject()
        w.key("error")
        w.string(error)
        w.key("error_description")
        w.string(description)
        w.endObject()
        var response = self.json(status, w.bytes)
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
