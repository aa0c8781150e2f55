import AsyncHTTPClient
import Foundation
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
}
