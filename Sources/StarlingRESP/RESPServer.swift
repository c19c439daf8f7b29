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
    /// The connections being served, and whether the server is closing (a connection accepted
    /// just before is closed as it starts).
    private let open = Mutex<(channels: [ObjectIdentifier: any Channel], closing: Bool)>(([:], false))
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
        let limits = settings.limits
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
        let channels = open.withLock { open in
            open.closing = true
            return Array(open.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }

    private func serve(_ accepted: RESPConnection) async {
        let connection = accepted.channel
        let channel = connection.channel
        let key = ObjectIdentifier(channel)
        let closing = open.withLock { open in
            open.channels[key] = channel
            return open.closing
        }
        if closing { channel.close(promise: nil) }
        defer { _ = open.withLock { $0.channels.removeValue(forKey: key) } }
        await shared.counting {
            do {
                try await connection.executeThenClose { inbound, outbound in
                    var session = RESPSession(shared: shared, id: shared.newClientID(), gate: accepted.gate)
                    try? session.openStores()
                    let allocator = channel.allocator
                    var replies = allocator.buffer(capacity: 1_024)
                    for try await message in inbound {
                        switch message {
                        case .commands(let batch):
                            var index = batch.startIndex
                            while index < batch.endIndex {
                                // A run of plain GETs is read in one snapshot.
                                var end = index
                                while end < batch.endIndex, RESPSession.isPlainGet(batch[end]) { end += 1 }
                                if end - index > 1 {
                                    let run = session.getRun(batch[index..<end])
                                    for (offset, command) in batch[index..<end].enumerated() {
                                        if let run {
                                            replies.writeRESP(run[offset], version: session.version)
                                        } else {
                                            replies.writeRESP(
                                                await session.execute(command).0, version: session.version)
                                        }
                                        if replies.readableBytes >= 65_536 {
                                            try await outbound.write(replies)
                                            replies = allocator.buffer(capacity: 1_024)
                                        }
                                    }
                                    index = end
                                } else {
                                    let (reply, after) = await session.execute(batch[index])
                                    replies.writeRESP(reply, version: session.version)
                                    if after == .close {
                                        try await outbound.write(replies)
                                        return
                                    }
                                    index += 1
                                }
                                if replies.readableBytes >= 65_536 {
                                    try await outbound.write(replies)
                                    replies = allocator.buffer(capacity: 1_024)
                                }
                            }
                        case .protocolError(let error):
                            replies.writeRESP(.error("ERR \(error.message)"), version: session.version)
                            try await outbound.write(replies)
                            logger.debug("RESP protocol error; closing", metadata: ["error": "\(error.message)"])
                            return
                        }
                        if replies.readableBytes > 0 {
                            try await outbound.write(replies)
                            replies = allocator.buffer(capacity: 1_024)
                        }
                    }
                }
            } catch {
                logger.debug("RESP connection ended", metadata: ["error": "\(error)"])
            }
        }
    }
}
