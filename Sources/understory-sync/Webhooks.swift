import ArgumentParser
import Foundation
import Logging
import SyncEngine
import UnderstoryAPI

/// `webhooks subscribe|list|unsubscribe`: manage Understory webhook subscriptions; secrets are sealed
/// with `UNDERSTORY_TOKEN_KEY` in `understory.webhook_subscriptions` and never printed.
struct Webhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and delete webhook subscriptions (for `serve`).",
        discussion: """
            These commands request the scopes webhook.read and webhook.write besides UNDERSTORY_SCOPES. The signing \
            secret of a new subscription is stored sealed with UNDERSTORY_TOKEN_KEY and never printed; `serve` reads it \
            from the database. A subscription made elsewhere (Backoffice) is used by giving its secret to `serve` in \
            UNDERSTORY_WEBHOOK_SECRET.
            """,
        subcommands: [Subscribe.self, List.self, Unsubscribe.self]
    )

    static let scopes = ["webhook.read", "webhook.write"]

    /// Runs `body` once per selected account (or once with the integration key), with a client that
    /// asks for the webhook scopes too.
    static func forEachAccount(
        global: GlobalOptions, accounts: AccountSelection, logger: Logger,
        _ body: @escaping @Sendable (String, UnderstoryClient) async throws -> Void
    ) async throws {
        var api = try global.apiConfiguration()
        for scope in scopes where !api.scopes.contains(scope) { api.scopes.append(scope) }
        let environment = global.environment
        let job = SyncJob(database: global.database, api: api, key: Result { try TokenKey(environment: environment) }, logger: logger)
        try await job.forEachCompany(accounts.scope, body)
    }

    struct Subscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a public URL (where `serve` is reachable) to webhooks.")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accounts: AccountSelection

        @Option(help: "The public https URL of `serve`'s POST /webhooks/understory; a key naming the subscription is appended (…/webhooks/understory/sub_…).")
        var url: String

        @Option(name: .customLong("event-type"), help: "An event type (repeat); default: all eleven v1.booking.*, v1.event.*, v1.experience.*.")
        var eventTypes: [String] = []

        func validate() throws {
            guard let parsed = URL(string: url), let scheme = parsed.scheme, ["http", "https"].contains(scheme), parsed.host != nil else {
                throw ValidationError("--url must be an http(s) URL, e.g. https://sync.example.com/webhooks/understory")
            }
            for type in eventTypes where !WebhookSubscription.allEventTypes.contains(type) {
                throw ValidationError("unknown event type \(type); known: \(WebhookSubscription.allEventTypes.joined(separator: " "))")
            }
        }

        func run() async throws {
            let logger = global.makeLogger()
            let key = try TokenKey(environment: global.environment)
            let database = global.database
            let url = self.url
            let types = eventTypes.isEmpty ? WebhookSubscription.allEventTypes : eventTypes
            try await Webhooks.forEachAccount(global: global, accounts: accounts, logger: logger) { companyID, client in
                let subscription = try await WebhookSubscribing.subscribe(
                    companyID: companyID, baseURL: url, eventTypes: types, client: client, database: database, key: key, logger: logger
                )
                print("subscribed \(companyID): \(subscription.id) \(subscription.url ?? url) (\(types.count) event types; secret stored sealed)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the webhook subscriptions the API has (marking those stored here).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accounts: AccountSelection

        func run() async throws {
            let logger = global.makeLogger()
            let database = global.database
            try await Webhooks.forEachAccount(global: global, accounts: accounts, logger: logger) { companyID, client in
                let remote = try await client.webhookSubscriptions(logger: logger)
                let stored = Set(
                    try await WebhookSubscriptionStore.with(database: database, logger: logger) { store in
                        try await store.list(companyID: companyID)
                    }.map(\.id)
                )
                print("account \(companyID): \(remote.count) subscription(s)")
                for item in remote {
                    let subscription = item.model
                    let types = subscription.eventTypes?.count ?? 0
                    let mark = stored.contains(subscription.id) ? "secret stored" : "secret not stored here"
                    print("  \(subscription.id)  \(subscription.state ?? "?")  \(subscription.url ?? "?")  \(types) types  (\(mark))")
                }
            }
        }
    }

    struct Unsubscribe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a webhook subscription (in the API and here).")

        @OptionGroup var global: GlobalOptions
        @OptionGroup var accounts: AccountSelection

        @Argument(help: "The subscription id (see `webhooks list`).")
        var id: String

        func run() async throws {
            let logger = global.makeLogger()
            let database = global.database
            let id = self.id
            try await Webhooks.forEachAccount(global: global, accounts: accounts, logger: logger) { companyID, client in
                try await client.deleteWebhookSubscription(id: id, logger: logger)
                try await WebhookSubscriptionStore.with(database: database, logger: logger) { store in
                    try await store.delete(companyID: companyID, id: id)
                }
                print("unsubscribed \(companyID): \(id)")
            }
        }
    }
}
