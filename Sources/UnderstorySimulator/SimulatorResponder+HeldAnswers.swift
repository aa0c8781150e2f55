import Hummingbird

/// `/_admin/hold` and `/_admin/release` (served only when `adminEnabled`), over HTTP what
/// ``Simulator/holdAnswers(path:passing:count:)`` does in process:
///
/// - `POST /_admin/hold?path=/v1/bookings&passing=0&count=1`: from now on the answers to `/v1`
///   requests on `path` (`*` = one segment) are made at once and sent only at the release;
///   `passing` go through first, at most `count` are held (omitted: all)
/// - `GET /_admin/hold`: `{"held": N}`, the answers waiting now
/// - `POST /_admin/release`: sends every held answer, stops holding; `{"released": N}`
extension SimulatorResponder {
    /// Whether `path` is one of these routes.
    static func isHoldRoute(_ path: String) -> Bool {
        path == "/_admin/hold" || path == "/_admin/release"
    }

    func adminHold(_ request: Request, path: String) -> Response {
        var query: [String: String] = [:]
        if let raw = request.uri.query {
            for (name, value) in FormDecoding.parse(Substring(raw)) where query[name] == nil { query[name] = value }
        }
        switch (path, request.method) {
        case ("/_admin/hold", .post):
            guard let pattern = query["path"], pattern.hasPrefix("/v1") else {
                return Reply.error(.badRequest, "BAD_REQUEST", "path (a /v1 path, * for one segment) is required")
            }
            let passing = query["passing"].flatMap { Int($0) } ?? 0
            let count = query["count"].flatMap { Int($0) }
            simulator.holdAnswers(path: pattern, passing: passing, count: count)
            return Reply.json(.ok, Array(#"{"holding":true}"#.utf8))
        case ("/_admin/hold", .get):
            return Reply.json(.ok, Array("{\"held\":\(simulator.heldAnswers)}".utf8))
        case ("/_admin/release", .post):
            return Reply.json(.ok, Array("{\"released\":\(simulator.releaseHeldAnswers())}".utf8))
        default:
            return Reply.error(.methodNotAllowed, "METHOD_NOT_ALLOWED", "POST /_admin/hold?path=…, GET /_admin/hold, POST /_admin/release")
        }
    }
}
