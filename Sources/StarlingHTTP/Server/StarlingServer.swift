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
        /// Settings of the HTTP API (body limit, access policy, metrics).
        public var api = HTTPAPI.Settings()

        /// Every default.
        public init() {}
    }

    /// The node whose stores are served.
    public let node: Node
    /// The replication over UDP.
    public let replication: UDPReplication
    /// The bound HTTP port (the real one when configured as 0).
    public let httpPort: Int
    private let listener: HTTPListener

    private init(node: Node, replication: UDPReplication, listener: HTTPListener, httpPort: Int) {
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
        do {
            let listener = try await HTTPListener.start(
                api: api, host: configuration.httpHost, port: configuration.httpPort, logger: logger)
            return StarlingServer(
                node: node, replication: replication, listener: listener,
                httpPort: listener.port ?? configuration.httpPort)
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
