import Logging
import NIOCore
import NIOHTTP1

/// Closes a connection whose client takes longer than the header timeout to send a request's head
/// (answering `408 Request Timeout` first) or longer than the body timeout to send its body.
///
/// Hand-written because Hummingbird 2.28 has only an idle timeout (`HTTP1Channel.Configuration`,
/// which Starling uses for idle connections): a client that trickles a header or a body one byte
/// at a time keeps that one from firing. This handler sits right after NIO's HTTP/1 decoder, where
/// a read that decodes no head reveals a partial head. See ``HTTPRequestDeadlines``.
final class HTTPRequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let headerTimeout: TimeAmount?
    private let bodyTimeout: TimeAmount?
    private let logger: Logger
    private var deadlines = HTTPRequestDeadlines()
    private var scheduled: Scheduled<Void>?

    /// A handler with the given timeouts; nil turns one off.
    init(headerTimeout: Duration?, bodyTimeout: Duration?, logger: Logger) {
        self.headerTimeout = headerTimeout.map(TimeAmount.init)
        self.bodyTimeout = bodyTimeout.map(TimeAmount.init)
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head: perform(deadlines.headRead(), context: context)
        case .end: perform(deadlines.requestEnded(), context: context)
        case .body: break
        }
        context.fireChannelRead(data)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        // The decoder forwards every read's completion, also one that decoded no head.
        perform(deadlines.bytesArrived(), context: context)
        context.fireChannelReadComplete()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { perform(deadlines.responseEnded(), context: context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelTimer()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelTimer()
    }

    private func perform(_ action: HTTPRequestDeadlines.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .start(let timer):
            cancelTimer()
            guard let timeout = timer == .header ? headerTimeout : bodyTimeout else { return }
            let bound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
            scheduled = context.eventLoop.scheduleTask(in: timeout) {
                let (handler, context) = bound.value
                handler.scheduled = nil
                handler.perform(handler.deadlines.fired(timer), context: context)
            }
        case .stop:
            cancelTimer()
        case .expire(let timer):
            expire(timer, context: context)
        }
    }

    private func expire(_ timer: HTTPRequestDeadlines.Timer, context: ChannelHandlerContext) {
        logger.debug(
            "closing an HTTP connection: the client took too long to send the request's \(timer == .header ? "head" : "body")",
            metadata: ["remote": "\(context.remoteAddress.map { "\($0)" } ?? "unknown")"])
        guard timer == .header else {
            // The request is in the application's hands: just end the connection under it.
            context.close(promise: nil)
            return
        }
        let head = HTTPResponseHead(
            version: .http1_1, status: .requestTimeout, headers: ["connection": "close", "content-length": "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        written.futureResult.whenComplete { _ in bound.value.close(promise: nil) }
    }

    private func cancelTimer() {
        scheduled?.cancel()
        scheduled = nil
    }
}
