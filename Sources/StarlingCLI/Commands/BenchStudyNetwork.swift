import Foundation
import Logging
import NIOCore
import NIOPosix
import Starling
import StarlingCore

/// The faults of the convergence study's loopback network, shared by every peer: a loss rate
/// applied where datagrams arrive (as a lossy link or the fault lab's ingress drop would), and
/// a set of isolated peers that neither receive from nor are heard by the others.
final class StudyFaults: @unchecked Sendable {
    // @unchecked: `loss` and `isolated` are touched only under `lock`.
    private let lock = NSLock()
    private var loss = 0.0
    private var isolated: Set<UInt16> = []

    /// Drops each arriving datagram with probability `fraction` (0 to 1).
    func setLoss(_ fraction: Double) { lock.withLock { loss = fraction } }

    /// Cuts the peers bound to `ports` off from the rest (an empty set heals).
    func isolate(_ ports: Set<UInt16>) { lock.withLock { isolated = ports } }

    /// Whether a datagram from port `source` arriving at port `destination` is delivered, with
    /// `draw` a uniform number in [0, 1) from the receiver's seeded generator.
    func delivers(from source: UInt16, to destination: UInt16, draw: Double) -> Bool {
        lock.withLock {
            if isolated.contains(source) != isolated.contains(destination) { return false }
            return draw >= loss
        }
    }
}

/// A peer's replication over real UDP on loopback, assembled from the library's public parts
/// (``ReplicationEngine`` with a ``DatagramTransport`` of its own) like ``UDPReplication``, but
/// with a receive loop that passes every datagram through ``StudyFaults`` first.
final class StudyReplication: Sendable {
    /// The engine; ask it for members and statistics.
    let engine: ReplicationEngine
    /// The bound loopback address.
    let boundAddress: PeerAddress
    private let channel: any Channel
    private let loop: Task<Void, Never>
    private let observation: Node.CommitObservation

    private init(
        engine: ReplicationEngine, boundAddress: PeerAddress, channel: any Channel, loop: Task<Void, Never>,
        observation: Node.CommitObservation
    ) {
        self.engine = engine
        self.boundAddress = boundAddress
        self.channel = channel
        self.loop = loop
        self.observation = observation
    }

    /// Binds `settings.bind`, joins the seeds, and replicates `node`, dropping arrivals as
    /// `faults` says with a generator seeded by `seed`.
    static func start(
        node: Node, settings: ReplicationSettings, faults: StudyFaults, seed: UInt64, logger: Logger
    ) async throws -> StudyReplication {
        let channel = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_rcvbuf), value: .init(settings.receiveBufferBytes))
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65_536))
            .bind(host: settings.bind.host, port: Int(settings.bind.port)) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<AddressedEnvelope<ByteBuffer>, AddressedEnvelope<ByteBuffer>>(
                        wrappingChannelSynchronously: channel)
                }
            }
        let port = UInt16(clamping: channel.channel.localAddress?.port ?? Int(settings.bind.port))
        let bound = PeerAddress(host: settings.bind.host, port: port)
        let transport = StudyTransport()
        let engine: ReplicationEngine
        do {
            engine = try ReplicationEngine(
                node: node, settings: settings, address: bound, transport: transport, scheduler: TaskScheduler(),
                randomSeed: seed, logger: logger)
        } catch {
            try? await channel.channel.close()
            throw error
        }
        let (ready, readySignal) = AsyncStream<Void>.makeStream()
        let loop = Task {
            do {
                try await channel.executeThenClose { inbound, outbound in
                    transport.attach(outbound)
                    readySignal.finish()
                    var random = BenchRandom(seed: seed ^ 0x10_55)
                    for try await datagram in inbound {
                        let source = UInt16(clamping: datagram.remoteAddress.port ?? 0)
                        let draw = Double(random.next() >> 11) / Double(1 << 53)
                        guard faults.delivers(from: source, to: port, draw: draw) else { continue }
                        await engine.receive(
                            datagram.data, from: PeerAddress(host: datagram.remoteAddress.ipAddress ?? "", port: source))
                    }
                }
            } catch {
                logger.debug("study UDP receive loop ended", metadata: ["error": "\(error)"])
            }
            readySignal.finish()
        }
        for await _ in ready {}
        let observation = node.observeCommits { _ in
            Task { await engine.localCommitted() }
        }
        await engine.start()
        return StudyReplication(
            engine: engine, boundAddress: bound, channel: channel.channel, loop: loop, observation: observation)
    }

    /// Leaves the cluster, persists progress and closes the socket.
    func stop() async {
        observation.cancel()
        await engine.stop()
        try? await channel.close()
        await loop.value
    }
}

/// Sends the engine's datagrams through the bound channel's writer.
private final class StudyTransport: DatagramTransport, @unchecked Sendable {
    // @unchecked: `outbound` and `resolved` are touched only under `lock`.
    private let lock = NSLock()
    private var outbound: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>?
    private var resolved: [PeerAddress: SocketAddress] = [:]

    func attach(_ writer: NIOAsyncChannelOutboundWriter<AddressedEnvelope<ByteBuffer>>) {
        lock.withLock { outbound = writer }
    }

    func send(_ datagram: ByteBuffer, to address: PeerAddress) async {
        guard let outbound = lock.withLock({ outbound }) else { return }
        let target: SocketAddress
        if let cached = lock.withLock({ resolved[address] }) {
            target = cached
        } else {
            guard let made = try? SocketAddress(ipAddress: address.host, port: Int(address.port)) else { return }
            lock.withLock { resolved[address] = made }
            target = made
        }
        try? await outbound.write(AddressedEnvelope(remoteAddress: target, data: datagram))
    }
}
