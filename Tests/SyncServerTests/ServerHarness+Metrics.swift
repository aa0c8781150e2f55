import AsyncHTTPClient
import Foundation
import NIOCore
import PostgresClient
import SyncEngine

extension ServerHarness {
    /// GET `path` on the server (with extra `headers`); the status and the body.
    func get(_ path: String, headers: [(String, String)] = []) async throws -> (status: Int, body: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await http.execute(request, timeout: .seconds(120))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 16 << 20)))
    }

    /// Records a successful sync of every resource for the harness's account (as a run's commit
    /// does), so the freshness series exist.
    func recordSuccessfulSyncs(at date: Date) async throws {
        for resource in Resource.allCases {
            try await query(
                """
                INSERT INTO understory.sync_state (company_id, resource, last_success_at) VALUES ($1, $2, $3)
                ON CONFLICT (company_id, resource) DO UPDATE SET last_success_at = excluded.last_success_at
                """,
                [companyID, resource.rawValue, date]
            )
        }
    }
}
