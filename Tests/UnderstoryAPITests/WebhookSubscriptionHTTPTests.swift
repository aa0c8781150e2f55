import AsyncHTTPClient
import Foundation
import SyncTestSupport
import Testing
import UnderstorySimulator

@testable import UnderstoryAPI

@Suite("Webhook subscriptions over HTTP (simulator)")
struct WebhookSubscriptionHTTPTests {
    static func configuration() -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration(seed: 3, bookings: 20, orders: 10, events: 10, experiences: 3)
        configuration.clients = [
            SimulatorClient(id: "hooks", secret: "hooks-secret", scopes: SimulatorClient.allReadScopes.union(["webhook.read", "webhook.write"])),
            SimulatorClient(id: "reader", secret: "reader-secret"),
        ]
        return configuration
    }

    @Test("create returns the secret once; list shows the subscription without it; delete removes it; a second delete is 404")
    func lifecycle() async throws {
        try await withSimulator(Self.configuration()) { sim in
            var configuration = try UnderstoryConfiguration.forSimulator(sim)
            configuration.scopes += ["webhook.read", "webhook.write"]
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                let created = try await client.createWebhookSubscription(url: "http://127.0.0.1:9/hook", eventTypes: ["v1.booking.updated"])
                let secret = try #require(created.model.secret)
                #expect(secret.revealed.hasPrefix("whsec_"))
                _ = try WebhookSignature(secrets: [secret])
                #expect(created.model.eventTypes == ["v1.booking.updated"])
                #expect(created.model.state == "ENABLED")
                let listed = try await client.webhookSubscriptions()
                #expect(listed.map(\.model.id) == [created.model.id])
                #expect(listed[0].model.secret == nil)
                #expect(!listed[0].raw.contains("whsec_"))
                try await client.deleteWebhookSubscription(id: created.model.id)
                #expect(try await client.webhookSubscriptions().isEmpty)
                await #expect(throws: UnderstoryAPIError.self) { try await client.deleteWebhookSubscription(id: created.model.id) }
            }
        }
    }

    @Test("creating needs webhook.write: a read-only key is refused")
    func needsScope() async throws {
        try await withSimulator(Self.configuration()) { sim in
            var configuration = try UnderstoryConfiguration.forSimulator(sim, secret: "reader-secret")
            configuration.clientID = "reader"
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                do {
                    _ = try await client.createWebhookSubscription(url: "http://127.0.0.1:9/hook")
                    Issue.record("a key without webhook.write created a subscription")
                } catch let error as UnderstoryAPIError {
                    #expect(error.code == .forbidden)
                }
            }
        }
    }

    @Test("single GETs of a booking and an experience return the item; an unknown id is notFound")
    func singleGets() async throws {
        try await withSimulator(Self.configuration()) { sim in
            let configuration = try UnderstoryConfiguration.forSimulator(sim)
            try await withHTTPClient(configuration) { http in
                let client = UnderstoryClient(configuration: configuration, httpClient: http, logger: quietLogger)
                let bookingID = sim.ids(.bookings)[0]
                #expect(try await client.booking(id: bookingID).model.id == bookingID)
                let experienceID = sim.ids(.experiences)[0]
                #expect(try await client.experience(id: experienceID).model.id == experienceID)
                do {
                    _ = try await client.booking(id: "nope")
                    Issue.record("an unknown booking was found")
                } catch let error as UnderstoryAPIError {
                    #expect(error.code == .notFound)
                }
            }
        }
    }
}
