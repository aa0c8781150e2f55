/// Webhook subscriptions and deliveries, for tests (the same as `/v1/webhook-subscriptions` and
/// `/_admin/webhooks`).
extension Simulator {
    /// A created subscription: its id and the signing secret (`whsec_…`).
    public struct WebhookSubscriptionInfo: Sendable, Hashable {
        public var id: String
        public var url: String
        public var eventTypes: [String]
        public var secret: String
    }

    /// Subscribes `url` to `eventTypes` (default: all eleven) of `company` (nil = primary).
    @discardableResult
    public func subscribeWebhooks(url: String, eventTypes: [String]? = nil, company: String? = nil) -> WebhookSubscriptionInfo {
        let data = self.requireCompany(company)
        let types = Set(eventTypes ?? Array(SimulatorWebhooks.eventTypes))
        let subscription = self.webhooks.create(companyIndex: data.index, url: url, eventTypes: types, enabled: true, description: nil)
        return WebhookSubscriptionInfo(id: subscription.id, url: url, eventTypes: types.sorted(), secret: subscription.secret)
    }

    /// The subscriptions of `company` (nil = primary), secrets included (tests only).
    public func webhookSubscriptions(company: String? = nil) -> [WebhookSubscriptionInfo] {
        self.webhooks.subscriptions(companyIndex: self.requireCompany(company).index).map {
            WebhookSubscriptionInfo(id: $0.id, url: $0.url, eventTypes: $0.eventTypes.sorted(), secret: $0.secret)
        }
    }

    public var webhookFaults: SimulatorWebhookFaults { self.webhooks.state.withLock { $0.faults } }

    public func updateWebhookFaults(_ change: (inout SimulatorWebhookFaults) -> Void) {
        self.webhooks.updateFaults(change)
    }

    public var webhookStatistics: SimulatorWebhookStatistics { self.webhooks.state.withLock { $0.statistics } }
}
