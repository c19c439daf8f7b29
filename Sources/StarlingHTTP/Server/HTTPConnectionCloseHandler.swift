import NIOCore
import NIOHTTP1

/// Answers `Connection: close` to a request that does not ask to keep the connection (HTTP/1.0
/// without `Connection: keep-alive`, or any request with `Connection: close`) and closes the
/// connection once that response is written; answers HTTP/1.0 requests as HTTP/1.0.
///
/// Hand-written because Hummingbird 2.28 converts requests to swift-http-types before its own
/// handlers see them, and that conversion drops the HTTP version: Hummingbird then keeps every
/// HTTP/1.0 connection open and frames its responses for HTTP/1.1 (chunked), which an HTTP/1.0
/// client cannot read. This handler sits between NIO's HTTP/1 decoder and that conversion, where
/// the version is still known. It also marks such a request `Connection: close` so that Hummingbird
/// stops reading the connection after answering it.
final class HTTPConnectionCloseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    /// A request read and not yet answered.
    private struct Pending {
        var version: HTTPVersion
        var keepAlive: Bool
    }

    /// The requests read and not yet answered, oldest first (HTTP/1 answers in order).
    private var pending = CircularBuffer<Pending>()
    /// The response being written ends the connection.
    private var closeAfterResponse = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(var head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        pending.append(Pending(version: head.version, keepAlive: head.isKeepAlive))
        if !head.isKeepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
        context.fireChannelRead(wrapInboundOut(.head(head)))
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status.code >= 200:
            let request = pending.first ?? Pending(version: .http1_1, keepAlive: true)
            var keepAlive = request.keepAlive
            if request.version.major == 1, request.version.minor == 0 {
                head.version = .http1_0
                // An HTTP/1.0 body without a length ends where the connection does.
                if head.headers["content-length"].isEmpty { keepAlive = false }
                if keepAlive { head.headers.replaceOrAdd(name: "connection", value: "keep-alive") }
            }
            if !keepAlive { head.headers.replaceOrAdd(name: "connection", value: "close") }
            closeAfterResponse = !keepAlive
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end:
            if !pending.isEmpty { pending.removeFirst() }
            guard closeAfterResponse else {
                context.write(data, promise: promise)
                return
            }
            closeAfterResponse = false
            let written = promise ?? context.eventLoop.makePromise()
            context.writeAndFlush(data, promise: written)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
        default:
            context.write(data, promise: promise)
        }
    }
}
