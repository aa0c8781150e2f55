import Logging
import PostgresClient
import UnderstoryAPI

/// `webhooks subscribe` for one account, so that the API never holds a subscription this database
/// does not know of: a pending row is stored first (a database error stops here), then the API
/// creates the subscription at `{baseURL}/{endpoint}`, then the row is completed with its id and
/// sealed secret. If completing fails, the API subscription is deleted again; if even that fails,
/// the pending row (with its URL) stays to say so.
public enum WebhookSubscribing {
    public static func subscribe(
        companyID: String, baseURL: String, eventTypes: [String], client: UnderstoryClient, database: PostgresConfiguration, key: TokenKey,
        logger: Logger
    ) async throws -> WebhookSubscription {
        let endpoint = WebhookSubscriptionStore.newEndpoint()
        let url = baseURL.hasSuffix("/") ? baseURL + endpoint : baseURL + "/" + endpoint
        try await WebhookSubscriptionStore.with(database: database, logger: logger) { store in
            try await store.savePending(companyID: companyID, endpoint: endpoint, url: url, eventTypes: eventTypes, key: key)
        }
        let created: WebhookSubscription
        do {
            created = try await client.createWebhookSubscription(url: url, eventTypes: eventTypes, logger: logger).model
        } catch {
            try? await WebhookSubscriptionStore.with(database: database, logger: logger) { store in
                try await store.deletePending(companyID: companyID, endpoint: endpoint)
            }
            throw error
        }
        do {
            guard let secret = created.secret else {
                throw SyncError(.invalidData, "the API created subscription \(created.id) but sent no secret")
            }
            try await WebhookSubscriptionStore.with(database: database, logger: logger) { store in
                try await store.complete(companyID: companyID, endpoint: endpoint, subscription: created, secret: secret, key: key)
            }
            return created
        } catch {
            do {
                try await client.deleteWebhookSubscription(id: created.id, logger: logger)
                try? await WebhookSubscriptionStore.with(database: database, logger: logger) { store in
                    try await store.deletePending(companyID: companyID, endpoint: endpoint)
                }
            } catch let deleteError {
                logger.error(
                    "the subscription could not be stored nor deleted; its pending row names it",
                    metadata: ["company_id": "\(companyID)", "subscription": "\(created.id)", "error": "\(deleteError)"]
                )
                throw SyncError(
                    .invalidData,
                    "subscription \(created.id) was created but could not be stored (\(error)) nor deleted (\(deleteError)): delete it with `webhooks unsubscribe \(created.id)`"
                )
            }
            throw error
        }
    }
}
