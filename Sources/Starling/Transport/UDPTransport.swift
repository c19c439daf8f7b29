public import Logging
import NIOCore
import NIOPosix
public import StarlingCore
import Synchronization

/// A node replicating over real UDP: a bound socket, its receive loop, and the engine.
///
/// ```swift
/// var settings = ReplicationEngine.Settings()
/// settings.bind = PeerAddress(host: "0.0.0.0", port: 7946)
/// settings.seeds = [PeerAddress(host: "10.0.0.2", port: 7946)]
/// let replication = try await UDPReplication.start(node: node, settings: settings)
/// // ... the node's writes now reach the other peers, and theirs arrive here ...
/// await replication.stop()
/// ```
public final class UDPReplication: Sendable {
    /// The engine; ask it for members and statistics.
    public let engine: ReplicationEngine
    /// The address the socket is bound to (with the real port when bound to port 0).
    public let boundAddress: PeerAddress
    private let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
    private let loop: Task<Void, Never>
    private let commitObservation: Node.CommitObservation
    private let seedRetry: Task<Void, Never>?

    /// Datagrams the receive loop may queue for the engine before it stops reading the socket.
    static let inboxCapacity = 4_096

    /// Whether a datagram from `source` arriving at the socket bound to `bound` is handed to the
    /// engine; benchmarks use it to simulate a lossy or partitioned network over real sockets.
    package typealias InboundFilter = @Sendable (_ source: PeerAddress, _ bound: PeerAddress) -> Bool

    /// Binds the socket, joins the seeds, and starts replicating `node`.
    /// - Throws: `INVALID` for bad settings; `UNAVAILABLE` if the socket cannot be bound.
    public static func start(
        node: Node, settings: ReplicationEngine.Settings, logger: Logger = Logger(label: "starling.replication")
    ) async throws(StoreError) -> UDPReplication {
        try await start(node: node, settings: settings, logger: logger, inboundFilter: nil)
    }

    /// ``start(node:settings:logger:)`` with every arriving datagram passed through `inboundFilter`
    /// first (none: every datagram is delivered), and configured host names resolved by `resolver`.
    package static func start(
        node: Node, settings: ReplicationEngine.Settings, logger: Logger, inboundFilter: InboundFilter?,
        resolver: any HostResolver = SystemHostResolver()
    ) async throws(StoreError) -> UDPReplication {
        try settings.validate()
        let channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>
        do {
            // No SO_REUSEADDR: on Linux it lets a second UDP socket bind the same port and take
            // the first one's datagrams; a second peer on a used port must fail instead.
            channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .channelOption(.socketOption(.so_rcvbuf), value: .init(settings.receiveBufferBytes))
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
                .bind(host: settings.bind.host, port: Int(settings.bind.port)) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                            wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw .unavailable("cannot bind UDP \(settings.bind): \(error)")
        }
        let local = channel.channel.localAddress
        let bound = PeerAddress(
            host: local?.ipAddress ?? settings.bind.host, port: UInt16(clamping: local?.port ?? Int(settings.bind.port))
        )
        let transport = UDPTransport(logger: logger)
        let engine: ReplicationEngine
        let unresolvedSeeds: [PeerAddress]
        do {
            // Configured names are resolved here, once, off the event loops; everything the
            // engine and the wire see is numeric.
            let advertised = try await resolveAdvertised(settings.advertisedAddress(bound: bound), resolver: resolver)
            let seeds = await resolver.resolveAll(settings.seeds, timeout: settings.resolveTimeout)
            unresolvedSeeds = seeds.unresolved
            for seed in seeds.unresolved {
                logger.warning(
                    "cannot resolve seed; retrying in the background",
                    metadata: ["seed": "\(seed)", "timeout": "\(settings.resolveTimeout)"])
            }
            var resolvedSettings = settings
            resolvedSettings.seeds = seeds.resolved
            engine = try ReplicationEngine(
                node: node, settings: resolvedSettings, address: advertised, transport: transport,
                scheduler: TaskScheduler(), randomSeed: UInt64.random(in: .min ... .max), logger: logger)
        } catch {
            try? await channel.channel.close()
            throw error
        }
        let (ready, readySignal) = AsyncStream<Void>.makeStream()
        let inbox = DatagramInbox(capacity: inboxCapacity)
        let loop = Task {
            // The engine takes whatever arrived while it handled the last batch.
            let consumer = Task {
                while true {
                    let batch = await inbox.next()
                    if batch.isEmpty { return }
                    await engine.receive(batch)
                }
            }
            do {
                try await channel.executeThenClose { inbound, outbound in
                    transport.attach(outbound)
                    readySignal.finish()
                    for try await datagram in inbound {
                        let source = PeerAddress(
                            host: datagram.remoteAddress.ipAddress ?? "",
                            port: UInt16(clamping: datagram.remoteAddress.port ?? 0))
                        if let inboundFilter, !inboundFilter(source, bound) { continue }
                        await inbox.push(Datagram(datagram.data, address: source))
                    }
                }
            } catch {
                logger.debug("UDP receive loop ended", metadata: ["error": "\(error)"])
            }
            readySignal.finish()
            inbox.finish()
            await consumer.value
        }
        for await _ in ready {}
        // One pending notification at most: commits made before the engine picks it up are
        // pushed together.
        let signal = CommitSignal()
        let observation = node.observeCommits { _ in
            guard signal.raise() else { return }
            Task {
                signal.lower()
                await engine.localCommitted()
            }
        }
        await engine.start()
        let seedRetry = retryResolving(
            unresolvedSeeds, into: engine, resolver: resolver, settings: settings, logger: logger)
        logger.info("replicating", metadata: ["bound": "\(bound)", "node": "\(node.id)"])
        return UDPReplication(
            engine: engine, boundAddress: bound, channel: channel, loop: loop, observation: observation,
            seedRetry: seedRetry)
    }

    /// The advertised address, numeric: a configured name is resolved (and must resolve).
    private static func resolveAdvertised(
        _ address: PeerAddress, resolver: any HostResolver
    ) async throws(StoreError) -> PeerAddress {
        if address.isNumeric { return address }
        let outcome = await resolver.resolveAll([address], timeout: ReplicationEngine.Settings().resolveTimeout)
        guard let numeric = outcome.resolved.first else {
            throw .invalid("cannot resolve the advertised gossip address \(address) to an IP address")
        }
        return numeric
    }

    /// Resolves seeds that did not resolve at start, once per reconnect interval, until each has.
    private static func retryResolving(
        _ seeds: [PeerAddress], into engine: ReplicationEngine, resolver: any HostResolver,
        settings: ReplicationEngine.Settings, logger: Logger
    ) -> Task<Void, Never>? {
        guard !seeds.isEmpty else { return nil }
        let interval = Duration.milliseconds(max(1_000, settings.membership.reconnectIntervalMillis))
        return Task {
            var pending = seeds
            while !pending.isEmpty {
                do { try await Task.sleep(for: interval) } catch { return }
                let outcome = await resolver.resolveAll(pending, timeout: settings.resolveTimeout)
                pending = outcome.unresolved
                if !outcome.resolved.isEmpty {
                    logger.info("resolved seeds", metadata: ["seeds": "\(outcome.resolved)"])
                    await engine.addSeeds(outcome.resolved)
                }
            }
        }
    }

    private init(
        engine: ReplicationEngine, boundAddress: PeerAddress,
        channel: NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>, loop: Task<Void, Never>,
        observation: Node.CommitObservation, seedRetry: Task<Void, Never>?
    ) {
        self.engine = engine
        self.boundAddress = boundAddress
        self.channel = channel
        self.loop = loop
        self.commitObservation = observation
        self.seedRetry = seedRetry
    }

    /// Leaves the cluster, persists progress and closes the socket.
    public func stop() async {
        seedRetry?.cancel()
        commitObservation.cancel()
        await engine.stop()
        try? await channel.channel.close()
        await loop.value
    }
}

/// Whether a local-commit notification is pending, so that a burst of commits schedules one
/// push task, not one per commit.
private final class CommitSignal: Sendable {
    private let raised = Atomic<Bool>(false)

    /// Raises the signal. - Returns: true if it was down (the caller schedules the push).
    func raise() -> Bool { !raised.exchange(true, ordering: .acquiringAndReleasing) }

    /// Lowers the signal before the push runs, so commits made during it schedule another.
    func lower() { raised.store(false, ordering: .releasing) }
}

/// Sends datagrams through a bound NIO channel, caching the socket addresses of peers.
final class UDPTransport: DatagramTransport, Sendable {
    private struct State {
        var outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>?
        var resolved: [PeerAddress: SocketAddress] = [:]
    }

    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    /// Connects the transport to the channel's writer, once the channel runs.
    func attach(_ writer: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>) {
        state.withLock { $0.outbound = writer }
    }

    func send(_ datagram: ByteBuffer, to address: PeerAddress) async {
        guard let outbound = state.withLock({ $0.outbound }), let socketAddress = resolve(address) else { return }
        do {
            try await outbound.write(AddressedEnvelope(remoteAddress: socketAddress, data: datagram))
        } catch {
            logger.debug("UDP send failed", metadata: ["to": "\(address)", "error": "\(error)"])
        }
    }

    func send(_ datagrams: [Datagram]) async {
        guard let outbound = state.withLock({ $0.outbound }) else { return }
        let envelopes = datagrams.compactMap { datagram in
            resolve(datagram.address).map { AddressedEnvelope(remoteAddress: $0, data: datagram.bytes) }
        }
        guard !envelopes.isEmpty else { return }
        do {
            try await outbound.write(contentsOf: envelopes)
        } catch {
            logger.debug("UDP send failed", metadata: ["datagrams": "\(envelopes.count)", "error": "\(error)"])
        }
    }

    /// The socket address of a numeric peer address. Names are never resolved here: every
    /// address the engine sends to is numeric (configured names are resolved at start).
    private func resolve(_ address: PeerAddress) -> SocketAddress? {
        if let cached = state.withLock({ $0.resolved[address] }) { return cached }
        guard let socketAddress = try? SocketAddress(ipAddress: address.host, port: Int(address.port)) else {
            logger.warning("not sending to a peer address that is not numeric", metadata: ["address": "\(address)"])
            return nil
        }
        state.withLock { $0.resolved[address] = socketAddress }
        return socketAddress
    }
}
