import Foundation
import Hummingbird

/// Lets a request through only with a live access token (`Authorization: Bearer …`), which it
/// puts in ``SimulatorRequestContext/token``; else 401 `UNAUTHORIZED` with `WWW-Authenticate`.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let presented = request.bearerToken else { return Reply.unauthorized("missing bearer token") }
        guard let token = self.simulator.runtime.withLock({ $0.tokens[presented] }) else {
            return Reply.unauthorized("unknown access token")
        }
        guard token.expiresAt > self.simulator.now else { return Reply.unauthorized("access token expired") }
        var context = context
        context.token = token
        return try await next(request, context)
    }
}

/// Lets a request through only if its token (behind ``BearerAuthentication``) holds `scope`; else
/// 403 `FORBIDDEN` naming the scope (or 401 under ``SimulatorFaults/missingScopeUnauthorized``).
struct RequireScope: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let simulator: Simulator
    let scope: String

    init(_ scope: String, _ simulator: Simulator) {
        self.scope = scope
        self.simulator = simulator
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard context.authenticatedToken.scopes.contains(self.scope) else {
            if self.simulator.faults.missingScopeUnauthorized {
                return Reply.error(.unauthorized, "UNAUTHORIZED", "not authorized")
            }
            return Reply.error(.forbidden, "FORBIDDEN", "the token lacks the scope \(self.scope)")
        }
        return try await next(request, context)
    }
}

extension Request {
    /// The bearer token of the `Authorization` header, if any.
    var bearerToken: String? {
        guard let header = self.headers[.authorization], header.lowercased().hasPrefix("bearer ") else { return nil }
        return header.dropFirst(7).trimmingCharacters(in: .whitespaces)
    }

    /// The query's parameters (the first of each name wins).
    var queryParameters: [String: String] {
        var query: [String: String] = [:]
        if let raw = self.uri.query {
            for (name, value) in FormDecoding.parse(Substring(raw)) where query[name] == nil { query[name] = value }
        }
        return query
    }
}
