/// The delta anti-entropy state machine of one peer: which part of its change feed each member
/// holds, what to send next, and what to acknowledge. Pure: it does no I/O and reads no clock;
/// the shell feeds it events with the current time and carries out its directives.
///
/// Protocol (DESIGN.md, "Replication"):
/// - For each member the sender keeps `acked`, the highest local sequence number the member has
///   acknowledged, and sends deltas `(after, through]` of its feed continuing from there.
/// - A receiver holding a sender's feed through `r` that gets a delta with `after <= r` holds it
///   through `max(r, through)` once the delta is applied, and acknowledges that cumulatively.
///   A delta with a gap is still applied (merging is idempotent) but acknowledges nothing new.
/// - Unacknowledged deltas are re-sent from `acked` after `ackTimeoutMillis` (go-back-N), so loss,
///   duplication and reordering only cost retransmissions.
/// - A local commit is pushed at once to up to `pushFanout` members; a periodic round sends to
///   `roundFanout` random members that are behind, so every member eventually catches up.
/// - At most `window` deltas are in flight per member.
/// - A member seen for the first time has `acked = 0`: it receives the whole feed (bootstrap).
public struct Replicator: Sendable {
    /// Protocol timing and sizes.
    public struct Settings: Sendable, Hashable {
        /// Members a local commit is pushed to at once. Default 3.
        public var pushFanout = 3
        /// Members a periodic round sends to. Default 2.
        public var roundFanout = 2
        /// The period of rounds, in milliseconds. Default 200.
        public var roundIntervalMillis: Int64 = 200
        /// How long a delta may go unacknowledged before the feed is re-sent from the last
        /// acknowledgement, in milliseconds. Default 1,000.
        public var ackTimeoutMillis: Int64 = 1_000
        /// Deltas in flight per member. Default 16.
        public var window = 16
        /// The period of digest exchanges with one random member, in milliseconds. Default 30,000.
        public var digestIntervalMillis: Int64 = 30_000
        /// How often an idle, caught-up member is sent an empty delta with this peer's clock, so
        /// the stable horizon keeps advancing without traffic, in milliseconds. Default 1,000.
        public var heartbeatIntervalMillis: Int64 = 1_000

        /// Creates settings with every default.
        public init() {}
    }

    /// What the shell must do.
    public enum Directive: Sendable, Hashable {
        /// Read the feed after `after` and send `member` one delta packing as much as fits in a
        /// datagram, then report it with ``deltaSent(to:after:through:nowMillis:)``.
        case sendDelta(to: NodeID, after: Int64)
        /// Merge a received delta into the store, then report it with ``deltaApplied(_:from:)``.
        case apply(Delta, from: NodeID)
        /// Send an acknowledgement.
        case sendAck(DeltaAck, to: NodeID)
        /// Persist `member`'s progress (``MemberProgress/acked`` and ``MemberProgress/received``),
        /// so a restart resumes instead of starting over.
        case persist(member: NodeID)
        /// Start a digest exchange with `member`.
        case sendDigest(to: NodeID)
        /// If `member` holds the whole feed (this peer's head is at most `through`), send it an
        /// empty delta `(through, through]` carrying this peer's committed clock.
        case sendHeartbeat(to: NodeID, through: Int64)
        /// Call ``tick(nowMillis:)`` again after this many milliseconds.
        case scheduleTick(afterMillis: Int64)
    }

    /// One member's replication state as seen from this peer.
    public struct MemberProgress: Sendable, Hashable {
        /// The highest local sequence number the member acknowledged.
        public internal(set) var acked: Int64
        /// The highest sequence number sent to it (acknowledged or in flight).
        public internal(set) var sent: Int64
        /// The highest sequence number of the member's feed this peer holds.
        public internal(set) var received: Int64
        /// When the last acknowledgement from it arrived (Unix ms), if any.
        public internal(set) var lastAckMillis: Int64?
        /// In-flight deltas: their `through` and when they were sent.
        var inFlight: [(through: Int64, sentAt: Int64)] = []

        init(acked: Int64, received: Int64) {
            self.acked = acked
            self.sent = acked
            self.received = received
        }

        public static func == (lhs: Self, rhs: Self) -> Bool {
            (lhs.acked, lhs.sent, lhs.received, lhs.lastAckMillis) == (rhs.acked, rhs.sent, rhs.received, rhs.lastAckMillis)
                && lhs.inFlight.map(\.through) == rhs.inFlight.map(\.through)
                && lhs.inFlight.map(\.sentAt) == rhs.inFlight.map(\.sentAt)
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(acked)
            hasher.combine(received)
        }
    }

    /// The settings in force.
    public let settings: Settings
    /// The head of the local change feed: the highest committed local sequence number.
    public internal(set) var head: Int64
    /// Progress per member, for members that are replication targets or were before.
    public internal(set) var progress: [NodeID: MemberProgress] = [:]
    /// The members currently replicated to (alive or suspect), sorted.
    public internal(set) var targets: [NodeID] = []
    /// Every member membership still knows (any status), sorted: the stable horizon waits for them.
    public internal(set) var known: [NodeID] = []
    /// Per member: this peer holds every write that member had stamped up to this clock.
    public internal(set) var heldThrough: [NodeID: HybridTimestamp] = [:]
    /// Configured to run alone: see ``init(head:persisted:standalone:settings:randomSeed:)``.
    public let standalone: Bool
    /// Per member: what it reported holding of everyone (``DeltaAck/completeThrough``).
    public internal(set) var reportedComplete: [NodeID: HybridTimestamp] = [:]
    var random: SplitMix64
    var nextDigestMillis: Int64?
    var nextHeartbeatMillis: Int64 = 0

    /// Creates the machine.
    /// - Parameters:
    ///   - head: the current head of the local feed.
    ///   - persisted: per-member progress restored from storage: `(acked, received)`.
    ///   - randomSeed: seeds the choice of members for rounds and digests.
    ///   - standalone: true only for a peer configured to run alone (no seeds, no members remembered):
    ///     then, and only then, knowing no member means the stable horizon is the peer's own clock.
    public init(
        head: Int64, persisted: [NodeID: (acked: Int64, received: Int64)] = [:], standalone: Bool = false,
        settings: Settings = Settings(), randomSeed: UInt64
    ) {
        self.head = head
        self.standalone = standalone
        self.settings = settings
        self.random = SplitMix64(seed: randomSeed)
        for (member, state) in persisted {
            progress[member] = MemberProgress(acked: min(state.acked, head), received: state.received)
        }
    }
}
