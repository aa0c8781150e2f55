/// Switches for webhook deliveries (`Simulator.setWebhookFaults`, `POST /_admin/webhooks`).
public struct SimulatorWebhookFaults: Sendable, Hashable {
    /// Deliver every message twice (same `webhook-id`), as a sender whose acknowledgement got lost does.
    public var duplicate = false
    /// Send every other message ~30 ms late from its own task, so the next one overtakes it.
    public var outOfOrder = false
    /// Wait this long before each delivery attempt.
    public var delay: Duration = .zero
    /// Sign with a key that is not the subscription's (the receiver must refuse it).
    public var forgeSignature = false
    /// Stop delivering (messages queue up) until set back to false.
    public var paused = false
    /// First retry after a non-2xx or a failed connection; doubles each attempt, capped at 5 s.
    public var retryBaseDelay: Duration = .milliseconds(100)
    /// Attempts per message before it is dropped (counted in `failedMessages`).
    public var maxAttempts = 8

    public init() {}
}

/// What the webhook sender has done so far.
public struct SimulatorWebhookStatistics: Sendable, Hashable {
    /// Messages created from changes (one per subscription that wants the type).
    public var messages = 0
    /// HTTP attempts made (including duplicates and retries).
    public var attempts = 0
    /// Attempts answered 2xx.
    public var acknowledged = 0
    /// Attempts answered otherwise or not answered.
    public var failedAttempts = 0
    /// Messages given up after `maxAttempts`.
    public var failedMessages = 0
    /// Messages queued or waiting for a retry.
    public var pending = 0
}
