/// The member table and failure detector of one peer: SWIM (Das, Gupta and Motivala, 2002)
/// with parts of Lifeguard (Dadgar et al., 2018), as a pure state machine.
///
/// Each event — ``start(nowMillis:)``, ``tick(nowMillis:)``, ``received(_:from:nowMillis:)``,
/// ``leave(nowMillis:)`` — returns the ``Directive``s the shell must carry out: messages to
/// send, member changes to report, and when to call ``tick(nowMillis:)`` next. The machine does
/// no I/O and reads no clock and no global random source: time is passed in, and every random
/// choice comes from a generator seeded at ``init(me:address:seeds:settings:incarnation:randomSeed:)``,
/// so the same seed and the same events give the same directives.
///
/// The protocol, in short:
/// - Every ``Settings/probeIntervalMillis`` one live member is pinged, in a round-robin over a
///   list shuffled again after each round. No ack within ``Settings/probeTimeoutMillis``: up to
///   ``Settings/indirectProbeCount`` other members are asked to ping it. No ack, direct or
///   relayed, by the end of the period: it becomes suspect. A suspect that does not refute
///   within ``Settings/suspicionTimeoutMillis`` is declared dead; dead and left members are
///   removed after ``Settings/deadMemberRetentionMillis`` (the dead not while no member is
///   live: then they may be the only way back). Remembered dead members and seeds that are not
///   live members are pinged every ``Settings/reconnectIntervalMillis``, so partitions heal.
/// - Changes spread as gossip piggybacked on every SWIM message (and on replication traffic
///   through ``gossip()``). Higher incarnations win; at equal incarnation the worse status wins.
/// - Only a member raises its own incarnation: to refute gossip that it is suspect, dead or
///   left, or any other claim about it at its incarnation or later that is not its own.
public struct Membership: Sendable {
    /// This peer's identity.
    public let me: NodeID
    /// Where this peer listens; sent in every ping so others learn it.
    public let address: PeerAddress
    /// The addresses pinged to join, without this peer's own address and without duplicates.
    public internal(set) var seeds: [PeerAddress]
    /// The settings in force.
    public let settings: Settings
    /// This peer's incarnation: starts at the value given at creation and only grows, by
    /// refutation.
    public internal(set) var incarnation: UInt64
    /// True once ``leave(nowMillis:)`` was called: the peer no longer probes or refutes.
    public internal(set) var hasLeft = false
    /// What this instance did, for metrics.
    public internal(set) var counters = Counters()

    /// Every known member but this peer.
    var table: [NodeID: Record] = [:]
    /// The live members in probe order; `probeIndex` is the next one to probe.
    var probeOrder: [NodeID] = []
    var probeIndex = 0
    /// This peer's own probes awaiting an ack, by probe id.
    var pendingProbes: [UInt64: Probe] = [:]
    /// Pings sent on another member's behalf (indirect probes), by the id of the ping sent.
    var relays: [UInt64: Relay] = [:]
    /// Updates still to piggyback, one per member (self included).
    var gossipQueue: [NodeID: GossipItem] = [:]
    var gossipSequence: UInt64 = 0
    var lastProbeID: UInt64 = 0
    var nextProbeMillis: Int64?
    var nextReconnectMillis: Int64?
    /// Counts reconnect pings: which dead member or seed is next (see ``reconnect(into:)``).
    var reconnectTurn = 0
    var random: SplitMix64

    /// Creates the machine; call ``start(nowMillis:)`` next.
    /// - Parameters:
    ///   - me: this peer's identity.
    ///   - address: where this peer listens, as others reach it.
    ///   - seeds: addresses to join through. This peer's own address is ignored.
    ///   - settings: timing and gossip sizes. Default ``Settings/init()``.
    ///   - incarnation: the incarnation to start at; 0 for a fresh (or restarted) peer. A
    ///     restarted peer that others consider dead refutes to a higher one when it learns so.
    ///   - randomSeed: seeds every random choice (probe order, indirect-probe helpers, padding).
    public init(
        me: NodeID, address: PeerAddress, seeds: [PeerAddress], settings: Settings = Settings(),
        incarnation: UInt64 = 0, randomSeed: UInt64
    ) {
        self.me = me
        self.address = address
        var unique: [PeerAddress] = []
        for seed in seeds where seed != address && !unique.contains(seed) { unique.append(seed) }
        self.seeds = unique
        self.settings = settings
        self.incarnation = incarnation
        self.random = SplitMix64(seed: randomSeed)
        self.lastProbeID = random.next()
    }

    /// Adds seeds known only now, such as configured host names resolved after start; they
    /// are pinged from the next tick on, as seeds given at creation are.
    /// - Parameter more: addresses to join through; this peer's own and known seeds are ignored.
    public mutating func addSeeds(_ more: [PeerAddress]) {
        for seed in more where seed != address && !seeds.contains(seed) { seeds.append(seed) }
    }

    /// Every known member except this peer, of any status, sorted by id.
    public var members: [MemberUpdate] {
        table.keys.sorted().compactMap { table[$0]?.update }
    }

    /// The members that are replication targets: alive or suspect (a suspect may yet refute),
    /// sorted by id.
    public var liveMembers: [MemberUpdate] {
        members.filter { Self.isLive($0.status) }
    }

    /// What this peer knows of `id`.
    /// - Parameter id: a member's identity.
    /// - Returns: its latest state, or `nil` for an unknown member and for this peer itself
    ///   (see ``localMember``).
    public func member(_ id: NodeID) -> MemberUpdate? {
        table[id]?.update
    }

    /// This peer as it describes itself: alive (or left) at its current incarnation.
    public var localMember: MemberUpdate {
        MemberUpdate(id: me, address: address, incarnation: incarnation, status: hasLeft ? .left : .alive)
    }

    /// What the shell must do after an event.
    public enum Directive: Sendable, Hashable {
        /// Send `message` to `to`, with this peer as the envelope's sender.
        case send(Message, to: PeerAddress)
        /// A member other than this peer was added, or its status or address changed: alive
        /// (joined or recovered), suspect, dead or left. Incarnation-only changes are not reported.
        case memberChanged(MemberUpdate)
        /// A dead or left member was forgotten after ``Settings/deadMemberRetentionMillis``.
        case memberRemoved(NodeID)
        /// Call ``Membership/tick(nowMillis:)`` after this many milliseconds (at least 1).
        /// Only ``Membership/start(nowMillis:)`` and ``Membership/tick(nowMillis:)`` return it,
        /// exactly once each, so the shell keeps a single timer chain. Ticking early or late is
        /// harmless: every deadline is checked against the time passed in.
        case scheduleTick(afterMillis: Int64)
    }

    /// Counts of what this instance did, for metrics. They only grow.
    public struct Counters: Sendable, Hashable {
        /// Pings this peer sent on its own account: probes, seed pings, reconnect and leave
        /// pings (not pings sent on another member's behalf).
        public var probesSent = 0
        /// Ping requests sent to other members after a missed direct ack.
        public var indirectProbesSent = 0
        /// Members this peer marked suspect after a failed probe (not suspicions learned by gossip).
        public var suspicionsRaised = 0
        /// Members this peer declared dead when their suspicion timed out (not deaths learned
        /// by gossip).
        public var membersDeclaredDead = 0
        /// Times this peer raised its incarnation to refute a claim about itself.
        public var refutations = 0

        /// Creates zero counters.
        public init() {}
    }
}
