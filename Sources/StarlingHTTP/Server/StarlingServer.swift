public import Logging
public import Starling

/// A running peer — a ``Node``, its UDP replication and the HTTP API — which is what
/// `starling serve` runs, started and stopped in the right order so an in-process test can
/// run the same thing.
///
/// ``shutdown()`` stops accepting HTTP requests and lets the ones in flight finish (their
/// writes are acknowledged only once committed), then leaves the membership so peers see
/// the node as `left` rather than suspect it, then finishes queued writes and closes the
/// database.
public final class StarlingServer: Sendable {
    /// Everything a server needs to start.
    public struct Configuration: Sendable {
        /// The data directory; created if missing. Default `./starling-data`.
        public var dataDirectory = "./starling-data"
        /// Stores, limits and storage settings of the node.
        public var node = Node.Settings()
        /// Gossip address, seeds, cluster key and timings.
        public var replication = ReplicationSettings()
        /// The HTTP host to bind. Default `127.0.0.1`.
        public var httpHost = "127.0.0.1"
        /// The HTTP port; 0 lets the system choose. Default 7070.
        public var httpPort = 7070
        /// Settings of the HTTP API (body limit, timeouts, watchers, access policy, metrics).
        public var api = HTTPAPI.Settings()
        /// The most TCP connections open at once; a new one past it is closed at once while the
        /// open ones go on. Default nil: the soft `RLIMIT_NOFILE` minus 128 descriptors kept for
        /// storage, gossip and logs, between 16 and 10,000 (896 under `ulimit -n 1024`).
        public var maxConnections: Int?

        /// Every default.
        public init() {}
    }

    /// The node whose stores are served.
    public let node: Node
    /// The replication over UDP.
    public let replication: UDPReplication
    /// The bound HTTP port (the real one when configured as 0).
    public let httpPort: Int
    /// The connection budget of the server's listeners.
    package let connections: ConnectionLimiter
    private let listener: HTTPListener

    private init(
        node: Node, replication: UDPReplication, listener: HTTPListener, httpPort: Int, connections: ConnectionLimiter
    ) {
        self.connections = connections
        self.node = node
        self.replication = replication
        self.listener = listener
        self.httpPort = httpPort
    }

    /// Opens the node, starts replication and binds the HTTP API; on any failure undoes what
    /// was started.
    /// - Throws: the node's or replication's error; `UNAVAILABLE` if the HTTP address cannot be bound.
    public static func start(_ configuration: Configuration, logger: Logger) async throws(StoreError) -> StarlingServer {
        let node = try Node.open(directory: configuration.dataDirectory, settings: configuration.node, logger: logger)
        let replication: UDPReplication
        do {
            replication = try await UDPReplication.start(node: node, settings: configuration.replication, logger: logger)
        } catch {
            await node.close()
            throw error
        }
        let api = HTTPAPI(node: node, replication: replication.engine, settings: configuration.api)
        let connections = ConnectionLimiter(limit: configuration.maxConnections ?? ConnectionLimiter.defaultLimit)
        logger.info(
            "accepting at most \(connections.limit) connections (max_connections)",
            metadata: ["descriptor_limit": "\(ConnectionLimiter.currentDescriptorLimit().map(String.init) ?? "unlimited")"])
        do {
            let listener = try await HTTPListener.start(
                api: api, host: configuration.httpHost, port: configuration.httpPort, limiter: connections,
                logger: logger)
            return StarlingServer(
                node: node, replication: replication, listener: listener,
                httpPort: listener.port ?? configuration.httpPort, connections: connections)
        } catch {
            await replication.stop()
            await node.close()
            throw .unavailable("cannot serve HTTP on \(configuration.httpHost):\(configuration.httpPort): \(error)")
        }
    }

    /// Stops in order: HTTP (in-flight requests finish), membership (leave), storage (queued
    /// writes commit, the database closes).
    public func shutdown() async {
        await listener.stop()
        await replication.stop()
        await node.close()
    }
}
