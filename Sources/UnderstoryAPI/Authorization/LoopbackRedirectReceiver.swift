import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A one-shot HTTP listener on the loopback interface that receives the authorization redirect
/// (RFC 8252 §7.3): the browser is sent to `http://127.0.0.1:PORT/PATH?code=…&state=…`.
///
/// ```swift
/// let receiver = try await LoopbackRedirectReceiver.start(port: 0, path: "/callback")
/// print(receiver.redirectURI)                      // http://127.0.0.1:54321/callback
/// let query = try await receiver.waitForRedirect(timeout: .seconds(600))
/// await receiver.close()
/// ```
///
/// Requests to other paths (a browser's `/favicon.ico`) get 404 and are ignored.
public final class LoopbackRedirectReceiver: Sendable {
    /// The bound port (the one asked for, or the one the system chose for 0).
    public let port: Int
    /// The path the redirect must arrive on.
    public let path: String
    private let channel: any Channel
    private let redirects: AsyncStream<[String: String]>

    private init(channel: any Channel, port: Int, path: String, redirects: AsyncStream<[String: String]>) {
        self.channel = channel
        self.port = port
        self.path = path
        self.redirects = redirects
    }

    /// `http://127.0.0.1:PORT/PATH`, the redirect URI to register and send.
    public var redirectURI: String { "http://127.0.0.1:\(port)\(path)" }

    /// Binds `127.0.0.1:port` (0 = any free port).
    public static func start(port: Int, path: String = "/callback") async throws -> LoopbackRedirectReceiver {
        let path = path.hasPrefix("/") ? path : "/" + path
        let (stream, continuation) = AsyncStream<[String: String]>.makeStream(bufferingPolicy: .bufferingOldest(1))
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline().flatMap {
                    channel.pipeline.addHandler(RedirectHandler(path: path, continuation: continuation))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: "127.0.0.1", port: port).get()
        } catch {
            throw UnderstoryAPIError(
                code: .invalidConfiguration, variable: "--redirect-port",
                detail: "cannot listen on 127.0.0.1:\(port) for the authorization redirect (\(error)); choose another port",
                underlying: error
            )
        }
        let bound = channel.localAddress?.port ?? port
        return LoopbackRedirectReceiver(channel: channel, port: bound, path: path, redirects: stream)
    }

    /// The query of the first request on ``path``; throws `.authorizationFailed` after `timeout`.
    public func waitForRedirect(timeout: Duration) async throws -> [String: String] {
        let redirects = self.redirects
        return try await withThrowingTaskGroup(of: [String: String]?.self) { group in
            group.addTask {
                for await query in redirects { return query }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            if let first = try await group.next(), let query = first {
                return query
            }
            throw UnderstoryAPIError(
                code: .authorizationFailed,
                detail: "no redirect arrived within \(timeout) (was the URL opened, and does the redirect URI reach this machine?)"
            )
        }
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Answers every request; hands the first one on the redirect path to the receiver.
private final class RedirectHandler: ChannelInboundHandler, @unchecked Sendable {
    // @unchecked: used only on its channel's event loop.
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let path: String
    private let continuation: AsyncStream<[String: String]>.Continuation
    private var head: HTTPRequestHead?

    init(path: String, continuation: AsyncStream<[String: String]>.Continuation) {
        self.path = path
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            break
        case .end:
            guard let head else { return }
            self.head = nil
            let components = URLComponents(string: head.uri)
            let status: HTTPResponseStatus
            let text: String
            if head.method == .GET, components?.path == path {
                var query: [String: String] = [:]
                for item in components?.queryItems ?? [] where query[item.name] == nil {
                    query[item.name] = item.value ?? ""
                }
                continuation.yield(query)
                status = .ok
                text = "understory-sync received the authorization response. You can close this tab and return to the terminal."
            } else {
                status = .notFound
                text = "Not found."
            }
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
            headers.add(name: "Content-Length", value: "\(text.utf8.count)")
            headers.add(name: "Connection", value: "close")
            headers.add(name: "Cache-Control", value: "no-store")
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: text)))), promise: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
