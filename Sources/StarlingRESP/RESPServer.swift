package import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
package import Starling
import StarlingCore
import Synchronization

/// The Redis protocol listener of a peer: RESP2, and RESP3 after `HELLO 3`, on SwiftNIO.
///
/// ``bind(host:port:node:replication:settings:connections:logger:)`` binds the address (so a
/// taken port fails at start); ``run()`` serves connections until a graceful shutdown, which
/// stops accepting and closes the connections (every acknowledged write is already durable).
///
/// Each connection decodes commands with ``RESPCommandParser`` under ``RESPLimits`` and runs
/// them one at a time, replying in order; a pipeline's replies are written together. A client
/// that stops reading its replies stops being read (NIO's writability backs the writer up), so
/// it holds at most a pipeline of replies in memory.
public final class RESPServer: Service, Sendable {
    /// The bound port (the real one when bound to port 0).
    public let port: Int
    private let shared: RESPShared
    private let listener: NIOAsyncChannel<RESPConnection, Never>
    private let logger: Logger

    private init(
        port: Int, shared: RESPShared, listener: NIOAsyncChannel<RESPConnection, Never>,
        logger: Logger
    ) {
        self.port = port
        self.shared = shared
        self.listener = listener
        self.logger = logger
    }

    /// Binds `host:port` for the Redis protocol.
    /// - Parameters:
    ///   - host: the address to bind, such as `127.0.0.1`.
    ///   - port: the port; 0 lets the system choose.
    ///   - node: the node whose stores are served.
    ///   - replication: the replication, for `INFO replication`; nil without.
    ///   - settings: databases, access policy and limits.
    ///   - connections: the connection budget shared with the other listeners; nil for none.
    ///   - logger: where connection problems are logged.
    /// - Throws: `UNAVAILABLE` if the address cannot be bound; `INVALID` for a database list
    ///   naming a store the node does not host.
    package static func bind(
        host: String, port: Int, node: Node, replication: ReplicationEngine?, settings: RESPSettings,
        connections: ConnectionLimiter?, logger: Logger
    ) async throws(StoreError) -> RESPServer {
        guard !settings.databases.isEmpty else { throw .invalid("resp_databases must name at least one store") }
        for id in settings.databases {
            guard node.settings.stores.contains(id) else {
                throw .invalid("resp_databases names the store \"\(id)\", which this node does not host")
            }
        }
        // No bulk string longer than what the node can store is read.
        var lowered = settings.limits
        lowered.maxBulkBytes = min(
            lowered.maxBulkBytes,
            RESPLimits.bulkBytes(
                maxValueBytes: node.settings.limits.maxValueBytes, maxKeyBytes: node.settings.limits.maxKeyBytes))
        let limits = lowered
        let metrics = ListenerConnectionMetrics(listener: "resp")
        let listener: NIOAsyncChannel<RESPConnection, Never>
        let guarded = settings.policy != nil
        do {
            listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.backlog, value: 256)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                .childChannelOption(.maxMessagesPerRead, value: 16)
                .bind(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let connections, !connections.admit(channel, metrics: metrics, logger: logger) {
                            // Closed already; the connection's loop ends at once.
                        }
                        let gate = RESPAuthGate(open: !guarded)
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(
                                RESPDecoder(limits: limits), maximumBufferSize: limits.maxBufferedBytes))
                        if guarded {
                            // A stranger that has not authenticated in time is closed.
                            channel.eventLoop.scheduleTask(in: .milliseconds(limits.authTimeoutMillis)) {
                                if !gate.isOpen { channel.close(promise: nil) }
                            }
                        }
                        let wrapped = try NIOAsyncChannel<RESPInbound, ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 4)))
                        return RESPConnection(channel: wrapped, gate: gate)
                    }
                }
        } catch {
            throw .unavailable("cannot serve RESP on \(host):\(port): \(error)")
        }
        let bound = listener.channel.localAddress?.port ?? port
        let shared = RESPShared(node: node, replication: replication, settings: settings, port: bound)
        return RESPServer(port: bound, shared: shared, listener: listener, logger: logger)
    }

    /// Serves connections until a graceful shutdown or cancellation.
    public func run() async throws {
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await listener.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await self.serve(connection) }
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            self.close()
        }
    }

    /// Stops accepting and closes every open connection.
    func close() {
        listener.channel.close(promise: nil)
        shared.closeAll()
    }

    private func serve(_ accepted: RESPConnection) async {
        let channel = accepted.channel.channel
        shared.opened(channel)
        defer { shared.ended(channel) }
        do {
            // Even a connection closed at once is run through executeThenClose: dropping an
            // NIOAsyncChannel unused traps on its writer.
            try await accepted.channel.executeThenClose { inbound, outbound in
                var session = RESPSession(shared: shared, id: shared.newClientID(), gate: accepted.gate)
                var replies = RESPReplyWriter(outbound: outbound, allocator: channel.allocator)
                for try await message in inbound {
                    switch message {
                    case .commands(let batch):
                        let after = try await session.answer(batch, into: &replies)
                        try await replies.flush()
                        if after == .close { return }
                    case .protocolError(let error):
                        try await replies.append(.error("ERR \(error.message)"), version: session.version)
                        try await replies.flush()
                        logger.debug("RESP protocol error; closing", metadata: ["error": "\(error.message)"])
                        return
                    }
                }
            }
        } catch {
            logger.debug("RESP connection ended", metadata: ["error": "\(error)"])
        }
    }
}

/// A connection's replies on their way out: written together per pipeline, and every 64 KiB
/// within one, so a long pipeline's replies are never all held at once.
struct RESPReplyWriter {
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let allocator: ByteBufferAllocator
    private var buffer: ByteBuffer

    init(outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, allocator: ByteBufferAllocator) {
        self.outbound = outbound
        self.allocator = allocator
        buffer = allocator.buffer(capacity: 1_024)
    }

    /// Adds `reply`, writing what is held once it passes 64 KiB.
    mutating func append(_ reply: RESPReply, version: Int) async throws {
        buffer.writeRESP(reply, version: version)
        if buffer.readableBytes >= 65_536 { try await flush() }
    }

    /// Writes what is held.
    mutating func flush() async throws {
        guard buffer.readableBytes > 0 else { return }
        try await outbound.write(buffer)
        buffer = allocator.buffer(capacity: 1_024)
    }
}
