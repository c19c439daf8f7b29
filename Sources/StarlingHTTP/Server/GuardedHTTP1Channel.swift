import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import Starling

/// Hummingbird's HTTP/1 child channel with what Starling adds in front of it: the connection
/// limit, the header and body timeouts, and `Connection: close` handling (HTTP/1.0).
///
/// Hummingbird 2.28 lets an application choose its child channel but not add handlers to the
/// server channel (its only hook there, `availableConnectionsDelegate`, stops accepting at a
/// limit, which leaves clients hanging in the listen backlog). So the limit is checked here, on
/// each accepted connection before its pipeline is set up: a connection past the limit is
/// closed at once, and the ones open go on. NIO's `AcceptBackoffHandler`, which the server
/// bootstrap installs, still backs off accepting if the process does run out of descriptors.
struct GuardedHTTP1Channel: ServerChildChannel {
    /// A connection served, or one refused and closed.
    enum Value: ServerChildChannelValue {
        case served(HTTP1Channel.Value)
        case refused(any Channel)

        var channel: any Channel {
            switch self {
            case .served(let value): value.channel
            case .refused(let channel): channel
            }
        }
    }

    let base: HTTP1Channel
    let limiter: ConnectionLimiter?
    let metrics: ListenerConnectionMetrics
    let headerTimeout: Duration?
    let bodyTimeout: Duration?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let limiter, !limiter.admit(channel, metrics: metrics, logger: logger) {
            return channel.eventLoop.makeSucceededFuture(.refused(channel))
        }
        let (headerTimeout, bodyTimeout) = (self.headerTimeout, self.bodyTimeout)
        return base.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let pipeline = channel.pipeline.syncOperations
            let decoder = try pipeline.handler(type: ByteToMessageHandler<HTTPRequestDecoder>.self)
            try pipeline.addHandlers(
                [
                    HTTPRequestTimeoutHandler(headerTimeout: headerTimeout, bodyTimeout: bodyTimeout, logger: logger),
                    HTTPConnectionCloseHandler(),
                ],
                position: .after(decoder))
            return .served(value)
        }
    }

    func handle(value: Value, logger: Logger) async {
        guard case .served(let served) = value else { return }
        await base.handle(value: served, logger: logger)
    }
}
