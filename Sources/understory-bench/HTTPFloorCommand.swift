import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import URLEncoding
import UnderstoryAPI

/// The HTTP floor, run as its own process (like the sync): a bare AsyncHTTPClient loop that GETs
/// exactly the URLs a sync requested (recorded by the simulator, in order) at the sync's
/// concurrency and only counts the body bytes. Its CPU per request is the least any client on
/// AsyncHTTPClient can spend; ours is compared with it. Prints `requests=N bytes=N`.
struct HTTPFloorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "http-floor",
        abstract: "GET recorded URLs with a bare AsyncHTTPClient loop, bodies only counted (run by the other subcommands).",
        shouldDisplay: false
    )

    @Option(help: "File with one path?query per line (relative to UNDERSTORY_API_URL).")
    var targets: String

    @Option(help: "Requests in flight at once (the sync's: 4 lists + 8 orders × 3 child calls).")
    var concurrency = 28

    func run() async throws {
        let configuration = try UnderstoryConfiguration(environment: ProcessInfo.processInfo.environment)
        let lines = try String(contentsOfFile: targets, encoding: .utf8).split(separator: "\n").map(String.init)
        let base = configuration.apiURL.trimmingSuffix("/")
        let urls = lines.map { base + $0 }
        let language = configuration.acceptLanguage
        try await HTTPClient.withHTTPClient(configuration: configuration.httpClientConfiguration()) { http in
            let token = try await Self.token(configuration, http: http)
            let next = TicketCounter()
            let bytes = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<concurrency {
                    group.addTask {
                        var bytes = 0
                        while true {
                            let index = next.take()
                            guard index < urls.count else { return bytes }
                            var request = HTTPClientRequest(url: urls[index])
                            request.headers.add(name: "authorization", value: "Bearer \(token)")
                            request.headers.add(name: "accept-language", value: language)
                            let response = try await http.execute(request, timeout: .seconds(60))
                            guard response.status == .ok else { throw BenchError("GET \(lines[index]) answered \(response.status.code)") }
                            for try await chunk in response.body { bytes += chunk.readableBytes }
                        }
                    }
                }
                var total = 0
                for try await part in group { total += part }
                return total
            }
            print("requests=\(urls.count + 1) bytes=\(bytes)")
        }
    }

    /// One `client_credentials` token (the floor's only non-GET request).
    static func token(_ configuration: UnderstoryConfiguration, http: HTTPClient) async throws -> String {
        var request = HTTPClientRequest(url: configuration.authURL + "/oauth2/token")
        request.method = .POST
        request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
        let form = PercentEncoding.formEncode([
            ("grant_type", "client_credentials"), ("client_id", configuration.clientID), ("client_secret", configuration.clientSecret.revealed),
            ("audience", configuration.audience), ("scope", configuration.scopes.joined(separator: " ")),
        ])
        request.body = .bytes(ByteBuffer(string: form))
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .ok,
            let object = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any],
            let token = object["access_token"] as? String
        else { throw BenchError("the token endpoint answered \(response.status.code)") }
        return token
    }
}

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}
