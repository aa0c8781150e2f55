import AsyncHTTPClient
import Foundation
import NIOCore
import Testing
import UnderstorySimulator

@testable import UnderstoryAPI

@Suite("Throughput (measurement, no timed assertion)")
struct ThroughputTests {
    /// Pages/s of bookings at limit 100 against the simulator with latency 0 (one traversal, sequential).
    /// Prints the figure; size from UNDERSTORY_BENCH_BOOKINGS (default 20 000).
    @Test("measure pages per second at latency 0")
    func pagesPerSecond() async throws {
        let count = ProcessInfo.processInfo.environment["UNDERSTORY_BENCH_BOOKINGS"].flatMap(Int.init) ?? 20_000
        let config = SimulatorConfiguration(seed: 42, bookings: count, orders: 10, events: 10, experiences: 3)
        try await withSimulatorClient(config) { _, client in
            _ = try await client.me()  // token + connection warm-up
            let started = ContinuousClock.now
            var pages = 0
            var items = 0
            var bytes = 0
            for try await page in client.bookings(ListQuery(limit: 100, sort: .updatedDescending)) {
                pages += 1
                items += page.items.count
                bytes += page.byteCount
            }
            let seconds = (ContinuousClock.now - started).seconds
            #expect(items == count)
            print(
                "understory-api throughput: \(pages) pages, \(items) bookings, \(bytes / 1_048_576) MiB in "
                    + String(format: "%.2f s = %.0f pages/s, %.0f records/s", seconds, Double(pages) / seconds, Double(items) / seconds)
            )
        }
    }

    /// Client-side cost alone: scanning + decoding + raw extraction of 100-booking pages built from
    /// the simulator's truth (no HTTP), to separate the client's CPU from the server's.
    @Test("measure page decoding rate without HTTP")
    func decodeRate() throws {
        let simulator = Simulator(configuration: SimulatorConfiguration(seed: 42, bookings: 2_000, orders: 10, events: 10, experiences: 3))
        let raws = simulator.truth().bookings.values.map(\.raw).prefix(100)
        var body: [UInt8] = Array(#"{"next":"abcdef","items":["#.utf8)
        for (i, raw) in raws.enumerated() {
            if i > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: raw)
        }
        body.append(contentsOf: Array("]}".utf8))
        let buffer = ByteBuffer(bytes: body)
        let rounds = 300
        let started = ContinuousClock.now
        var items = 0
        for _ in 0..<rounds {
            items += try PageDecoding.decodeList(Booking.self, from: buffer, context: .init(resource: "bookings", path: "/v1/bookings", page: 1)).items.count
        }
        let seconds = (ContinuousClock.now - started).seconds
        #expect(items == rounds * raws.count)
        print("understory-api decode: \(rounds) pages of \(body.count / 1024) KiB in " + String(format: "%.2f s = %.0f pages/s", seconds, Double(rounds) / seconds))
    }
}
