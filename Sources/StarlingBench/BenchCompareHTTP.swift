import NIOCore
import NIOHTTP1
import NIOPosix

/// A status and whole body of one HTTP response.
struct HTTPReply: Sendable {
    var status: UInt
    var body: ByteBuffer
}

/// Where an `http://HOST:PORT` endpoint listens.
struct HTTPEndpoint: Sendable, Hashable {
    var host: String
    var port: Int

    /// Parses `http://HOST:PORT` (an optional trailing slash; no path, no TLS).
    /// - Throws: ``BenchFailure`` naming the endpoint otherwise.
    init(_ url: String) throws(BenchFailure) {
        guard url.hasPrefix("http://") else {
            throw BenchFailure("endpoint \(url) must start with http:// (the benchmark speaks plain HTTP/1.1)")
        }
        var rest = url.dropFirst("http://".count)
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let parsed = BenchCompare.hostPort(String(rest)), !rest.contains("/") else {
            throw BenchFailure("endpoint \(url) must be http://HOST:PORT")
        }
        host = parsed.host
        port = parsed.port
    }
}

/// One keep-alive HTTP/1.1 connection that sends one request at a time, on SwiftNIO's HTTP codec.
///
/// The load generator shares the machine with the systems it measures, so its own cost per
/// request matters: this client does what the benchmark needs (a method, a path, a JSON body, the
/// status and body back) and nothing else — no pool, no redirects, no decompression. Starling and
/// etcd are measured through the same client.
final class HTTPConnection: Sendable {
    private let channel: any Channel
    private let host: String

    private init(channel: any Channel, host: String) {
        self.channel = channel
        self.host = host
    }

    /// Connects to `endpoint`.
    /// - Throws: NIO's connection error.
    static func connect(_ endpoint: HTTPEndpoint) async throws -> HTTPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(HTTPReplyHandler())
                }
            }
            .connect(host: endpoint.host, port: endpoint.port).get()
        return HTTPConnection(channel: channel, host: "\(endpoint.host):\(endpoint.port)")
    }

    /// Sends a request and awaits the whole response.
    /// - Parameter body: a JSON body, or nil for none.
    func send(_ method: HTTPMethod, _ path: String, body: [UInt8]? = nil) async throws -> HTTPReply {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: host)
        var buffer: ByteBuffer?
        if let body {
            headers.add(name: "Content-Type", value: "application/json")
            headers.add(name: "Content-Length", value: String(body.count))
            buffer = ByteBuffer(bytes: body)
        } else if method != .GET, method != .HEAD {
            headers.add(name: "Content-Length", value: "0")
        }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: path, headers: headers)
        let promise = channel.eventLoop.makePromise(of: HTTPReply.self)
        channel.writeAndFlush(HTTPReplyHandler.Request(head: head, body: buffer, reply: promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }
}

/// Writes a request and completes its promise with the matching response (responses come in
/// order on one connection).
private final class HTTPReplyHandler: ChannelDuplexHandler {
    struct Request {
        var head: HTTPRequestHead
        var body: ByteBuffer?
        var reply: EventLoopPromise<HTTPReply>
    }

    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Request
    typealias OutboundOut = HTTPClientRequestPart

    private var pending = PendingReplies<HTTPReply>()
    private var status: UInt = 0
    private var body = ByteBuffer()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        pending.append(request.reply)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if let body = request.body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = head.status.code
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            pending.succeedNext(HTTPReply(status: status, body: body))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending.failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending.failAll(BenchFailure("HTTP: the connection closed"))
        context.fireChannelInactive()
    }
}
