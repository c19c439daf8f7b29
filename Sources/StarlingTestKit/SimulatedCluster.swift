import Logging
public import Starling
public import StarlingCore
import Synchronization

/// N real nodes (SQLite on temporary files) with real replication engines over a
/// ``SimulatedNetwork``: the deterministic simulation of Design.md's testing pyramid.
public final class SimulatedCluster: Sendable {
    /// One simulated peer.
    public final class Peer: Sendable {
        private struct State {
            var skewMillis: Int64 = 0
            var node: Node?
            var engine: ReplicationEngine?
            var generation = 0
        }

        /// The peer's position in ``SimulatedCluster/peers``.
        public let index: Int
        /// Its address on the simulated network.
        public let address: PeerAddress
        /// Its wall clock, moved by the cluster with simulated time (plus ``skewMillis``).
        public let clock: ManualWallClock
        let directory: TemporaryDirectory
        private let state = Mutex(State())

        /// Wall-clock skew of this host against simulated time, in milliseconds.
        public var skewMillis: Int64 {
            get { state.withLock { $0.skewMillis } }
            set { state.withLock { $0.skewMillis = newValue } }
        }
        /// Its node while it runs; nil while it is down.
        public fileprivate(set) var node: Node? {
            get { state.withLock { $0.node } }
            set { state.withLock { $0.node = newValue } }
        }
        /// Its replication engine while it runs; nil while it is down.
        public fileprivate(set) var engine: ReplicationEngine? {
            get { state.withLock { $0.engine } }
            set { state.withLock { $0.engine = newValue } }
        }

        init(index: Int, address: PeerAddress, clock: ManualWallClock) {
            self.index = index
            self.address = address
            self.clock = clock
            self.directory = TemporaryDirectory(prefix: "starling-sim-\(index)")
        }

        var currentGeneration: Int { state.withLock { $0.generation } }
        func bumpGeneration() { state.withLock { $0.generation += 1 } }

        /// The default store of a running peer.
        public func store() throws -> Store {
            guard let node else { throw StoreError.unavailable("peer \(index) is down") }
            return try node.store("default")
        }
    }

    private struct Configuration {
        var settings: ReplicationEngine.Settings
        var seedsByPeer: [Int: [Int]] = [:]
    }

    /// The simulated network between the peers.
    public let network: SimulatedNetwork
    /// The peers, by index.
    public let peers: [Peer]
    /// The seed of the network and of every peer's randomness: a failing seed replays exactly.
    public let seed: UInt64
    private let configuration: Mutex<Configuration>

    /// The replication settings of each peer, read at each start.
    public var settings: ReplicationEngine.Settings {
        get { configuration.withLock { $0.settings } }
        set { configuration.withLock { $0.settings = newValue } }
    }
    /// The seeds of each peer, by index, for peers that should not join the default way (every
    /// peer through peer 0, peer 0 through peer 1). Read at each start. Default empty.
    public var seedsByPeer: [Int: [Int]] {
        get { configuration.withLock { $0.seedsByPeer } }
        set { configuration.withLock { $0.seedsByPeer = newValue } }
    }

    /// Creates `count` peers; call ``startAll()`` next.
    public init(seed: UInt64, count: Int, settings: ReplicationEngine.Settings = SimulatedCluster.defaultSettings) {
        self.seed = seed
        configuration = Mutex(Configuration(settings: settings))
        network = SimulatedNetwork(seed: seed)
        peers = (0..<count).map { index in
            Peer(
                index: index, address: Self.address(of: index),
                clock: ManualWallClock(millis: 0))
        }
    }

    /// Where peer `index` listens on the simulated network: 10.77.0.1 to 10.77.0.254, then
    /// 10.77.1.1 and on (a numeric address: peers refuse anything else on the wire).
    package static func address(of index: Int) -> PeerAddress {
        PeerAddress(host: "10.77.\(index / 254).\(index % 254 + 1)", port: 7946)
    }

    /// Fast protocol timing for simulation.
    public static var defaultSettings: ReplicationEngine.Settings {
        var settings = ReplicationEngine.Settings()
        settings.replicator.digestInterval = .milliseconds(5_000)
        // Backpressure waits in real time, which simulated time cannot drive: a simulation that
        // turns it on gives up exact replay of writes that wait.
        settings.backpressure.maxBacklog = nil
        return settings
    }

    deinit {
        for peer in peers { peer.directory.remove() }
    }

    /// Starts every peer; each joins through peer 0 (and peer 0 through peer 1).
    public func startAll() async throws {
        for peer in peers { try await start(peer) }
    }

    /// Starts (or restarts after ``crash(_:)``) one peer from its data directory.
    public func start(_ peer: Peer) async throws {
        syncClocks(to: network.now)
        var settings = self.settings
        let seedPeer = peer.index == 0 ? (peers.count > 1 ? peers[1] : nil) : peers[0]
        settings.seeds =
            seedsByPeer[peer.index].map { $0.map { peers[$0].address } } ?? seedPeer.map { [$0.address] } ?? []
        var nodeSettings = Node.Settings()
        nodeSettings.sweepInterval = .zero
        var idGenerator = SeededGenerator(seed: seed &+ UInt64(peer.index) &* 0x9E37)
        nodeSettings.initialNodeID = NodeID.random(using: &idGenerator)
        let node = try Node.open(
            directory: peer.directory.path, settings: nodeSettings, clock: peer.clock, logger: TestNode.quietLogger)
        peer.bumpGeneration()
        let host = SimulatedHost(
            network: network, address: peer.address, generation: peer.currentGeneration,
            currentGeneration: { [peer] in peer.currentGeneration })
        let engine = try ReplicationEngine(
            node: node, settings: settings, address: peer.address, transport: host, scheduler: host,
            randomSeed: seed &+ UInt64(peer.index) &* 7919 &+ UInt64(peer.currentGeneration),
            logger: TestNode.quietLogger)
        peer.node = node
        peer.engine = engine
        network.attach(peer.address) { datagrams in await engine.receive(datagrams) }
        await engine.start()
    }

    /// Kills a peer without warning: no leave, no flush of in-memory progress. Committed data survives.
    public func crash(_ peer: Peer) async {
        network.attach(peer.address, nil)
        peer.bumpGeneration()
        peer.engine = nil
        if let node = peer.node { await node.close() }
        peer.node = nil
    }

    /// Stops a peer cleanly, as SIGTERM stops `starling serve`: it leaves the cluster (telling a
    /// few members) and persists its progress. ``start(_:)`` restarts it.
    public func stop(_ peer: Peer) async {
        syncClocks(to: network.now)
        if let engine = peer.engine { await engine.stop() }
        network.attach(peer.address, nil)
        peer.bumpGeneration()
        if let node = peer.node { await node.close() }
        peer.engine = nil
        peer.node = nil
    }

    /// Stops every peer cleanly.
    public func stopAll() async {
        for peer in peers { await stop(peer) }
    }

    /// Runs a write on a peer and tells its engine (production does this through a commit observer).
    @discardableResult
    public func write<T>(on peer: Peer, _ body: (Store) async throws -> T) async throws -> T {
        syncClocks(to: network.now)
        let result = try await body(try peer.store())
        await peer.engine?.localCommitted()
        return result
    }

    /// Advances simulated time by `millis`, running every event due.
    public func advance(by millis: Int64) async {
        await network.run(until: network.now + millis) { time in syncClocks(to: time) }
    }

    private func syncClocks(to time: Int64) {
        for peer in peers { peer.clock.set(time + peer.skewMillis) }
    }

    /// A fingerprint of the run so far: time, traffic and every peer's state. Two runs of the same
    /// seed and actions have the same fingerprint.
    public func fingerprint() throws -> String {
        "\(network.now) \(network.delivered) \(network.lost) " + (try digests().joined(separator: ","))
    }

    /// The state digest of every running peer, at simulated now.
    public func digests() throws -> [String] {
        try peers.compactMap { peer in try peer.node?.stateDigest(at: network.now) }
    }

    /// Advances time in steps until every running peer holds the same state or `limitMillis` passes.
    /// - Returns: the simulated milliseconds it took, or nil if the peers did not converge.
    public func runUntilConverged(limitMillis: Int64, stepMillis: Int64 = 250) async throws -> Int64? {
        try await advance(until: { Set(try digests()).count <= 1 }, limitMillis: limitMillis, stepMillis: stepMillis)
    }

    /// Advances time in steps of `stepMillis` until `condition` holds (checked before each step)
    /// or `limitMillis` passes.
    /// - Returns: the simulated milliseconds it took, or nil if `condition` never held.
    public func advance(
        until condition: () async throws -> Bool, limitMillis: Int64, stepMillis: Int64
    ) async rethrows -> Int64? {
        var waited: Int64 = 0
        while waited <= limitMillis {
            if try await condition() { return waited }
            await advance(by: stepMillis)
            waited += stepMillis
        }
        return nil
    }
}
