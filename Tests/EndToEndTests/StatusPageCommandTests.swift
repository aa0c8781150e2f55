import Foundation
import SyncTestSupport
import Testing

@Suite("status --html")
struct StatusPageCommandTests {
    @Test("after a real sync and a failed run, status --html FILE writes the page: every resource fresh, a run strip with the failure, no script")
    func writesPage() async throws {
        try await CommandLineWorld.with { world in
            let sync = try await world.run("sync", "--events-past-days", "3650")
            #expect(sync.status == 0, "\(sync.output)")
            let failed = try await world.run("sync", environment: ["UNDERSTORY_CLIENT_SECRET": "wrong"])
            #expect(failed.status != 0)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString).html")
            defer { try? FileManager.default.removeItem(at: file) }
            let status = try await world.run("status", "--html", file.path)
            #expect(status.status == 0, "\(status.output)")
            let page = try String(contentsOf: file, encoding: .utf8)
            #expect(page.hasPrefix("<!doctype html>"))
            for resource in ["bookings", "orders", "events", "experiences"] {
                #expect(page.contains("<td>\(resource)</td>"), "\(resource) missing from the freshness table")
            }
            #expect(page.contains("class=\"run succeeded\""), "the strip shows the successful run")
            #expect(!page.contains("<script"))
            #expect(!page.contains("wrong"), "no secret on the page")
        }
    }
}
