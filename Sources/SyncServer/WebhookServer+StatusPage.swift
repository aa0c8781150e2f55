import Foundation
import Hummingbird
import NIOCore
import SyncEngine

extension WebhookServer {
    /// `GET /`: the status page (``StatusPage``) read from PostgreSQL on one of the ring's
    /// connections, with a strict Content-Security-Policy.
    func statusPage(ring: ConnectionRing) async -> Response {
        let report: StatusReport, details: StatusDetails
        do {
            (report, details) = try await ring.run { (try await StatusReport.load(from: $0), try await StatusDetails.load(from: $0)) }
        } catch {
            logger.warning("the status page could not read PostgreSQL", metadata: ["error": "\(error)"])
            return Self.text(.serviceUnavailable, "PostgreSQL does not answer\n")
        }
        var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: StatusPage.render(report, details: details, now: clock.wallNow))))
        response.headers[.contentType] = "text/html; charset=utf-8"
        response.headers[.contentSecurityPolicy] = StatusPage.contentSecurityPolicy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.cacheControl] = "no-store"
        return response
    }
}
