/// The delta anti-entropy state machine of one peer: which part of its change feed each of its
/// neighbours holds, what to send next, what to acknowledge, and what the peer knows the others
/// hold. Pure: it does no I/O and reads no clock; the shell feeds it events with the current time
/// and carries out its directives.
///
/// Protocol (Replication.md):
/// - The live members and this peer form a ``DisseminationTree``; this peer replicates its feed
///   only to its neighbours in it (``targets``). Every applied change, local or replicated, is in
///   the feed, so a change travels the tree hop by hop. The shell leaves out of a delta what its
///   receiver holds: writes the receiver made itself or sent this peer (the row's `via`), and
///   writes it claimed to hold (``heldBy``). So an entry crosses each edge once.
/// - For each target the sender keeps `acked`, the highest local sequence number the target has
///   acknowledged, and sends deltas `(after, through]` of its feed continuing from there.
/// - A delta `(after, through]` carries every entry of the sender's feed in that range at the
///   time it was read that the receiver does not hold (a key rewritten later takes a larger
///   sequence number, beyond every range already read), so the union of the ranges a receiver
///   applied, with what it held, covers the sender's feed.
///   A receiver holding a sender's feed through `received` advances `received` to `through`
///   when it applies a delta with `after <= received`. A delta with a gap (`after > received`)
///   is applied too and its range remembered (up to `maxHeldRanges` ranges, merged when they
///   touch); once `received` reaches a held range it is absorbed. The receiver acknowledges
///   `received` cumulatively, and a delta it already holds (inside `received` or one held range)
///   is acknowledged again without being applied.
/// - What a peer holds is a version vector (``heldThrough``): per member, every write it stamped
///   up to a clock. A delta that reaches the end of the sender's feed carries the sender's clock
///   and ``HeldClaim``s (the components of its vector that moved since it last told the
///   receiver); holding that feed through its end means holding all of it, so the receiver takes
///   the claims over. Acknowledgements carry a horizon aggregated along the tree, so the stable
///   horizon covers every member though each peer talks to three.
/// - Loss is found two ways. `duplicateAcksForRetransmit` acknowledgements that do not advance
///   `acked` while deltas are in flight mean the delta after `acked` was lost while later ones
///   arrived: it is re-sent once at once (fast retransmit), without touching the window. A delta
///   unacknowledged for the member's adaptive ack timeout (smoothed round trip plus four times its
///   variance, between `minAckTimeoutMillis` and `ackTimeoutMillis`, doubled on each timeout)
///   makes the sender go back to `acked` and send again from there (go-back-N); deltas the
///   receiver already holds cost only an acknowledgement. Round trips are sampled only from
///   acknowledgements of deltas sent once (Karn's rule).
/// - ``tick(nowMillis:)`` runs when the next round or the earliest ack timeout is due (never
///   sooner than `minTickMillis` after the last): one chain of ticks, each scheduling the next.
/// - A local commit, and a delta applied, are pushed at once to every target; a periodic round
///   sends to targets that are behind, so every target eventually catches up.
/// - At most `window` deltas are in flight per target, and one until it first acknowledges.
/// - A target never acknowledged has `acked = 0`: it is sent the whole feed, less what it holds.
public struct Replicator: Sendable {
    /// Protocol timing and sizes.
    public struct Settings: Sendable, Hashable {
        /// The period of rounds. Default 200 ms.
        public var roundInterval: Duration = .milliseconds(200)
        /// The longest a delta may go unacknowledged before the feed is re-sent from the last
        /// acknowledgement: the ack timeout before any round trip was measured, and its ceiling
        /// when it backs off. Default 1 s.
        public var ackTimeout: Duration = .seconds(1)
        /// The shortest ack timeout, however fast the round trips. Default 20 ms.
        public var minAckTimeout: Duration = .milliseconds(20)
        /// Acknowledgements that do not advance while deltas are in flight before the delta after
        /// the last acknowledgement is re-sent (fast retransmit). Default 3.
        public var duplicateAcksForRetransmit = 3
        /// The shortest interval between two ticks. Default 5 ms.
        public var minTick: Duration = .milliseconds(5)
        /// Ranges of a member's feed received beyond a gap that are remembered, so they need not
        /// be sent again once the gap is filled; past that, the highest are forgotten. Default 64.
        public var maxHeldRanges = 64
        /// Deltas in flight per member. Default 64 (of at most one datagram each: 75 KiB with
        /// 1,200-byte datagrams).
        public var window = 64
        /// The period of digest exchanges with one random member. Default 30 s.
        public var digestInterval: Duration = .seconds(30)
        /// Digest intervals an exchange may wait for a member that holds the whole feed (and an
        /// answer may be deferred for a member still being sent to) before it goes ahead anyway.
        /// Default 3.
        public var digestDeferralLimit = 3
        /// How often an idle, caught-up member is sent an empty delta with this peer's clock, so
        /// the stable horizon keeps advancing without traffic. Default 1 s.
        public var heartbeatInterval: Duration = .seconds(1)

        /// Creates settings with every default.
        public init() {}

        /// Refuses a setting out of its range with `INVALID`, naming it (`replicator.…`).
        public func validate() throws(StoreError) {
            let millisecond = Duration.milliseconds(1)
            try SettingCheck.check("replicator.roundInterval", roundInterval, atLeast: millisecond)
            try SettingCheck.check("replicator.minAckTimeout", minAckTimeout, atLeast: millisecond)
            try SettingCheck.check("replicator.ackTimeout", ackTimeout, atLeast: minAckTimeout)
            try SettingCheck.check("replicator.duplicateAcksForRetransmit", duplicateAcksForRetransmit, atLeast: 1)
            try SettingCheck.check("replicator.minTick", minTick, atLeast: millisecond)
            try SettingCheck.check("replicator.maxHeldRanges", maxHeldRanges, atLeast: 0)
            try SettingCheck.check("replicator.window", window, atLeast: 1)
            try SettingCheck.check("replicator.digestInterval", digestInterval, atLeast: millisecond)
            try SettingCheck.check("replicator.digestDeferralLimit", digestDeferralLimit, atLeast: 0)
            try SettingCheck.check("replicator.heartbeatInterval", heartbeatInterval, atLeast: millisecond)
        }

        // The times as the state machine counts them: never below a millisecond.
        package var roundIntervalMillis: Int64 { max(1, roundInterval.wholeMilliseconds) }
        package var ackTimeoutMillis: Int64 { max(1, ackTimeout.wholeMilliseconds) }
        package var minAckTimeoutMillis: Int64 { max(1, minAckTimeout.wholeMilliseconds) }
        package var minTickMillis: Int64 { max(1, minTick.wholeMilliseconds) }
        package var digestIntervalMillis: Int64 { max(1, digestInterval.wholeMilliseconds) }
        package var heartbeatIntervalMillis: Int64 { max(1, heartbeatInterval.wholeMilliseconds) }
    }

    /// What the shell must do.
    public enum Directive: Sendable, Hashable {
        /// Read the feed after `after` and send `member` one delta packing as much as fits in a
        /// datagram, then report it with ``deltaSent(to:after:through:nowMillis:)``.
        case sendDelta(to: NodeID, after: Int64)
        /// Merge a received delta into the store, then report it with ``deltaApplied(_:from:ownClock:)``.
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
        /// Call ``tick(nowMillis:)`` again after this many milliseconds. Only ``start(nowMillis:)``
        /// and ``tick(nowMillis:)`` ask for it, once each: there is one chain of ticks.
        case scheduleTick(afterMillis: Int64)
    }

    /// A range `(after, through]` of a member's feed this peer applied beyond
    /// ``MemberProgress/received`` (after a gap).
    public struct HeldRange: Sendable, Hashable {
        /// The range starts after this sequence number.
        public internal(set) var after: Int64
        /// The range ends with this sequence number.
        public internal(set) var through: Int64
        /// The largest clock the range's deltas carried (``HybridTimestamp/zero`` if none): the
        /// member had stamped everything up to it within the range, which is credited to
        /// ``Replicator/heldThrough`` once ``MemberProgress/received`` reaches the range.
        public internal(set) var clock: HybridTimestamp
    }

    /// A target's part of the stable horizon: every member in `covers` (a fingerprint) holds every
    /// write stamped before `horizon`.
    public struct HorizonReport: Sendable, Hashable {
        /// The clock.
        public var horizon: HybridTimestamp
        /// ``DisseminationTree/fingerprint(of:)`` of the members it counts.
        public var covers: UInt64
    }

    /// A delta sent and not yet acknowledged.
    struct InFlightDelta: Sendable, Hashable {
        /// The end of its range.
        var through: Int64
        /// When it was sent (Unix ms).
        var sentAt: Int64
        /// It covers a range sent before: an acknowledgement of it may answer either sending,
        /// so it gives no round-trip sample (Karn's rule).
        var retransmission: Bool
    }

    /// One member's replication state as seen from this peer.
    public struct MemberProgress: Sendable, Hashable {
        /// The highest local sequence number the member acknowledged.
        public internal(set) var acked: Int64
        /// The highest sequence number sent to it (acknowledged or in flight).
        public internal(set) var sent: Int64
        /// The highest sequence number of the member's feed this peer holds without a gap.
        public internal(set) var received: Int64
        /// When the last acknowledgement from it arrived (Unix ms), if any.
        public internal(set) var lastAckMillis: Int64?
        /// Ranges of its feed beyond `received` this peer applied: sorted, disjoint, not touching.
        public internal(set) var heldRanges: [HeldRange] = []
        /// How long a delta to it may go unacknowledged now, in milliseconds.
        public internal(set) var ackTimeoutMillis: Int64
        /// The smoothed round trip to it, in milliseconds; nil until one was measured.
        public internal(set) var smoothedRTTMillis: Double?
        /// The smoothed mean deviation of the round trip, in milliseconds.
        var rttVarianceMillis: Double = 0
        /// In-flight deltas, in the order they were sent.
        var inFlight: [InFlightDelta] = []
        /// The highest sequence number ever sent to it (`sent` goes back on a timeout; this does
        /// not): a delta starting below it is a retransmission.
        var highestSent: Int64
        /// Acknowledgements in a row that did not advance `acked` while deltas were in flight.
        var duplicateAcks = 0
        /// Acknowledgements in a row below `acked`: one alone is a stale acknowledgement the
        /// network reordered; a second means the member really holds less.
        var backwardAcks = 0
        /// A fast retransmit was sent since `acked` last advanced (or the last timeout).
        var fastRetransmitted = false

        init(acked: Int64, received: Int64, ackTimeoutMillis: Int64) {
            self.acked = acked
            self.sent = acked
            self.highestSent = acked
            self.received = received
            self.ackTimeoutMillis = ackTimeoutMillis
        }
    }

    /// This peer.
    public let id: NodeID
    /// The settings in force.
    public let settings: Settings
    /// The head of the local change feed: the highest committed local sequence number.
    public internal(set) var head: Int64
    /// Progress per member, for members that are replication targets or were before.
    public internal(set) var progress: [NodeID: MemberProgress] = [:]
    /// The dissemination tree over the live members (alive or suspect) and this peer.
    public internal(set) var tree: DisseminationTree
    /// The members replicated to: this peer's neighbours in ``tree``, sorted.
    public internal(set) var targets: [NodeID] = []
    /// The live members (alive or suspect), sorted: digest exchanges pick among them.
    public internal(set) var live: [NodeID] = []
    /// Every member membership still knows (any status), sorted: the stable horizon waits for them.
    public internal(set) var known: [NodeID] = []
    /// This peer's version vector: per member, it holds every write that member had stamped up
    /// to this clock (its own writes are all held and have no entry).
    public internal(set) var heldThrough: [NodeID: HybridTimestamp] = [:]
    /// Per target: its version vector as far as its claims told (``Delta/claims``), so deltas to
    /// it leave out what it holds.
    public internal(set) var heldBy: [NodeID: [NodeID: HybridTimestamp]] = [:]
    /// Per target: the components of ``heldThrough`` this peer claimed to it so far.
    var claimed: [NodeID: [NodeID: HybridTimestamp]] = [:]
    /// Configured to run alone: see ``init(id:head:persisted:standalone:settings:randomSeed:)``.
    public let standalone: Bool
    /// Per target: its latest part of the stable horizon (``DeltaAck/horizon``, ``DeltaAck/covers``).
    public internal(set) var horizonReports: [NodeID: HorizonReport] = [:]
    /// The last stable horizon computed from reports covering every known member.
    var lastHorizon: HybridTimestamp = .zero
    var random: SplitMix64
    var nextRoundMillis: Int64 = 0
    var nextDigestMillis: Int64?
    var nextHeartbeatMillis: Int64 = 0

    /// Creates the machine.
    /// - Parameters:
    ///   - id: this peer.
    ///   - head: the current head of the local feed.
    ///   - persisted: per-member progress restored from storage: `(acked, received)`.
    ///   - randomSeed: seeds the choice of digest partners.
    ///   - standalone: true only for a peer configured to run alone (no seeds, no members remembered):
    ///     then, and only then, knowing no member means the stable horizon is the peer's own clock.
    public init(
        id: NodeID, head: Int64, persisted: [NodeID: (acked: Int64, received: Int64)] = [:], standalone: Bool = false,
        settings: Settings = Settings(), randomSeed: UInt64
    ) {
        self.id = id
        self.head = head
        self.tree = DisseminationTree(members: [id])
        self.standalone = standalone
        self.settings = settings
        self.random = SplitMix64(seed: randomSeed)
        for (member, state) in persisted {
            progress[member] = newProgress(acked: min(state.acked, head), received: state.received)
        }
    }

    /// Progress for a member first seen (or restored): the ack timeout starts at its ceiling.
    func newProgress(acked: Int64, received: Int64) -> MemberProgress {
        MemberProgress(acked: acked, received: received, ackTimeoutMillis: settings.ackTimeoutMillis)
    }
}
