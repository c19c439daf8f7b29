import Hummingbird
public import Logging
import ServiceLifecycle
public import Starling
public import StarlingRESP
import Synchronization
public import UnixSignals

/// A running peer — a ``Node``, its UDP replication and the HTTP API — which is what
/// `starling serve` runs, so that an in-process test runs the same thing.
///
/// Replication and HTTP are services of one swift-service-lifecycle `ServiceGroup`, and the
/// group's order is the shutdown order: on a signal of ``Configuration/shutdownSignals`` or
/// ``shutdown()``, HTTP stops accepting requests and lets the ones in flight finish (their writes
/// are acknowledged only once committed), then replication leaves the membership so peers see
/// the node as `left` rather than suspect it; once the group has returned, queued writes finish
/// and the database closes.
public final class StarlingServer: Sendable {
    /// Everything a server needs to start.
    public struct Configuration: Sendable {
        /// The data directory; created if missing. Default `./starling-data`.
        public var dataDirectory = "./starling-data"
        /// Stores, limits and storage settings of the node.
        public var node = Node.Settings()
        /// Gossip address, seeds, cluster key and timings.
        public var replication = ReplicationEngine.Settings()
        /// The HTTP host to bind. Default `127.0.0.1`.
        public var httpHost = "127.0.0.1"
        /// The HTTP port; 0 lets the system choose. Default 7070.
        public var httpPort = 7070
        /// The Redis protocol listener's host and port (0 lets the system choose); nil for none.
        /// Default nil: an embedding application opts in (`starling serve` listens on
        /// `127.0.0.1:7379` unless told otherwise).
        public var resp: (host: String, port: Int)?
        /// The Redis protocol's databases, access policy and limits.
        public var respSettings = RESPSettings()
        /// Settings of the HTTP API (body limit, timeouts, watchers, access policy, metrics).
        public var api = HTTPAPI.Settings()
        /// The most TCP connections open at once; a new one past it is closed at once while the
        /// open ones go on. Default nil: the soft `RLIMIT_NOFILE` minus 128 descriptors kept for
        /// storage, gossip and logs, between 16 and 10,000 (896 under `ulimit -n 1024`).
        public var maxConnections: Int?
        /// The signals that shut the server down gracefully, such as `[.sigterm, .sigint]` for a
        /// process; caught from ``StarlingServer/start(_:logger:)`` on. Default none.
        public var shutdownSignals: [UnixSignal] = []
        /// Called once when a graceful shutdown begins, before HTTP stops. Default none.
        public var onShutdown: (@Sendable () -> Void)?

        /// Every default.
        public init() {}
    }

    /// The node whose stores are served.
    public let node: Node
    /// The replication over UDP.
    public let replication: UDPReplication
    /// The bound HTTP port (the real one when configured as 0).
    public let httpPort: Int
    /// The bound Redis protocol port, or nil when RESP is off.
    public let respPort: Int?
    /// The connection budget of the server's listeners.
    package let connections: ConnectionLimiter
    private let group: ServiceGroup
    /// Runs the group, then closes the node; fails with what stopped a service.
    private let running: Task<Void, any Error>

    private init(
        node: Node, replication: UDPReplication, httpPort: Int, respPort: Int?, connections: ConnectionLimiter,
        group: ServiceGroup, running: Task<Void, any Error>
    ) {
        self.node = node
        self.replication = replication
        self.httpPort = httpPort
        self.respPort = respPort
        self.connections = connections
        self.group = group
        self.running = running
    }

    /// Opens the node, starts replication, and returns once HTTP is listening; on any failure
    /// undoes what was started. The shutdown signals are caught before it returns.
    /// - Throws: the node's or replication's error; `UNAVAILABLE` if the HTTP address cannot be bound.
    public static func start(_ configuration: Configuration, logger: Logger) async throws(StoreError) -> StarlingServer
    {
        let node = try Node.open(directory: configuration.dataDirectory, settings: configuration.node, logger: logger)
        let replication: UDPReplication
        do {
            replication = try await UDPReplication.start(
                node: node, settings: configuration.replication, logger: logger)
        } catch {
            await node.close()
            throw error
        }
        let api = HTTPAPI(node: node, replication: replication.engine, settings: configuration.api)
        let connections = ConnectionLimiter(limit: configuration.maxConnections ?? ConnectionLimiter.defaultLimit)
        logger.info(
            "accepting at most \(connections.limit) connections (max_connections)",
            metadata: [
                "descriptor_limit": "\(ConnectionLimiter.currentDescriptorLimit().map(String.init) ?? "unlimited")"
            ])
        var resp: RESPServer?
        if let address = configuration.resp {
            do {
                resp = try await RESPServer.bind(
                    host: address.host, port: address.port, node: node, replication: replication.engine,
                    settings: configuration.respSettings, connections: connections, logger: logger)
            } catch {
                await replication.stop()
                await node.close()
                throw error
            }
        }
        let (listening, listeningSink) = AsyncStream<Int?>.makeStream()
        let http = Application(
            router: api.buildRouter(),
            server: api.server(limiter: connections),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.httpHost, port: configuration.httpPort)),
            onServerRunning: { channel in listeningSink.yield(channel.localAddress?.port) },
            logger: logger)
        // Shut down in reverse order: the notice, then HTTP (drained), then replication (leave).
        // The notice also releases writes waiting on backpressure, so that draining HTTP never
        // waits out `maxWait` for them.
        let onShutdown = configuration.onShutdown
        let notice = ShutdownNotice {
            node.backpressure.configure(maxBacklog: nil, maxWait: .zero)
            onShutdown?()
        }
        var services: [any Service] = [ReplicationService(running: replication), http]
        if let resp { services.append(resp) }
        services.append(notice)
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: services, gracefulShutdownSignals: configuration.shutdownSignals, logger: logger))
        let running = Task<Void, any Error> {
            defer { listeningSink.finish() }
            do {
                try await group.run()
            } catch {
                await node.close()
                throw error
            }
            await node.close()
        }
        for await port in listening {
            return StarlingServer(
                node: node, replication: replication, httpPort: port ?? configuration.httpPort, respPort: resp?.port,
                connections: connections, group: group, running: running)
        }
        // Cancelled while starting: nothing else would ever stop the group.
        if Task.isCancelled { await group.triggerGracefulShutdown() }
        let reason: String
        switch await running.result {
        case .failure(let error): reason = "\(error)"
        case .success: reason = "the server stopped before it listened"
        }
        throw .unavailable("cannot serve HTTP on \(configuration.httpHost):\(configuration.httpPort): \(reason)")
    }

    /// Returns once the server has stopped — after a shutdown signal, ``shutdown()`` or a failed
    /// service — and the node is closed.
    /// - Throws: the error of a service that failed.
    public func waitUntilStopped() async throws {
        try await running.value
    }

    /// Shuts down gracefully, in the group's order, and returns once the node is closed.
    public func shutdown() async {
        await group.triggerGracefulShutdown()
        _ = await running.result
    }
}

/// The first service to hear of a graceful shutdown (it is last in the group): tells the owner.
/// Cancellation (a failed service) is not a graceful shutdown and tells nobody.
private struct ShutdownNotice: Service {
    let notify: @Sendable () -> Void

    func run() async {
        do {
            try await gracefulShutdown()
            notify()
        } catch {}
    }
}
