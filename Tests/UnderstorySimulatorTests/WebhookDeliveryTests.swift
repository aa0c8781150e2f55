import Crypto
import Foundation
import Hummingbird
import ServiceLifecycle
import Synchronization
import Testing
import UnderstorySimulator
import SyncTestSupport

/// What a test receiver got.
final class Received: Sendable {
    struct Delivery: Sendable {
        var id: String
        var timestamp: String
        var signature: String
        var body: [UInt8]
    }

    private let list = Mutex<[Delivery]>([])
    /// Answer 500 to the first this many attempts.
    private let failFirst = Mutex(0)

    init(failFirst: Int = 0) { self.failFirst.withLock { $0 = failFirst } }

    var deliveries: [Delivery] { list.withLock { $0 } }

    func take(_ delivery: Delivery) -> Bool {
        list.withLock { $0.append(delivery) }
        return failFirst.withLock { value in
            defer { value -= 1 }
            return value <= 0
        }
    }
}

@Suite("webhook deliveries")
struct WebhookDeliveryTests {
    /// Runs a loopback receiver while `body` runs.
    func withReceiver(_ received: Received, _ body: (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            let buffer = try await request.collectBody(upTo: 1 << 20)
            func header(_ name: String) -> String { request.headers.first { $0.name.canonicalName == name }?.value ?? "" }
            let ok = received.take(
                .init(id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"), body: Array(buffer.readableBytesView))
            )
            return Response(status: ok ? .noContent : .internalServerError)
        }
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) }
        )
        // Stopped by a graceful shutdown, never by cancellation (a connection accepted meanwhile would trap: apple/swift-nio#2637).
        let server = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: quietLogger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { continuation.finish() }
                try await server.run()
            }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            do {
                try await body("http://127.0.0.1:\(port)/hook")
            } catch {
                await server.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
            await server.triggerGracefulShutdown()
            try? await group.waitForAll()
        }
    }


    static func expected(secret: String, _ delivery: Received.Delivery) -> String {
        let key = SymmetricKey(data: Data(base64Encoded: String(secret.dropFirst("whsec_".count)))!)
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(delivery.id).\(delivery.timestamp).".utf8))
        hmac.update(data: delivery.body)
        return "v1," + Data(hmac.finalize()).base64EncodedString()
    }

    @Test("a cancelled booking is delivered as a signed thin v1.booking.cancelled message; a non-2xx is retried with the same webhook-id")
    func cancelledBooking() async throws {
        let clock = VirtualClock()
        var config = smallConfiguration()
        config.clock = clock
        try await withSimulator(config) { sim in
            let received = Received(failFirst: 1)
            try await withReceiver(received) { url in
                sim.updateWebhookFaults { $0.retryBaseDelay = .seconds(2) }
                let subscription = sim.subscribeWebhooks(url: url, eventTypes: ["v1.booking.cancelled"])
                let id = sim.ids(.bookings).first { id in
                    !(String(decoding: sim.truth()[.bookings][id]!.raw, as: UTF8.self).contains("CANCELLED"))
                }!
                sim.cancel(.bookings, id: id)
                #expect(try await eventually { received.deliveries.count == 2 })
                let deliveries = received.deliveries
                #expect(deliveries[0].id == deliveries[1].id && deliveries[0].id.hasPrefix("msg_"))
                for delivery in deliveries {
                    #expect(delivery.signature == Self.expected(secret: subscription.secret, delivery))
                }
                let object = try JSONSerialization.jsonObject(with: Data(deliveries[1].body)) as! [String: Any]
                #expect(object["type"] as? String == "v1.booking.cancelled")
                let payload = object["payload"] as! [String: String]
                #expect(payload["booking_id"] == id)
                #expect(payload["host_id"] == sim.configuration.companyID)
                #expect(try await eventually { sim.webhookStatistics.acknowledged == 1 })
                #expect(clock.sleeps == [.seconds(2)], "the retry waited out its back-off on the simulator's clock")
            }
        }
    }

    @Test("a paused sender queues messages and delivers them, in order, once the pause is lifted")
    func pause() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            let received = Received()
            try await withReceiver(received) { url in
                _ = sim.subscribeWebhooks(url: url, eventTypes: ["v1.event.updated"])
                sim.updateWebhookFaults { $0.paused = true }
                let events = Array(sim.ids(.events).prefix(3))
                for id in events { sim.touch(.events, id: id) }
                #expect(sim.webhookStatistics.pending == 3)
                #expect(received.deliveries.isEmpty)
                #expect(sim.webhookStatistics.attempts == 0, "nothing was sent while paused")
                sim.updateWebhookFaults { $0.paused = false }
                #expect(try await eventually { received.deliveries.count == 3 })
                let ids = try received.deliveries.map { delivery -> String in
                    let object = try JSONSerialization.jsonObject(with: Data(delivery.body)) as! [String: Any]
                    return (object["payload"] as! [String: String])["event_id"] ?? ""
                }
                #expect(ids == events)
            }
        }
    }

    @Test("forge signs with another key; duplicate sends each message twice")
    func switches() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            let received = Received()
            try await withReceiver(received) { url in
                let subscription = sim.subscribeWebhooks(url: url)
                sim.updateWebhookFaults {
                    $0.forgeSignature = true
                    $0.duplicate = true
                }
                sim.touch(.events, id: sim.ids(.events)[0])
                #expect(try await eventually { received.deliveries.count == 2 })
                let deliveries = received.deliveries
                #expect(deliveries[0].id == deliveries[1].id)
                #expect(deliveries[0].body == deliveries[1].body)
                #expect(deliveries[0].signature != Self.expected(secret: subscription.secret, deliveries[0]))
                let object = try JSONSerialization.jsonObject(with: Data(deliveries[0].body)) as! [String: Any]
                #expect(object["type"] as? String == "v1.event.updated")
            }
        }
    }

    @Test("a deleted event is delivered as v1.event.deleted, once; a deleted booking as v1.booking.updated (no booking deletion type exists)")
    func deletions() async throws {
        try await withSimulator(smallConfiguration()) { sim in
            let received = Received()
            try await withReceiver(received) { url in
                _ = sim.subscribeWebhooks(url: url)
                let event = sim.ids(.events)[3]
                let booking = sim.ids(.bookings)[5]
                sim.delete(.events, id: event)
                sim.delete(.bookings, id: booking)
                #expect(try await eventually { received.deliveries.count == 2 })
                let types = try received.deliveries.map { delivery -> String in
                    let object = try JSONSerialization.jsonObject(with: Data(delivery.body)) as! [String: Any]
                    return object["type"] as? String ?? ""
                }
                #expect(Set(types) == ["v1.event.deleted", "v1.booking.updated"])
                // Deleting again changes nothing and announces nothing.
                #expect(!sim.delete(.events, id: event))
                #expect(received.deliveries.count == 2)
            }
        }
    }
}
