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
    /// `POST /_admin/hold?path=…&passing=…&count=…`.
    func holdAnswers(_ request: Request, context: Context) -> Response {
        let query = request.queryParameters
        guard let pattern = query["path"], pattern.hasPrefix("/v1") else {
            return Reply.error(.badRequest, "BAD_REQUEST", "path (a /v1 path, * for one segment) is required")
        }
        let passing = query["passing"].flatMap { Int($0) } ?? 0
        let count = query["count"].flatMap { Int($0) }
        self.simulator.holdAnswers(path: pattern, passing: passing, count: count)
        return Reply.json(.ok, Array(#"{"holding":true}"#.utf8))
    }

    /// `GET /_admin/hold`.
    func heldAnswers(_ request: Request, context: Context) -> Response {
        Reply.json(.ok, Array("{\"held\":\(self.simulator.heldAnswers)}".utf8))
    }

    /// `POST /_admin/release`.
    func releaseAnswers(_ request: Request, context: Context) -> Response {
        Reply.json(.ok, Array("{\"released\":\(self.simulator.releaseHeldAnswers())}".utf8))
    }
}
