import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import SyncServer

/// `--metrics-port` / `--metrics-host` of the long-running commands without a webhook endpoint
/// (`schedule`, `worker`): GET /healthz and GET /metrics beside their work.
struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-port"), help: "Also serve GET /healthz, GET /metrics and the status page (GET /) on this port (0 = any free port).")
    var metricsPort: Int?

    @Option(
        name: .customLong("metrics-host"),
        help: "Address for --metrics-port; beyond loopback /metrics needs UNDERSTORY_STATUS_TOKEN (a bearer token) or --public-status."
    )
    var metricsHost = "127.0.0.1"

    @OptionGroup var status: StatusAccessOptions

    func validate() throws {
        if let metricsPort, !(0...65535).contains(metricsPort) { throw ValidationError("--metrics-port must be 0...65535") }
        if metricsPort != nil { _ = try status.access(host: metricsHost) }
    }

    /// Runs `services` with the metrics endpoints beside them until SIGTERM/SIGINT or until one of
    /// them returns; prints "metrics listening on HOST:PORT" once bound.
    func serve(_ services: [any Service], global: GlobalOptions, logger: Logger) async throws {
        var configuration = WebhookServer.Configuration()
        configuration.host = metricsHost
        configuration.port = metricsPort ?? 0
        configuration.metricsOnly = true
        configuration.statusAccess = try status.access(host: metricsHost, environment: global.environment)
        let host = metricsHost
        let server = WebhookServer(
            configuration: configuration, database: global.database, accounts: { [] }, worker: nil, services: services, logger: logger
        )
        try await server.run { port in
            // Unbuffered, so a supervisor (or a test) reading a pipe sees it at once.
            FileHandle.standardOutput.write(Data("metrics listening on \(host):\(port)\n".utf8))
        }
    }
}
