import NIOCore

/// What the decoder hands the connection: the commands that arrived together (a pipeline), or
/// the protocol error that ends the connection.
enum RESPInbound: Sendable {
    /// Complete commands in arrival order, at most ``RESPLimits/maxPipeline``.
    case commands([RESPCommand])
    /// Malformed input or input past a bound; nothing after it is read.
    case protocolError(RESPProtocolError)
}

/// The NIO decoder of a RESP connection: turns bytes into batches of ``RESPCommand``s with
/// ``RESPCommandParser``. `ByteToMessageHandler`'s `maximumBufferSize` bounds the bytes held.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPInbound

    let parser: RESPCommandParser
    private var failed = false

    init(limits: RESPLimits) {
        parser = RESPCommandParser(limits: limits)
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if failed {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        var batch: [RESPCommand] = []
        do {
            while batch.count < parser.limits.maxPipeline, let command = try parser.next(&buffer) {
                batch.append(command)
            }
        } catch {
            failed = true
            if !batch.isEmpty { context.fireChannelRead(wrapInboundOut(.commands(batch))) }
            context.fireChannelRead(wrapInboundOut(.protocolError(error)))
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        guard !batch.isEmpty else { return .needMoreData }
        context.fireChannelRead(wrapInboundOut(.commands(batch)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        // A half-sent command at the end of the input is dropped: nothing of it runs.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
