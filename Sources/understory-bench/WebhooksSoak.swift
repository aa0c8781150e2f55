import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import UnderstoryAPI
import UnderstorySimulator

/// The soak part of `webhooks`: a steady stream of signed deliveries to `serve` for minutes, with
/// 1 % of API requests (item and ticket fetches) answered 5xx, every PostgreSQL session of the
/// database terminated once (what a server restart looks like to its clients; the bench does not
/// own the server) and `serve` killed with SIGKILL once and started again on the same port. The
/// sender retries each delivery until it is answered 204, as Understory does. Reports deliveries
/// lost (sent and acknowledged, never processed: must be 0), webhook-to-row latency outside the
/// two fault windows, parked rows, and `serve`'s resident memory over time.
struct WebhooksSoak {
    let world: BenchWorld
    let environment: [String: String]
    let signer: WebhookSignature
    let minutes: Double
    let perSecond: Int

    struct Result {
        var sent: Int
        var acknowledged: Int
        var processed: Int
        var parked: Int
        var p50: Double
        var p99: Double
        var rssFirstMinuteMB: Double
        var rssLastMinuteMB: Double
        var faults: [String]
    }

    func run() async throws -> Result {
        let clock = ContinuousClock()
        let total = Int(minutes * 60) * perSecond
        let bookingIDs = world.simulator.ids(.bookings)
        world.simulator.updateFaults { $0.errorRate = 0.01 }
        var serve = try await ServeChild.start(environment)
        let port = serve.port
        let url = "http://127.0.0.1:\(port)/webhooks/understory"
        let rss = RSSSamples()
        let current = Locked(serve.process.processIdentifier)
        let start = clock.now
        let faultTimes = Locked([(String, Double)]())
        let acknowledged = try await HTTPClient.withHTTPClient { http in
            try await withThrowingTaskGroup(of: Int.self) { group in
                // Faults: terminate every session at 1/3, SIGKILL serve at 2/3.
                group.addTask { [world] in
                    try await clock.sleep(until: start + .seconds(minutes * 60 / 3))
                    faultTimes.withLock { $0.append(("PostgreSQL sessions terminated", (clock.now - start).seconds)) }
                    _ = try await world.execute(
                        "SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                    return 0
                }
                // Memory of whichever serve runs, once a second.
                group.addTask {
                    while clock.now - start < .seconds(minutes * 60) {
                        rss.add(at: (clock.now - start).seconds, bytes: ChildProcess.procStatusBytes(current.withLock { $0 }, field: "VmRSS"))
                        try await clock.sleep(for: .seconds(1))
                    }
                    return 0
                }
                // The deliveries: 8 senders, paced to `perSecond`, each retried until 204.
                let next = TicketCounter()
                let pace = Duration.seconds(1) / perSecond
                for _ in 0..<8 {
                    group.addTask { [signer] in
                        var ok = 0
                        while true {
                            let index = next.take()
                            guard index < total else { return ok }
                            try await clock.sleep(until: start + pace * index)
                            if try await Self.deliver(index: index, id: bookingIDs[index % bookingIDs.count], url: url, signer: signer, http: http) { ok += 1 }
                        }
                    }
                }
                // SIGKILL at 2/3, then start again on the same port.
                try await clock.sleep(until: start + .seconds(minutes * 60 * 2 / 3))
                faultTimes.withLock { $0.append(("serve killed (SIGKILL) and restarted", (clock.now - start).seconds)) }
                kill(serve.process.processIdentifier, SIGKILL)
                serve.process.waitUntilExit()
                serve = try await ServeChild.start(environment, port: port)
                current.withLock { $0 = serve.process.processIdentifier }
                var sum = 0
                for try await ok in group { sum += ok }
                return sum
            }
        }
        world.simulator.updateFaults { $0.errorRate = 0 }
        try await WebhooksCommand.waitForEmptyInbox(world)
        serve.stop()
        let windows = faultTimes.withLock { $0 }
        let latency = try await self.latency(outside: windows)
        return Result(
            sent: total, acknowledged: acknowledged, processed: latency.processed, parked: latency.parked,
            p50: latency.p50, p99: latency.p99,
            rssFirstMinuteMB: rss.peak(from: 0, to: 60), rssLastMinuteMB: rss.peak(from: minutes * 60 - 60, to: minutes * 60),
            faults: windows.map { "\($0.0) at \(Format.seconds($0.1))" }
        )
    }

    /// Webhook-to-row latency of the soak's deliveries received outside ±15 s of each fault, and
    /// how many were processed and parked.
    func latency(outside windows: [(String, Double)]) async throws -> (p50: Double, p99: Double, processed: Int, parked: Int) {
        // Latency outside ±15 s of each fault.
        let startedAt = try await world.execute("SELECT extract(epoch FROM min(received_at))::float8 AS t FROM understory.webhook_inbox WHERE webhook_id LIKE 'soak_%'").rows[0]["t"].decode(Double.self)
        let outside = windows.map { _, at in "NOT (extract(epoch FROM received_at) BETWEEN \(startedAt + at - 15) AND \(startedAt + at + 15))" }
            .joined(separator: " AND ")
        let row = try await world.execute(
            """
            SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) AS p50,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) AS p99
            FROM understory.webhook_inbox WHERE webhook_id LIKE 'soak_%' AND status = 'processed' AND \(outside.isEmpty ? "true" : outside)
            """
        ).rows[0]
        let processed = try await world.execute("SELECT count(*) AS n FROM understory.webhook_inbox WHERE webhook_id LIKE 'soak_%' AND status = 'processed'").rows[0]["n"].decode(Int.self)
        let parked = try await world.execute("SELECT count(*) AS n FROM understory.webhook_inbox WHERE webhook_id LIKE 'soak_%' AND status = 'parked'").rows[0]["n"].decode(Int.self)
        return (try row["p50"].decode(Double.self), try row["p99"].decode(Double.self), processed, parked)
    }

    /// Posts one delivery until it is answered 204 (connection refused while serve restarts,
    /// 503 while PostgreSQL is away); false if it never was within 120 s.
    static func deliver(index: Int, id bookingID: String, url: String, signer: WebhookSignature, http: HTTPClient) async throws -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(120)
        var wait = Duration.milliseconds(100)
        while clock.now < deadline {
            let request = WebhooksCommand.delivery(id: "soak_\(index)", bookingID: bookingID, url: url, signer: signer)
            if let response = try? await http.execute(request, timeout: .seconds(10)) {
                _ = try? await response.body.collect(upTo: 1 << 16)
                if response.status.code == 204 { return true }
            }
            try await clock.sleep(for: wait)
            wait = min(wait * 2, .seconds(2))
        }
        return false
    }
}

/// Resident memory samples of `serve` over the soak.
final class RSSSamples: Sendable {
    private let samples = Mutex([(Double, Int)]())

    func add(at seconds: Double, bytes: Int) { samples.withLock { $0.append((seconds, bytes)) } }

    /// Highest sample in [from, to) seconds, in MB.
    func peak(from: Double, to: Double) -> Double {
        Double(samples.withLock { $0.filter { $0.0 >= from && $0.0 < to }.map(\.1).max() ?? 0 }) / 1_048_576
    }
}

/// A value shared by the soak's tasks.
final class Locked<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) { self.value = Mutex(value) }

    func withLock<T>(_ body: (inout Value) -> T) -> T { value.withLock { body(&$0) } }
}
