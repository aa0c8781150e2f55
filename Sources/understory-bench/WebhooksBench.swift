import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import Synchronization
import UnderstoryAPI
import UnderstorySimulator

/// `webhooks`: `serve` as its own process after one sync: signed deliveries accepted per second
/// (32 senders at once), then webhook-to-row latency at a steady 50 deliveries/s with 50 ms API
/// latency (p50/p99 of `processed_at − received_at`), and the final tables against the simulator.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "serve: deliveries/s accepted, and p50/p99 webhook-to-row latency at 50 ms API latency."
    )
    @OptionGroup var options: BenchOptions

    @Option(help: "Minutes of the soak section (100 deliveries/s with faults); 0 skips it (default 10; quick 1).")
    var soakMinutes: Double?

    func run() async throws {
        try await BenchWorld.with(options.dataset, adminURL: try options.adminURL()) { world in
            let sync = try await world.sync(["sync", "--events-past-days", "3650"])
            guard sync.status == 0 else { throw BenchError("sync exited \(sync.status): \(sync.output.suffix(2000))") }
            let secret = "whsec_" + Data((0..<24).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
            let serve = try await ServeChild.start(world.environment.merging(["UNDERSTORY_WEBHOOK_SECRET": secret]) { $1 })
            defer { serve.stop() }
            let url = "http://127.0.0.1:\(serve.port)/webhooks/understory"
            let signer = try WebhookSignature(secrets: [Secret(secret)])
            let bookingIDs = world.simulator.ids(.bookings)
            try await HTTPClient.withHTTPClient { http in
                // 1. Acceptance: as fast as 32 senders can post.
                let burst = options.quick ? 1_000 : 5_000
                let clock = ContinuousClock()
                let started = clock.now
                let accepted = try await Self.post(
                    count: burst, concurrency: 32, prefix: "burst", ids: bookingIDs, url: url, signer: signer, http: http, pace: nil
                )
                let burstSeconds = (clock.now - started).seconds
                try await Self.waitForEmptyInbox(world)

                // 2. Latency at 50 deliveries/s with 50 ms API latency; each delivery follows a real change
                //    of its booking, so the row it leads to is the new version.
                world.simulator.updateFaults { $0.latency = .milliseconds(50) }
                let steady = options.quick ? 200 : 1_000
                let simulator = world.simulator
                _ = try await Self.post(
                    count: steady, concurrency: 4, prefix: "steady", ids: bookingIDs, url: url, signer: signer, http: http, pace: .milliseconds(20),
                    change: { simulator.touch(.bookings, id: $0) }
                )
                try await Self.waitForEmptyInbox(world)
                world.simulator.updateFaults { $0.latency = .zero }
                let row = try await world.execute(
                    """
                    SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) AS p50,
                           percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM processed_at - received_at)) AS p99,
                           count(*) AS n
                    FROM understory.webhook_inbox WHERE webhook_id LIKE 'steady_%' AND status = 'processed'
                    """
                ).rows[0]
                let p50 = try row["p50"].decode(Double.self)
                let p99 = try row["p99"].decode(Double.self)
                let parked = try await world.execute("SELECT count(*) AS n FROM understory.webhook_inbox WHERE status <> 'processed'").rows[0]["n"]
                    .decode(Int.self)
                let companyID = world.simulator.configuration.companyID
                let stored = try await TableTruth.stored(database: world.database)[companyID] ?? TableTruth()
                let differences = TableTruth(world.simulator.truth()).differences(stored)

                let rate = Double(accepted) / burstSeconds
                var table = Table("6. Webhooks (serve, \(world.dataset))", ["what", "value"])
                table.add("deliveries accepted (204), 32 senders", "\(Format.int(accepted)) in \(Format.seconds(burstSeconds)) = **\(Format.int(Int(rate)))/s**")
                table.add("webhook → row latency at 50/s, 50 ms API latency (\(steady) deliveries)", "p50 \(Format.seconds(p50)), p99 **\(Format.seconds(p99))**")
                table.add("rows not processed at the end", Format.int(parked))
                table.add("tables equal the simulator's truth at the end", differences.isEmpty ? "yes" : "**no**: \(differences.joined(separator: "; "))")
                table.print()
                var report = Report()
                report.target("deliveries accepted per second", Format.int(Int(rate)), "≥ 500", rate >= 500)
                report.target("p99 webhook-to-row at 50/s", Format.seconds(p99), "≤ 2 s", p99 <= 2)
                report.target("final tables exact", differences.isEmpty ? "yes" : "no", "yes", differences.isEmpty && parked == 0)
                report.targets.print()
            }
            let minutes = soakMinutes ?? (options.quick ? 1 : 10)
            guard minutes > 0 else { return }
            serve.stop()  // the soak runs its own serve, which it kills and starts again
            let soak = try await WebhooksSoak(
                world: world, environment: world.environment.merging(["UNDERSTORY_WEBHOOK_SECRET": secret]) { $1 }, signer: signer,
                minutes: minutes, perSecond: 100
            ).run()
            Self.printSoak(soak, minutes: minutes)
        }
    }

    /// The soak section's table and targets.
    static func printSoak(_ soak: WebhooksSoak.Result, minutes: Double) {
        var table = Table("6b. Webhooks soak (\(Format.fixed(minutes, 1)) min at 100 deliveries/s; 1 % of API requests 5xx; \(soak.faults.joined(separator: "; ")))", ["what", "value"])
        table.add("deliveries sent / acknowledged 204 / processed", "\(Format.int(soak.sent)) / \(Format.int(soak.acknowledged)) / \(Format.int(soak.processed))")
        table.add("lost (acknowledged, never processed)", "**\(Format.int(max(0, soak.acknowledged - soak.processed)))**")
        table.add("webhook → row latency outside ±15 s of each fault", "p50 \(Format.seconds(soak.p50)), p99 **\(Format.seconds(soak.p99))**")
        table.add("parked rows", Format.int(soak.parked))
        table.add("serve peak RSS, first minute / last minute", "\(Format.fixed(soak.rssFirstMinuteMB, 1)) MB / \(Format.fixed(soak.rssLastMinuteMB, 1)) MB")
        table.print()
        var report = Report()
        report.target("soak: lost deliveries", Format.int(max(0, soak.acknowledged - soak.processed)), "0", soak.acknowledged == soak.processed && soak.acknowledged == soak.sent)
        report.target("soak: p99 webhook-to-row outside the fault windows", Format.seconds(soak.p99), "≤ 2 s", soak.p99 <= 2)
        report.target("soak: serve's memory flat (last minute ≤ 1.5 × first)", "\(Format.fixed(soak.rssLastMinuteMB, 1)) MB", "≤ \(Format.fixed(soak.rssFirstMinuteMB * 1.5, 1)) MB", soak.rssLastMinuteMB <= soak.rssFirstMinuteMB * 1.5)
        report.targets.print()
    }

    /// Posts `count` signed `v1.booking.updated` deliveries; returns how many were answered 204.
    static func post(
        count: Int, concurrency: Int, prefix: String, ids: [String], url: String, signer: WebhookSignature, http: HTTPClient, pace: Duration?,
        change: (@Sendable (String) -> Void)? = nil
    ) async throws -> Int {
        let next = TicketCounter()
        let clock = ContinuousClock()
        let start = clock.now
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<concurrency {
                group.addTask {
                    var ok = 0
                    while true {
                        let index = next.take()
                        guard index < count else { return ok }
                        if let pace { try await clock.sleep(until: start + pace * index) }
                        let bookingID = ids[index % ids.count]
                        change?(bookingID)
                        let request = Self.delivery(id: "\(prefix)_\(index)", bookingID: bookingID, url: url, signer: signer)
                        let response = try await http.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        if response.status.code == 204 { ok += 1 }
                    }
                }
            }
            var total = 0
            for try await ok in group { total += ok }
            return total
        }
    }

    /// A signed `v1.booking.updated` delivery for `bookingID`, stamped now.
    static func delivery(id: String, bookingID: String, url: String, signer: WebhookSignature) -> HTTPClientRequest {
        let body = Array(
            #"{"id":"\#(UUID().uuidString.lowercased())","type":"v1.booking.updated","timestamp":"2026-01-01T00:00:00.000000000Z","payload":{"booking_id":"\#(bookingID)","host_id":"bench"}}"#
                .utf8
        )
        let timestamp = Int64(Date().timeIntervalSince1970)
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/json")
        request.headers.add(name: "webhook-id", value: id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        request.headers.add(name: "webhook-signature", value: signer.sign(id: id, timestamp: timestamp, body: body))
        request.body = .bytes(ByteBuffer(bytes: body))
        return request
    }

    static func waitForEmptyInbox(_ world: BenchWorld) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(300)
        while clock.now < deadline {
            let pending = try await world.execute("SELECT count(*) AS n FROM understory.webhook_inbox WHERE status = 'pending'").rows[0]["n"]
                .decode(Int.self)
            if pending == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw BenchError("the webhook inbox did not drain within 300 s")
    }
}

/// `understory-sync serve` as a child process on a free port.
struct ServeChild {
    let process: Process
    let port: Int

    static func start(_ environment: [String: String], port: Int = 0) async throws -> ServeChild {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BinaryFolder.binary("understory-sync"))
        process.arguments = ["serve", "--port", String(port), "--quiet"]
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("UNDERSTORY_") && $0.key != "DATABASE_URL" }
        env.merge(environment) { $1 }
        process.environment = env
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let text = OutputText()
        out.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty { handle.readabilityHandler = nil } else { text.append(data) }
        }
        try process.run()
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(60)
        while clock.now < deadline, process.isRunning {
            if let line = text.value.split(separator: "\n").first(where: { $0.hasPrefix("listening on ") }),
                let port = line.split(separator: ":").last.flatMap({ Int($0) })
            {
                return ServeChild(process: process, port: port)
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw BenchError("understory-sync serve did not start")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}

/// Hands out 0, 1, 2, … to concurrent senders.
final class TicketCounter: Sendable {
    private let next = Mutex(0)

    func take() -> Int {
        next.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}

/// What a child process printed so far.
final class OutputText: Sendable {
    private let text = Mutex("")

    func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    var value: String { text.withLock { $0 } }
}
