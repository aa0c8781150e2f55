import Hummingbird

/// `GET /_admin/truth` (what is served: counts, or one resource's items with their raw JSON) and
/// `GET /_admin/stats` (requests per path and status, in flight, OAuth counters).
extension SimulatorResponder {
    /// `GET /_admin/truth[?resource=…][&company=…]`.
    func adminTruth(_ request: Request, context: Context) -> Response {
        let query = AdminQuery(request)
        let truth = self.simulator.truth(company: query.company)
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        if let resource = query.resource {
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
    }

    /// `GET /_admin/stats`.
    func adminStats(_ request: Request, context: Context) -> Response {
        let simulator = self.simulator
        let counts = simulator.requestCounts()
        var w = JSONWriter(capacity: 4096)
        w.beginObject()
        w.key("in_flight")
        w.int(simulator.requestsInFlight)
        w.key("total")
        w.int(counts.values.reduce(0) { $0 + $1.values.reduce(0, +) })
        w.key("oauth")
        self.describeOAuth(into: &w)
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
    }

    /// The OAuth counters and each company's live refresh tokens, as an object.
    private func describeOAuth(into w: inout JSONWriter) {
        let oauth = self.simulator.oauthStatistics
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
        for id in self.simulator.companyIDs {
            w.key(dynamic: id)
            w.int(self.simulator.liveRefreshTokenCount(company: id))
        }
        w.endObject()
        w.endObject()
    }
}
