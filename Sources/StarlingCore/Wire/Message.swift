/// Where a peer listens for gossip: a host name or IP literal and a UDP port.
public struct PeerAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// A host name or an IPv4/IPv6 literal.
    public var host: String
    /// The UDP port.
    public var port: UInt16

    /// Creates an address.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { (lhs.host, lhs.port) < (rhs.host, rhs.port) }

    /// `host:port`, with IPv6 hosts in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One datagram's content before sealing: who sent it, in which cluster, and the message.
public struct Envelope: Sendable, Hashable {
    /// The cluster this datagram belongs to; peers drop datagrams of other clusters.
    public var clusterID: UInt64
    /// The sending peer.
    public var sender: NodeID
    /// The message.
    public var message: Message

    /// Creates an envelope.
    public init(clusterID: UInt64, sender: NodeID, message: Message) {
        self.clusterID = clusterID
        self.sender = sender
        self.message = message
    }
}

/// Every message peers exchange.
public enum Message: Sendable, Hashable {
    /// SWIM: are you alive? Carries membership gossip.
    case ping(Ping)
    /// SWIM: please ping `target` for me (indirect probe).
    case pingRequest(PingRequest)
    /// SWIM: the answer to a ping, direct or relayed.
    case ack(Ack)
    /// Replication: changes of the sender's feed.
    case delta(Delta)
    /// Replication: the receiver holds the sender's feed through a sequence number.
    case deltaAck(DeltaAck)
    /// Repair: per-bucket hashes of the sender's state.
    case digest(Digest)
    /// One piece of a message too large for one datagram.
    case fragment(Fragment)
}

/// A member's state as gossip spreads it (SWIM). Higher incarnations override lower ones;
/// at equal incarnation the worse status wins (`alive` < `suspect` < `dead` < `left`).
public struct MemberUpdate: Sendable, Hashable {
    /// The member.
    public var id: NodeID
    /// Where it listens.
    public var address: PeerAddress
    /// Its incarnation: only the member itself raises it, to refute a suspicion.
    public var incarnation: UInt64
    /// What the sender believes about it.
    public var status: MemberStatus

    /// Creates an update.
    public init(id: NodeID, address: PeerAddress, incarnation: UInt64, status: MemberStatus) {
        self.id = id
        self.address = address
        self.incarnation = incarnation
        self.status = status
    }
}

/// A member's status in SWIM, ordered from best to worst.
public enum MemberStatus: UInt8, Sendable, Hashable, Comparable, CaseIterable {
    /// Answering probes.
    case alive = 0
    /// Missed a probe; will be declared dead unless it refutes in time.
    case suspect = 1
    /// Declared failed.
    case dead = 2
    /// Left the cluster on purpose.
    case left = 3

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// SWIM direct probe.
public struct Ping: Sendable, Hashable {
    /// Identifies the probe; the ack echoes it.
    public var probeID: UInt64
    /// Where the sender listens (so a new member learns it) and its incarnation.
    public var senderAddress: PeerAddress
    public var senderIncarnation: UInt64
    /// Piggybacked membership updates.
    public var gossip: [MemberUpdate]

    public init(probeID: UInt64, senderAddress: PeerAddress, senderIncarnation: UInt64, gossip: [MemberUpdate]) {
        self.probeID = probeID
        self.senderAddress = senderAddress
        self.senderIncarnation = senderIncarnation
        self.gossip = gossip
    }
}

/// SWIM indirect probe request: "ping `target` and relay its ack to me".
public struct PingRequest: Sendable, Hashable {
    public var probeID: UInt64
    public var target: NodeID
    public var targetAddress: PeerAddress
    public var senderAddress: PeerAddress
    public var senderIncarnation: UInt64
    public var gossip: [MemberUpdate]

    public init(
        probeID: UInt64, target: NodeID, targetAddress: PeerAddress, senderAddress: PeerAddress,
        senderIncarnation: UInt64, gossip: [MemberUpdate]
    ) {
        self.probeID = probeID
        self.target = target
        self.targetAddress = targetAddress
        self.senderAddress = senderAddress
        self.senderIncarnation = senderIncarnation
        self.gossip = gossip
    }
}

/// SWIM probe answer. `target` is the member proven alive (the sender, or the relayed target).
public struct Ack: Sendable, Hashable {
    public var probeID: UInt64
    public var target: NodeID
    public var targetIncarnation: UInt64
    public var senderAddress: PeerAddress
    public var gossip: [MemberUpdate]

    public init(
        probeID: UInt64, target: NodeID, targetIncarnation: UInt64, senderAddress: PeerAddress, gossip: [MemberUpdate]
    ) {
        self.probeID = probeID
        self.target = target
        self.targetIncarnation = targetIncarnation
        self.senderAddress = senderAddress
        self.gossip = gossip
    }
}

/// One changed key in a delta: its whole register, so the receiver merges without context.
public struct DeltaEntry: Sendable, Hashable {
    /// The store id.
    public var store: String
    /// The key; empty for the store's range tombstone.
    public var key: String
    /// The key's register on the sender.
    public var register: Register

    public init(store: String, key: String, register: Register) {
        self.store = store
        self.key = key
        self.register = register
    }
}

/// "The sender holds every write of `origin` stamped up to `clock`": one component of the
/// version vector a peer passes on with its feed, so that what a peer holds is known beyond its
/// neighbours (for the stable horizon) and so that a sender skips what its receiver holds.
public struct HeldClaim: Sendable, Hashable {
    /// The member whose writes are held.
    public var origin: NodeID
    /// Every write of `origin` stamped up to this is held.
    public var clock: HybridTimestamp

    public init(origin: NodeID, clock: HybridTimestamp) {
        self.origin = origin
        self.clock = clock
    }
}

/// Changes of the sender's feed with sequence numbers in `(after, through]` (only the latest
/// write of each key, less those the receiver holds). A `repair` delta answers a digest mismatch
/// and covers no feed range.
public struct Delta: Sendable, Hashable {
    /// The feed position this delta continues from.
    public var after: Int64
    /// The last feed position it covers: receiving it and everything through `after` means
    /// holding the sender's feed through `through`.
    public var through: Int64
    /// The changes.
    public var entries: [DeltaEntry]
    /// True for digest repair: apply the entries, acknowledge nothing.
    public var repair: Bool
    /// When `through` is the end of the sender's feed: the sender's clock as of that commit, so a
    /// receiver holding the feed through `through` holds everything the sender had stamped up to
    /// it. `.zero` when the delta stops short of the end (it then proves nothing of the kind).
    public var clock: HybridTimestamp
    /// Only when `clock` is set: what else the sender held as of that commit (some components of
    /// its version vector, those that moved since it last told the receiver). A receiver holding
    /// the feed through `through` holds all of it too.
    public var claims: [HeldClaim]

    public init(
        after: Int64, through: Int64, entries: [DeltaEntry], repair: Bool = false, clock: HybridTimestamp = .zero,
        claims: [HeldClaim] = []
    ) {
        self.after = after
        self.through = through
        self.entries = entries
        self.repair = repair
        self.clock = clock
        self.claims = claims
    }
}

/// Cumulative acknowledgement: the sender of this ack holds the receiver's feed through `through`.
/// It also carries the sender's part of the stable horizon: the least clock that every member on
/// its side of the dissemination tree holds everything before (Replication.md, "Tombstone GC").
public struct DeltaAck: Sendable, Hashable {
    public var through: Int64
    /// Every member counted in `covers` holds every write of every member it knows stamped
    /// before this.
    public var horizon: HybridTimestamp
    /// The fingerprint (``DisseminationTree/fingerprint(of:)``) of the members `horizon` counts:
    /// the acknowledging peer and the members beyond it, away from the receiver.
    public var covers: UInt64

    public init(through: Int64, horizon: HybridTimestamp = .zero, covers: UInt64 = 0) {
        self.through = through
        self.horizon = horizon
        self.covers = covers
    }
}

/// Per-bucket hashes of the sender's replicated state (keys hashed into `hashes.count` buckets).
/// The receiver answers buckets that differ with repair deltas of its own entries in them, and
/// replies with its own digest when `reply` is true.
public struct Digest: Sendable, Hashable {
    public var hashes: [UInt64]
    public var reply: Bool

    public init(hashes: [UInt64], reply: Bool) {
        self.hashes = hashes
        self.reply = reply
    }
}

/// A piece of an encoded message larger than one datagram. Pieces of one message share
/// `messageID`; the receiver reassembles `count` pieces or drops them after a timeout.
public struct Fragment: Sendable, Hashable {
    public var messageID: UInt32
    public var index: UInt16
    public var count: UInt16
    public var payload: [UInt8]

    public init(messageID: UInt32, index: UInt16, count: UInt16, payload: [UInt8]) {
        self.messageID = messageID
        self.index = index
        self.count = count
        self.payload = payload
    }
}
