import Hummingbird

/// Counts every answer by path and status (``Simulator/requestCounts()``) and, while recording,
/// keeps the target of each `/v1/` 200 answer (``Simulator/recordRequests()``). Outermost, so
/// unrouted requests and held answers are counted as they leave.
struct RequestCounting: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let response = try await next(request, context)
        let path = request.uri.path
        self.simulator.runtime.withLock { runtime in
            runtime.requestCounts[path, default: [:]][response.status.code, default: 0] += 1
            if runtime.recordedTargets != nil, path.hasPrefix("/v1/"), response.status.code == 200 {
                runtime.recordedTargets!.append(path + (request.uri.query.map { "?" + $0 } ?? ""))
            }
        }
        return response
    }
}

/// Answers a request no route takes (unknown path, or a method the path does not serve) with the
/// API's JSON `NOT_FOUND` instead of the router's bare 404.
struct NoRouteAnswer: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return Reply.error(.notFound, "NOT_FOUND", "no route for \(request.method.rawValue) \(request.uri.path)")
        }
    }
}
