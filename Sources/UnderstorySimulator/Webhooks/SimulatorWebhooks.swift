import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Synchronization
import TimeSource

/// Webhook subscriptions and signed deliveries of thin messages for every change to bookings,
/// events and experiences (Standard Webhooks headers `webhook-id`, `webhook-timestamp`,
/// `webhook-signature`). Changes are enqueued under the store's lock (cheap) and delivered by one
/// background task in order; a failed attempt is retried with back-off in its own task. Every wait
/// (the `delay` fault, the back-off, the out-of-order hold) is on the simulator's clock, and a pause
/// waits for ``updateFaults(_:)`` to lift it, never polling.
final class SimulatorWebhooks: Sendable {
    static let eventTypes: Set<String> = [
        "v1.booking.created", "v1.booking.updated", "v1.booking.cancelled",
        "v1.event.created", "v1.event.updated", "v1.event.cancelled", "v1.event.completed", "v1.event.deleted",
        "v1.experience.created", "v1.experience.updated", "v1.experience.deleted",
    ]

    struct Subscription: Sendable {
        var id: String
        var companyIndex: Int
        var url: String
        var eventTypes: Set<String>
        var enabled: Bool
        var description: String?
        var secret: String
        var createdAt: String
    }

    struct Message: Sendable {
        var webhookID: String
        var url: String
        var secret: String
        var body: [UInt8]
        var attempt = 0
    }

    struct State: Sendable {
        var subscriptions: [Subscription] = []
        var faults = SimulatorWebhookFaults()
        var statistics = SimulatorWebhookStatistics()
        /// Messages taken off the queue so far (out-of-order holds back every other one).
        var delivered = 0
        var worker: Task<Void, Never>?
        var continuation: AsyncStream<Message>.Continuation?
        /// The delivery task while it waits for `paused` to be lifted (or for ``stop()``).
        var pauseWaiter: CheckedContinuation<Void, Never>?
    }

    let companyIDs: [String]
    let clock: any TimeSource
    let state = Mutex(State())

    init(companyIDs: [String], clock: any TimeSource) {
        self.companyIDs = companyIDs
        self.clock = clock
    }

    /// Changes the faults; lifting `paused` lets the delivery task go on at once.
    func updateFaults(_ change: (inout SimulatorWebhookFaults) -> Void) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            change(&state.faults)
            guard !state.faults.paused else { return nil }
            defer { state.pauseWaiter = nil }
            return state.pauseWaiter
        }
        waiter?.resume()
    }

    // MARK: subscriptions

    func create(companyIndex: Int, url: String, eventTypes: Set<String>, enabled: Bool, description: String?) -> Subscription {
        var bytes = [UInt8](repeating: 0, count: 24)
        var generator = SystemRandomNumberGenerator()
        for index in bytes.indices { bytes[index] = generator.next() }
        let subscription = Subscription(
            id: "whs_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""), companyIndex: companyIndex, url: url,
            eventTypes: eventTypes, enabled: enabled, description: description, secret: "whsec_" + Data(bytes).base64EncodedString(),
            createdAt: SimulatorTime.rfc3339(micros: Int64(clock.wallNow.timeIntervalSince1970 * 1_000_000))
        )
        state.withLock { state in
            state.subscriptions.append(subscription)
            if state.worker == nil {
                let (stream, continuation) = AsyncStream.makeStream(of: Message.self)
                state.continuation = continuation
                state.worker = Task { [self] in await self.deliverAll(stream) }
            }
        }
        return subscription
    }

    func subscriptions(companyIndex: Int) -> [Subscription] {
        state.withLock { $0.subscriptions.filter { $0.companyIndex == companyIndex } }
    }

    func delete(id: String, companyIndex: Int) -> Bool {
        state.withLock { state in
            guard let index = state.subscriptions.firstIndex(where: { $0.id == id && $0.companyIndex == companyIndex }) else { return false }
            state.subscriptions.remove(at: index)
            return true
        }
    }

    /// Stops the delivery task (the server is going away); queued messages are dropped.
    func stop() {
        let (worker, waiter) = state.withLock { state -> (Task<Void, Never>?, CheckedContinuation<Void, Never>?) in
            state.continuation?.finish()
            state.continuation = nil
            defer {
                state.worker = nil
                state.pauseWaiter = nil
            }
            return (state.worker, state.pauseWaiter)
        }
        worker?.cancel()
        waiter?.resume()
    }

    // MARK: publishing

    /// Enqueues one message per enabled subscription of the company that wants this type.
    func publish(_ change: StoreChange, companyIndex: Int) {
        guard let type = change.eventType else { return }
        state.withLock { state in
            guard !state.subscriptions.isEmpty, let continuation = state.continuation else { return }
            for subscription in state.subscriptions
            where subscription.companyIndex == companyIndex && subscription.enabled && subscription.eventTypes.contains(type) {
                let body = Self.body(type: type, key: change.payloadKey, id: change.id, hostID: companyIDs[companyIndex], at: clock.wallNow)
                let message = Message(
                    webhookID: "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""),
                    url: subscription.url, secret: subscription.secret, body: body
                )
                state.statistics.messages += 1
                state.statistics.pending += 1
                continuation.yield(message)
            }
        }
    }

    static func body(type: String, key: String, id: String, hostID: String, at time: Date) -> [UInt8] {
        var w = JSONWriter(capacity: 256)
        w.beginObject()
        w.key("id")
        w.string(UUID().uuidString.lowercased())
        w.key("type")
        w.string(type)
        w.key("timestamp")
        w.string(Self.nanosecondTimestamp(time))
        w.key("payload")
        w.beginObject()
        w.key(dynamic: key)
        w.string(id)
        w.key("host_id")
        w.string(hostID)
        w.endObject()
        w.endObject()
        return w.bytes
    }

    /// RFC 3339 with nanoseconds, as Understory's envelope has it.
    static func nanosecondTimestamp(_ date: Date) -> String {
        let micros = Int64(date.timeIntervalSince1970 * 1_000_000)
        let text = SimulatorTime.rfc3339(micros: micros - micros % 1_000_000)
        let fraction = String(format: "%06d000", Int(micros % 1_000_000))
        return text.replacingOccurrences(of: "Z", with: "." + fraction + "Z")
    }

    // MARK: delivering

    private func deliverAll(_ stream: AsyncStream<Message>) async {
        for await message in stream {
            await waitWhilePaused()
            if Task.isCancelled { return }
            let holdBack = state.withLock { state -> Bool in
                state.delivered += 1
                return state.faults.outOfOrder && state.delivered % 2 == 1
            }
            if holdBack {
                // Sent a little later from its own task, so the next message overtakes it.
                Task { [self] in
                    try? await clock.sleep(for: .milliseconds(30))
                    await self.attempt(message)
                }
            } else {
                await attempt(message)
            }
        }
    }

    /// Returns at once unless `paused`; then when ``updateFaults(_:)`` lifts it or ``stop()`` stops delivery.
    private func waitWhilePaused() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let goOn = state.withLock { state -> Bool in
                guard state.faults.paused, state.continuation != nil else { return true }
                state.pauseWaiter = continuation
                return false
            }
            if goOn { continuation.resume() }
        }
    }

    /// One attempt (twice with `duplicate`); on failure, a retry task after back-off.
    private func attempt(_ message: Message) async {
        var message = message
        message.attempt += 1
        let faults = state.withLock { $0.faults }
        if faults.delay > .zero { try? await clock.sleep(for: faults.delay) }
        var ok = await send(message, forge: faults.forgeSignature)
        if faults.duplicate { ok = await send(message, forge: faults.forgeSignature) || ok }
        if ok {
            state.withLock { $0.statistics.pending -= 1 }
            return
        }
        guard message.attempt < faults.maxAttempts else {
            state.withLock {
                $0.statistics.pending -= 1
                $0.statistics.failedMessages += 1
            }
            return
        }
        let exponent = min(message.attempt - 1, 6)
        let wait = min(faults.retryBaseDelay * (1 << exponent), .seconds(5))
        let retry = message
        Task { [self] in
            try? await clock.sleep(for: wait)
            guard !Task.isCancelled else { return }
            await self.attempt(retry)
        }
    }

    private func send(_ message: Message, forge: Bool) async -> Bool {
        let timestamp = Int64(clock.wallNow.timeIntervalSince1970)
        var request = HTTPClientRequest(url: message.url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "understory-simulator-webhooks")
        request.headers.add(name: "webhook-id", value: message.webhookID)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        let secret = forge ? "whsec_" + Data(repeating: 0x42, count: 24).base64EncodedString() : message.secret
        request.headers.add(name: "webhook-signature", value: Self.signature(secret: secret, id: message.webhookID, timestamp: timestamp, body: message.body))
        request.body = .bytes(ByteBuffer(bytes: message.body))
        var ok = false
        do {
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            _ = try? await response.body.collect(upTo: 1 << 16)
            ok = (200..<300).contains(Int(response.status.code))
        } catch {
            ok = false
        }
        state.withLock { state in
            state.statistics.attempts += 1
            if ok { state.statistics.acknowledged += 1 } else { state.statistics.failedAttempts += 1 }
        }
        return ok
    }

    /// `v1,<base64 HMAC-SHA256("{id}.{timestamp}.{body}")>` keyed with the base64 after `whsec_`.
    static func signature(secret: String, id: String, timestamp: Int64, body: [UInt8]) -> String {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        let key = SymmetricKey(data: Data(base64Encoded: encoded) ?? Data(encoded.utf8))
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(id).\(timestamp).".utf8))
        hmac.update(data: body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }
}
