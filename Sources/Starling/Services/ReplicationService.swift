public import Logging
public import ServiceLifecycle

/// Replication over UDP as a swift-service-lifecycle `Service`, for a `ServiceGroup`: it runs
/// until the group shuts down gracefully (or is cancelled), then leaves the cluster and persists
/// progress. `starling serve` runs it this way, beside the HTTP API.
///
/// ```swift
/// let group = ServiceGroup(configuration: .init(
///     services: [ReplicationService(node: node, settings: replication, logger: logger), app],
///     gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
/// try await group.run()
/// await node.close()        // after the group: replication has left by then
/// ```
public struct ReplicationService: Service {
    private enum Replication: Sendable {
        case toStart(node: Node, settings: ReplicationEngine.Settings, logger: Logger)
        case started(UDPReplication)
    }

    private let replication: Replication

    /// A service that starts replication of `node` when it runs.
    public init(node: Node, settings: ReplicationEngine.Settings, logger: Logger) {
        replication = .toStart(node: node, settings: settings, logger: logger)
    }

    /// A service that runs replication already started with ``UDPReplication/start(node:settings:logger:)``,
    /// so that a bad address or key fails before anything is announced, and stops it on shutdown.
    public init(running replication: UDPReplication) {
        self.replication = .started(replication)
    }

    /// Runs replication until graceful shutdown or cancellation, then stops it.
    /// - Throws: the error that kept replication from starting.
    public func run() async throws {
        let running: UDPReplication
        switch replication {
        case .toStart(let node, let settings, let logger):
            running = try await UDPReplication.start(node: node, settings: settings, logger: logger)
        case .started(let replication):
            running = replication
        }
        // Returns on graceful shutdown, and throws on cancellation: either way, leave.
        try? await gracefulShutdown()
        await running.stop()
    }
}
