import NIOCore
import NIOPosix

/// One reply of the Redis serialization protocol (RESP2), as far as `SET` and `GET` need.
enum RESPReply: Sendable, Equatable {
    /// `+OK`.
    case simple(String)
    /// `-ERR ...`.
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$3\r\nabc`, or nil for the null bulk string `$-1`.
    case bulk([UInt8]?)
}

/// Parses RESP replies out of a byte stream. Pure: no I/O, so it is testable byte by byte.
enum RESPParser {
    /// The reply at the start of `bytes` and how many bytes it took, or nil when `bytes` holds
    /// only part of a reply.
    /// - Throws: ``BenchFailure`` for a reply type this client does not speak (arrays) or a
    ///   malformed header.
    static func parse(_ bytes: some Collection<UInt8>) throws(BenchFailure) -> (reply: RESPReply, consumed: Int)? {
        let buffer = Array(bytes)
        guard let kind = buffer.first, let lineEnd = lineEnd(buffer, from: 1) else { return nil }
        let line = String(decoding: buffer[1..<lineEnd], as: UTF8.self)
        let afterLine = lineEnd + 2
        switch kind {
        case UInt8(ascii: "+"): return (.simple(line), afterLine)
        case UInt8(ascii: "-"): return (.error(line), afterLine)
        case UInt8(ascii: ":"):
            guard let value = Int64(line) else { throw BenchFailure("RESP: bad integer reply \(line)") }
            return (.integer(value), afterLine)
        case UInt8(ascii: "$"):
            guard let length = Int(line), length >= -1 else { throw BenchFailure("RESP: bad bulk length \(line)") }
            if length == -1 { return (.bulk(nil), afterLine) }
            guard buffer.count >= afterLine + length + 2 else { return nil }
            return (.bulk(Array(buffer[afterLine..<(afterLine + length)])), afterLine + length + 2)
        default:
            throw BenchFailure("RESP: unsupported reply type \(Character(Unicode.Scalar(kind)))")
        }
    }

    /// A command as a RESP array of bulk strings.
    static func encode(_ parts: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = Array("*\(parts.count)\r\n".utf8)
        for part in parts {
            out += Array("$\(part.count)\r\n".utf8)
            out += part
            out += [13, 10]
        }
        return out
    }

    private static func lineEnd(_ buffer: [UInt8], from start: Int) -> Int? {
        var index = start
        while index + 1 < buffer.count {
            if buffer[index] == 13, buffer[index + 1] == 10 { return index }
            index += 1
        }
        return nil
    }
}

/// Decodes RESP replies from the connection's bytes.
private struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPReply

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let view = buffer.readableBytesView.isEmpty ? nil : buffer.readableBytesView,
            let (reply, consumed) = try RESPParser.parse(view)
        else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: consumed)
        context.fireChannelRead(wrapInboundOut(reply))
        return .continue
    }
}

/// Writes a command and completes its promise with the matching reply (replies come in order).
private final class RESPRequestHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPReply
    typealias OutboundIn = (ByteBuffer, EventLoopPromise<RESPReply>)
    typealias OutboundOut = ByteBuffer

    private var pending = PendingReplies<RESPReply>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let (bytes, reply) = unwrapOutboundIn(data)
        pending.append(reply)
        context.write(wrapOutboundOut(bytes), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.succeedNext(unwrapInboundIn(data))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        pending.failAll(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        pending.failAll(BenchFailure("RESP: the connection closed"))
        context.fireChannelInactive()
    }
}

/// A Redis connection speaking RESP on one TCP connection, one command at a time (unpipelined).
final class RESPConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Connects to `host:port`.
    /// - Throws: NIO's connection error.
    static func connect(host: String, port: Int) async throws -> RESPConnection {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try channel.pipeline.syncOperations.addHandler(RESPRequestHandler())
                }
            }
            .connect(host: host, port: port).get()
        return RESPConnection(channel: channel)
    }

    /// Sends one command and awaits its reply.
    func command(_ parts: [[UInt8]]) async throws -> RESPReply {
        let promise = channel.eventLoop.makePromise(of: RESPReply.self)
        let buffer = ByteBuffer(bytes: RESPParser.encode(parts))
        channel.writeAndFlush((buffer, promise), promise: nil)
        return try await promise.futureResult.get()
    }

    /// Closes the connection.
    func close() async {
        try? await channel.close()
    }
}
