public import Logging
import NIOCore
public import StarlingCore

/// The shell that carries out the replication and membership state machines for one node:
/// it reads the change feed, packs and seals datagrams, applies received deltas through the
/// node's merge path, answers digests with repairs, and persists progress.
///
/// The same engine runs over real UDP (``UDPReplication``) and over the test simulator: it
/// does nothing on its own, only in response to ``receive(_:from:)``, ``localCommitted()`` and
/// the timers it asks its ``TickScheduler`` for.
public actor ReplicationEngine {
    let node: Node
    let settings: ReplicationEngine.Settings
    let transport: any DatagramTransport
    let scheduler: any TickScheduler
    let logger: Logger
    /// Seals what this node sends; replaced at ``start()`` by one of a fresh session.
    var sealer: DatagramSealer
    /// Sealed datagrams accepted so far, per sender: a replayed one is dropped.
    var replayWindow = ReplayWindow()
    /// Which drops are logged as warnings (rate-limited).
    var dropWarnings = DropWarnings()
    /// The address peers reach this node at.
    public nonisolated let address: PeerAddress
    var replicator: Replicator
    var membership: Membership
    var assembler = FragmentAssembler()
    var nextMessageID: UInt32 = 0
    var sourceAddresses: [NodeID: PeerAddress] = [:]
    var dirtyProgress: Set<NodeID> = []
    var stopped = false
    /// Datagrams produced by the current event, sent together by ``flushOutbox()``.
    var outbox: [Datagram] = []
    /// Deltas received in the current batch, applied together by ``applyPending()``.
    var pendingApplies: [(delta: Delta, member: NodeID)] = []
    /// The acknowledgement owed to each member, sent by ``flushOutbox(includingAcknowledgements:)``.
    var pendingAcks: [(member: NodeID, ack: DeltaAck)] = []
    /// The replication tick chain: only the tick scheduled last (this generation) runs, so
    /// bringing the next tick forward never makes two chains.
    var tickGeneration = 0
    /// When the tick of the current generation is due (Unix ms).
    var nextTickMillis: Int64 = .max
    /// Digests left unanswered in a row, per member still being sent to.
    var digestDeferrals: [NodeID: Int] = [:]
    /// The last chunk of the feed read, reused while nothing is committed.
    var lastFeedRead: FeedRead?

    /// A chunk of the change feed and the head it was read at.
    struct FeedRead {
        var after: Int64
        var limit: Int
        var head: Int64
        var changes: [Change]
    }
    var nextGCMillis: Int64 = .max
    var nextHousekeepingMillis: Int64 = 0
    /// Members that have been within the backpressure bound since they last became alive: only
    /// they can slow local writers.
    var caughtUpForBackpressure: Set<NodeID> = []
    /// When each member last held this node's whole feed (Unix ms), for lag in seconds.
    var caughtUpMillis: [NodeID: Int64] = [:]
    /// Counters of what the engine did; also reported through swift-metrics.
    public internal(set) var statistics = ReplicationStatistics()
    var metrics: ReplicationMetrics

    /// Creates an engine; call ``start()`` next.
    /// - Parameters:
    ///   - address: the address peers reach this node at (advertised in membership).
    ///   - randomSeed: seeds member choices (the simulator passes a seed; production a random one).
    public init(
        node: Node, settings: ReplicationEngine.Settings, address: PeerAddress, transport: any DatagramTransport,
        scheduler: any TickScheduler, randomSeed: UInt64, logger: Logger
    ) throws(StoreError) {
        try settings.validate()
        self.node = node
        self.settings = settings
        self.address = address
        self.transport = transport
        self.scheduler = scheduler
        self.logger = logger
        self.sealer = DatagramSealer(
            keyring: settings.keyring, sender: node.id, session: node.committedPosition.clock.rawValue)
        self.metrics = ReplicationMetrics(node: node.id)
        let persisted = try node.peers()
        var progress: [NodeID: (acked: Int64, received: Int64)] = [:]
        for record in persisted { progress[record.id] = (record.acked, record.received) }
        self.replicator = Replicator(
            id: node.id, head: node.lastSeq, persisted: progress,
            standalone: settings.seeds.isEmpty && persisted.isEmpty,
            settings: settings.replicator, randomSeed: randomSeed)
        // Seeds include the addresses of members known before a restart, so a restarted peer
        // finds its cluster again even if its configured seeds are down.
        // Only numeric addresses: names are resolved before the engine (by ``UDPReplication``),
        // and a database of an older version may remember members by name.
        let seeds = Array(Set(settings.seeds + persisted.map(\.address)))
            .filter { $0 != address && $0.isNumeric }.sorted()
        self.membership = Membership(
            me: node.id, address: address, seeds: seeds, settings: settings.membership, incarnation: 0,
            randomSeed: randomSeed &+ 1)
    }

    /// Joins the seeds and starts the timers.
    public func start() async {
        guard !stopped else { return }
        // A session above every earlier one of this node: a fresh stamp of the persisted clock.
        try? await node.advanceClock()
        // Stopped while the clock advanced: stay stopped (and never bound the writers again).
        guard !stopped else { return }
        let wall = HybridTimestamp(physicalMillis: UInt64(max(0, node.wallClock.nowMillis())), logical: 0)
        sealer = DatagramSealer(
            keyring: settings.keyring, sender: node.id, session: max(node.committedPosition.clock, wall).rawValue)
        let now = node.wallClock.nowMillis()
        // Members remembered from before a restart are either found again or forgotten (as a dead
        // member is) within the member timeout; until then the horizon cannot count them, so wait.
        nextGCMillis =
            now
            + max(
                settings.gcIntervalMillis,
                settings.membership.deadMemberRetentionMillis
                    + settings.membership.suspicionTimeoutMillis)
        node.backpressure.configure(
            maxBacklog: settings.backpressure.maxBacklog, maxWait: settings.backpressure.maxWait)
        perform(membership.start(nowMillis: now))
        perform(replicator.start(nowMillis: now))
        await flushOutbox()
    }

    /// Tells the node's writers how far the members that count are behind.
    /// Runs after every event, so it reads no more than each member's progress.
    func updateBackpressure() {
        guard !stopped else { return }
        let membership = membership
        // Only neighbours in the dissemination tree count: this node's feed goes to them alone.
        var neighbours: [NodeID: Replicator.MemberProgress] = [:]
        for member in replicator.targets { neighbours[member] = replicator.progress[member] }
        node.backpressure.update(
            backlog: Self.backlog(
                head: replicator.head, progress: neighbours, status: { membership.member($0)?.status },
                nowMillis: node.wallClock.nowMillis(),
                responsiveWithinMillis: settings.backpressure.responsiveWithin.wholeMilliseconds,
                bound: settings.backpressure.maxBacklog ?? .max, caughtUp: &caughtUpForBackpressure))
    }

    /// The backlog that slows local writers: the most of this node's feed (`head`) that one
    /// member lacks, among members that are alive, acknowledged within the last
    /// `responsiveWithinMillis`, and have been within `bound` since they last became alive
    /// (`caughtUp` remembers those). So a suspect, dead or left member, one bootstrapping or
    /// returning with much to catch up, and one that went quiet (partitioned away, not yet
    /// suspected) count for nothing.
    static func backlog(
        head: Int64, progress: [NodeID: Replicator.MemberProgress], status: (NodeID) -> MemberStatus?,
        nowMillis: Int64, responsiveWithinMillis: Int64, bound: Int64, caughtUp: inout Set<NodeID>
    ) -> Int64 {
        var backlog: Int64 = 0
        for (member, progress) in progress {
            guard status(member) == .alive else {
                caughtUp.remove(member)
                continue
            }
            let lag = max(0, head - progress.acked)
            if lag <= bound { caughtUp.insert(member) }
            guard caughtUp.contains(member), let lastAck = progress.lastAckMillis,
                nowMillis - lastAck <= responsiveWithinMillis
            else { continue }
            backlog = max(backlog, lag)
        }
        return backlog
    }

    // An engine dropped without ``stop()`` must not leave the node's writers bounded by a
    // backlog nobody updates any more.
    deinit {
        if !stopped { node.backpressure.configure(maxBacklog: nil, maxWait: .zero) }
    }

    /// Leaves the cluster: tells a few members, and persists progress. Timers stop firing, and
    /// local writes no longer wait for anyone.
    public func stop() async {
        guard !stopped else { return }
        node.backpressure.configure(maxBacklog: nil, maxWait: .zero)
        perform(membership.leave(nowMillis: node.wallClock.nowMillis()))
        await flushOutbox()
        await flushProgress()
        stopped = true
    }

    /// Adds seeds to join through, such as configured names that resolved only after start.
    /// - Parameter seeds: numeric addresses.
    package func addSeeds(_ seeds: [PeerAddress]) {
        membership.addSeeds(seeds.filter(\.isNumeric))
    }

    /// The node committed local changes: push them.
    public func localCommitted() async {
        guard !stopped else { return }
        perform(replicator.committed(head: node.lastSeq, nowMillis: node.wallClock.nowMillis()))
        await flushOutbox()
    }

    /// Every known member with its state and replication progress.
    public func members() -> [MemberSnapshot] {
        let now = node.wallClock.nowMillis()
        return membership.members.map { member in
            let progress = replicator.progress[member.id]
            let lagSeq = lagSeq(of: member.id)
            return MemberSnapshot(
                update: member, acked: progress?.acked ?? 0, received: progress?.received ?? 0,
                lagSeq: lagSeq, lagMillis: lagMillis(member.id, lagSeq: lagSeq, now: now),
                lastAckMillis: progress?.lastAckMillis)
        }
    }

    /// How much of this node's feed a neighbour in the dissemination tree lacks; 0 for other
    /// members, which this node does not send to (they are behind whichever neighbour relays to
    /// them, and that one reports it).
    func lagSeq(of member: NodeID) -> Int64 {
        guard replicator.targets.contains(member) else { return 0 }
        return max(0, replicator.head - (replicator.progress[member]?.acked ?? 0))
    }

    /// How long `member` has lacked part of this node's feed: 0 when it holds all of it.
    func lagMillis(_ member: NodeID, lagSeq: Int64, now: Int64) -> Int64 {
        guard lagSeq > 0 else { return 0 }
        return max(0, now - (caughtUpMillis[member] ?? now))
    }

    /// Notes which neighbours hold the whole feed now, and reports their lag: lag is measured to
    /// the neighbours in the dissemination tree alone, so this costs the same at any cluster size.
    func updateLag(nowMillis now: Int64) {
        let targets = replicator.targets
        for member in targets {
            let lagSeq = lagSeq(of: member)
            if lagSeq == 0 || caughtUpMillis[member] == nil { caughtUpMillis[member] = now }
            metrics.lag(member: member, seq: lagSeq, millis: lagMillis(member, lagSeq: lagSeq, now: now))
        }
        if caughtUpMillis.count > targets.count {
            // A member that is a neighbour again later starts its lag afresh.
            caughtUpMillis = caughtUpMillis.filter { targets.contains($0.key) }
            metrics.retainLag(of: Set(targets))
        }
    }

    // MARK: Timers

    func replicationTick(generation: Int) async {
        guard !stopped, generation == tickGeneration else { return }
        let now = node.wallClock.nowMillis()
        _ = assembler.expire(nowMillis: now)
        let directives = replicator.tick(nowMillis: now)
        let isHeartbeat = { (directive: Replicator.Directive) in
            if case .sendHeartbeat = directive { true } else { false }
        }
        // Carry out the tick before the clock's await: an acknowledgement arriving meanwhile
        // must find the sends of this tick already recorded, not replay them after its own.
        perform(directives.filter { !isHeartbeat($0) })
        let heartbeats = directives.filter(isHeartbeat)
        if !heartbeats.isEmpty {
            // Heartbeats carry the committed clock: move it to now first, so an idle peer's
            // heartbeat still advances the stable horizon.
            try? await node.advanceClock()
            perform(heartbeats)
        }
        await flushOutbox()
        // Ticks come as often as acknowledgement timeouts need (every few ms under loss); lag
        // gauges and persisted progress keep the round cadence.
        guard now >= nextHousekeepingMillis else { return }
        nextHousekeepingMillis = now + settings.replicator.roundIntervalMillis
        updateLag(nowMillis: now)
        await flushProgress()
        if now >= nextGCMillis {
            nextGCMillis = now + settings.gcIntervalMillis
            await collectGarbage(nowMillis: now)
        }
    }

    /// The stable horizon: every member membership knows (alive, suspect, dead or left, until it
    /// forgets them) holds every write stamped before it.
    package func stableHorizon() -> HybridTimestamp {
        replicator.stableHorizon(ownClock: node.committedPosition.clock)
    }

    /// The dissemination tree this node replicates along, as its membership view builds it.
    package var disseminationTree: DisseminationTree { replicator.tree }

    /// Purges tombstones below the stable horizon that are older than the grace period.
    func collectGarbage(nowMillis: Int64) async {
        do {
            let purged = try await node.purgeTombstones(
                before: stableHorizon(), deadBeforeMillis: nowMillis - settings.tombstoneGraceMillis)
            statistics.tombstonesPurged += purged
        } catch {
            logger.warning("tombstone collection failed; will retry", metadata: ["error": "\(error)"])
        }
    }

    func membershipTick() async {
        guard !stopped else { return }
        perform(membership.tick(nowMillis: node.wallClock.nowMillis()))
        await flushOutbox()
    }

    // MARK: Directives

    func perform(_ directives: [Membership.Directive]) {
        var membersChanged = false
        for directive in directives {
            switch directive {
            case .send(let message, let to):
                send(message, to: to)
            case .scheduleTick(let after):
                scheduler.schedule(afterMillis: after) { [weak self] in await self?.membershipTick() }
            case .memberChanged, .memberRemoved:
                membersChanged = true
            }
        }
        if membersChanged {
            let live = membership.liveMembers.map(\.id)
            // Remember members (and where they listen) so a restart can rejoin through them.
            dirtyProgress.formUnion(live)
            let known = membership.members.map(\.id)
            perform(replicator.membersChanged(live: live, known: known, nowMillis: node.wallClock.nowMillis()))
        }
    }

    /// Carries out the replicator's directives. Deltas to apply are queued for
    /// ``applyPending()``; acknowledgements are kept until ``flushOutbox(includingAcknowledgements:)``,
    /// the last one per member (they are cumulative).
    func perform(_ directives: [Replicator.Directive]) {
        for directive in directives {
            switch directive {
            case .sendDelta(let member, let after):
                sendDeltas(to: member, after: after)
            case .apply(let delta, let member):
                pendingApplies.append((delta, member))
            case .sendAck(let ack, let member):
                if let index = pendingAcks.firstIndex(where: { $0.member == member }) {
                    pendingAcks[index].ack = ack
                } else {
                    pendingAcks.append((member, ack))
                }
            case .persist(let member):
                dirtyProgress.insert(member)
            case .sendDigest(let member):
                sendDigest(to: member, reply: true)
            case .sendHeartbeat(let member, let through):
                let (head, clock) = node.committedPosition
                if head <= through, let address = addressOf(member) {
                    var heartbeat = Delta(after: through, through: through, entries: [], clock: clock)
                    attachClaims(to: &heartbeat, for: member, room: deltaBudget)
                    send(.delta(heartbeat), to: address)
                }
            case .scheduleTick(let after):
                scheduleReplicationTick(afterMillis: after)
            }
        }
    }

    /// Schedules the next replication tick, superseding the one scheduled before.
    func scheduleReplicationTick(afterMillis after: Int64) {
        tickGeneration += 1
        let generation = tickGeneration
        nextTickMillis = node.wallClock.nowMillis() + after
        scheduler.schedule(afterMillis: after) { [weak self] in await self?.replicationTick(generation: generation) }
    }

    /// Brings the next tick forward if a delta sent since it was scheduled times out before it,
    /// so a lost push is noticed after its timeout, not at the next round.
    /// Only ever earlier: a stream of events cannot keep pushing the tick back.
    func expediteTickIfNeeded() {
        guard !stopped, let expiry = replicator.earliestAckExpiryMillis else { return }
        let now = node.wallClock.nowMillis()
        let delay = max(replicator.settings.minTickMillis, expiry - now)
        guard now + delay < nextTickMillis else { return }
        scheduleReplicationTick(afterMillis: delay)
    }

    func addressOf(_ member: NodeID) -> PeerAddress? {
        membership.member(member)?.address ?? sourceAddresses[member]
    }

    func flushProgress() async {
        guard !dirtyProgress.isEmpty else { return }
        let now = node.wallClock.nowMillis()
        // Take the set before the await: members marked dirty meanwhile stay dirty.
        let flushing = dirtyProgress
        dirtyProgress.removeAll()
        // Every live member is remembered (as a seed for a restart), with its progress if it was
        // ever a neighbour (or sent deltas); the others have none yet.
        let records = flushing.compactMap { member -> PeerRecord? in
            guard let address = addressOf(member) else { return nil }
            let progress = replicator.progress[member]
            return PeerRecord(
                id: member, address: address, acked: progress?.acked ?? 0, received: progress?.received ?? 0,
                lastSeenMillis: now)
        }
        do {
            try await node.savePeers(records)
        } catch {
            dirtyProgress.formUnion(flushing)
            logger.warning("could not persist replication progress; will retry", metadata: ["error": "\(error)"])
        }
    }
}

/// One member as the engine sees it: membership state and replication progress.
public struct MemberSnapshot: Sendable, Hashable {
    /// Identity, address, incarnation and status.
    public var update: MemberUpdate
    /// How far it holds this node's feed.
    public var acked: Int64
    /// How far this node holds its feed.
    public var received: Int64
    /// How many sequence numbers of this node's feed it lacks.
    public var lagSeq: Int64
    /// How long it has lacked part of this node's feed, in milliseconds (0 when caught up).
    public var lagMillis: Int64
    /// When its last acknowledgement arrived (Unix ms).
    public var lastAckMillis: Int64?
}
