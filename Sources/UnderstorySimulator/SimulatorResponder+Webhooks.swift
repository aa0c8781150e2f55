import Foundation
import Hummingbird

/// `/v1/webhook-subscriptions` (POST create with scope `webhook.write`, GET list with
/// `webhook.read`, GET/DELETE one) and `/_admin/webhooks` (delivery switches and statistics).
extension SimulatorResponder {
    /// `POST /v1/webhook-subscriptions` (scope `webhook.write`): 201 with the signing secret.
    func createWebhookSubscription(_ request: Request, context: Context) async -> Response {
        let company = context.authenticatedToken.company
        guard let body = try? await request.body.collect(upTo: 64 * 1024),
            let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        else {
            return Reply.error(.badRequest, "BAD_REQUEST", "the body must be a JSON object")
        }
        guard let url = object["url"] as? String, URL(string: url)?.scheme?.hasPrefix("http") == true else {
            return Reply.error(.badRequest, "BAD_REQUEST", "url is required and must be an http(s) URL")
        }
        guard let types = object["event_types"] as? [String], !types.isEmpty else {
            return Reply.error(.badRequest, "BAD_REQUEST", "event_types is required (at least one)")
        }
        if let unknown = types.first(where: { !SimulatorWebhooks.eventTypes.contains($0) }) {
            return Reply.error(.badRequest, "BAD_REQUEST", "unknown event type \(unknown)")
        }
        guard let state = object["state"] as? String, state == "ENABLED" || state == "DISABLED" else {
            return Reply.error(.badRequest, "BAD_REQUEST", "state is required: ENABLED or DISABLED")
        }
        let webhooks = self.simulator.webhooks
        if webhooks.subscriptions(companyIndex: company).contains(where: { $0.url == url }) {
            return Reply.error(.conflict, "CONFLICT", "a subscription for this url exists")
        }
        let subscription = webhooks.create(
            companyIndex: company, url: url, eventTypes: Set(types), enabled: state == "ENABLED",
            description: object["description"] as? String
        )
        return Reply.json(.created, Self.describe(subscription, withSecret: true))
    }

    /// `GET /v1/webhook-subscriptions` (scope `webhook.read`): one page, without secrets.
    func webhookSubscriptions(_ request: Request, context: Context) -> Response {
        let subscriptions = self.simulator.webhooks.subscriptions(companyIndex: context.authenticatedToken.company)
        return Reply.json(.ok, Reply.itemsBody(next: "", items: subscriptions.map { Self.describe($0, withSecret: false) }))
    }

    /// `GET /v1/webhook-subscriptions/{id}` (scope `webhook.read`).
    func webhookSubscription(_ request: Request, context: Context) -> Response {
        let id = context.parameters.get("id") ?? ""
        let subscriptions = self.simulator.webhooks.subscriptions(companyIndex: context.authenticatedToken.company)
        guard let subscription = subscriptions.first(where: { $0.id == id }) else {
            return Reply.error(.notFound, "NOT_FOUND", "no webhook subscription with id \(id)")
        }
        return Reply.json(.ok, Self.describe(subscription, withSecret: false))
    }

    /// `DELETE /v1/webhook-subscriptions/{id}` (scope `webhook.write`): 204.
    func deleteWebhookSubscription(_ request: Request, context: Context) -> Response {
        let id = context.parameters.get("id") ?? ""
        guard self.simulator.webhooks.delete(id: id, companyIndex: context.authenticatedToken.company) else {
            return Reply.error(.notFound, "NOT_FOUND", "no webhook subscription with id \(id)")
        }
        return Response(status: .noContent)
    }

    static func describe(_ subscription: SimulatorWebhooks.Subscription, withSecret: Bool) -> [UInt8] {
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        w.key("id")
        w.string(subscription.id)
        w.key("url")
        w.string(subscription.url)
        w.key("event_types")
        w.beginArray()
        for type in subscription.eventTypes.sorted() { w.string(type) }
        w.endArray()
        w.key("state")
        w.string(subscription.enabled ? "ENABLED" : "DISABLED")
        if let description = subscription.description {
            w.key("description")
            w.string(description)
        }
        w.key("created_at")
        w.string(subscription.createdAt)
        w.key("updated_at")
        w.string(subscription.createdAt)
        if withSecret {
            w.key("secret")
            w.string(subscription.secret)
        }
        w.endObject()
        return w.bytes
    }

    /// `GET /_admin/webhooks` (switches and statistics); `POST /_admin/webhooks?duplicate=&out_of_order=&delay_ms=&forge=&paused=`.
    func adminWebhooks(_ request: Request, context: Context) -> Response {
        let query = request.queryParameters
        func flag(_ name: String) -> Bool? { query[name].map { $0 == "true" || $0 == "1" } }
        if request.method == .post {
            simulator.updateWebhookFaults { faults in
                if let value = flag("duplicate") { faults.duplicate = value }
                if let value = flag("out_of_order") { faults.outOfOrder = value }
                if let value = flag("forge") { faults.forgeSignature = value }
                if let value = flag("paused") { faults.paused = value }
                if let ms = query["delay_ms"].flatMap({ Int($0) }) { faults.delay = .milliseconds(ms) }
            }
        }
        let faults = simulator.webhookFaults
        let statistics = simulator.webhookStatistics
        var w = JSONWriter(capacity: 512)
        w.beginObject()
        for (key, value) in [("duplicate", faults.duplicate), ("out_of_order", faults.outOfOrder), ("forge", faults.forgeSignature), ("paused", faults.paused)] {
            w.key(dynamic: key)
            w.bool(value)
        }
        w.key("delay_ms")
        w.int(milliseconds(faults.delay))
        for (key, value) in [
            ("messages", statistics.messages), ("attempts", statistics.attempts), ("acknowledged", statistics.acknowledged),
            ("failed_attempts", statistics.failedAttempts), ("failed_messages", statistics.failedMessages), ("pending", statistics.pending),
        ] {
            w.key(dynamic: key)
            w.int(value)
        }
        w.endObject()
        return Reply.json(.ok, w.bytes)
    }
}
