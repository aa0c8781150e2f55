import Foundation
import Logging
import NIOCore
import URLEncoding

extension UnderstoryClient {
    /// `POST /v1/webhook-subscriptions` (scope `webhook.write`). The answer carries the signing
    /// secret, which the API never shows again.
    public func createWebhookSubscription(
        url: String,
        eventTypes: [String] = WebhookSubscription.allEventTypes,
        enabled: Bool = true,
        description: String? = nil,
        logger: Logger? = nil
    ) async throws -> Fetched<WebhookSubscription> {
        struct Body: Encodable {
            var url: String
            var event_types: [String]
            var state: String
            var description: String?
        }
        let body = try JSONEncoder().encode(Body(url: url, event_types: eventTypes, state: enabled ? "ENABLED" : "DISABLED", description: description))
        let path = "/v1/webhook-subscriptions"
        var spec = makeSpec(path: path, query: [], resource: WebhookSubscription.resourceName, scope: "webhook.write")
        spec.method = .POST
        spec.body = ByteBuffer(bytes: body)
        spec.headers.append(("Content-Type", "application/json"))
        let response = try await executor.send(spec, tokens: tokens, logger: logger ?? self.logger)
        return try PageDecoding.decodeSingle(
            WebhookSubscription.self, from: response.body, context: .init(resource: WebhookSubscription.resourceName, path: path)
        )
    }

    /// `GET /v1/webhook-subscriptions` (scope `webhook.read`), every page.
    public func webhookSubscriptions(logger: Logger? = nil) async throws -> [Fetched<WebhookSubscription>] {
        let sequence = PageSequence<WebhookSubscription>(
            client: self,
            request: ListRequest(path: "/v1/webhook-subscriptions", query: [], resource: WebhookSubscription.resourceName, scope: "webhook.read"),
            startCursor: nil,
            logger: logger
        )
        return try await sequence.collectItems()
    }

    /// `DELETE /v1/webhook-subscriptions/{id}` (scope `webhook.write`). An unknown id is `.notFound`.
    public func deleteWebhookSubscription(id: String, logger: Logger? = nil) async throws {
        let path = "/v1/webhook-subscriptions/" + PercentEncoding.encode(id)
        var spec = makeSpec(path: path, query: [], resource: WebhookSubscription.resourceName, scope: "webhook.write")
        spec.method = .DELETE
        _ = try await executor.send(spec, tokens: tokens, logger: logger ?? self.logger)
    }
}
