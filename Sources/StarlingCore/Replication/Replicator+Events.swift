extension Replicator {
    /// Starts the machine: the first round is due now.
    public mutating func start(nowMillis: Int64) -> [Directive] {
        nextDigestMillis = nowMillis + settings.digestIntervalMillis
        return [.scheduleTick(afterMillis: 0)]
    }

    /// The set of live members changed. New members start from `acked = 0` (bootstrap) unless
    /// their progress was persisted; departed members keep their progress for when they return.
    public mutating func membersChanged(live: [NodeID], known: [NodeID], nowMillis: Int64) -> [Directive] {
        targets = live.sorted()
        self.known = known.sorted()
        var directives: [Directive] = []
        for member in targets where progress[member] == nil {
            progress[member] = MemberProgress(acked: 0, received: 0)
        }
        for member in targets {
            directives += sendIfPossible(to: member, nowMillis: nowMillis)
        }
        return directives
    }

    /// Local commits advanced the feed to `head`: push to a few members at once.
    public mutating func committed(head newHead: Int64, nowMillis: Int64) -> [Directive] {
        guard newHead > head else { return [] }
        head = newHead
        var directives: [Directive] = []
        var pushed = 0
        var order = targets
        random.shuffle(&order)
        for member in order where pushed < settings.pushFanout {
            let before = directives.count
            directives += sendIfPossible(to: member, nowMillis: nowMillis)
            if directives.count > before { pushed += 1 }
        }
        return directives
    }

    /// The shell sent `member` a delta covering `(after, through]`.
    public mutating func deltaSent(to member: NodeID, after: Int64, through: Int64, nowMillis: Int64) {
        guard var state = progress[member], through > after else { return }
        state.sent = max(state.sent, through)
        state.inFlight.append((through, nowMillis))
        progress[member] = state
    }

    /// Periodic work: retransmit timed-out deltas, send to members that are behind, start digests.
    public mutating func tick(nowMillis: Int64) -> [Directive] {
        var directives: [Directive] = []
        var retried: Set<NodeID> = []
        for member in targets {
            guard var state = progress[member], let oldest = state.inFlight.first else { continue }
            if nowMillis - oldest.sentAt >= settings.ackTimeoutMillis {
                state.inFlight.removeAll()
                state.sent = state.acked
                progress[member] = state
                directives += sendIfPossible(to: member, nowMillis: nowMillis)
                retried.insert(member)
            }
        }
        // Members just re-sent to are not sampled again: that would send the same range twice.
        let behind = targets.filter { !retried.contains($0) && (progress[$0].map { $0.acked < head } ?? false) }
        for member in random.sample(behind, count: settings.roundFanout) {
            directives += sendIfPossible(to: member, nowMillis: nowMillis)
        }
        if let due = nextDigestMillis, nowMillis >= due, let member = random.sample(targets, count: 1).first {
            directives.append(.sendDigest(to: member))
            nextDigestMillis = nowMillis + settings.digestIntervalMillis
        }
        if nowMillis >= nextHeartbeatMillis {
            nextHeartbeatMillis = nowMillis + settings.heartbeatIntervalMillis
            for member in targets {
                guard let state = progress[member], state.inFlight.isEmpty, state.sent >= head else { continue }
                directives.append(.sendHeartbeat(to: member, through: state.sent))
            }
        }
        directives.append(.scheduleTick(afterMillis: settings.roundIntervalMillis))
        return directives
    }

    /// A delta arrived from `member`: apply it (even with a gap: merging is idempotent), unless
    /// this peer already holds the range, which is only acknowledged again.
    /// - Parameter ownClock: this peer's committed clock.
    public mutating func received(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        if progress[member] == nil { progress[member] = MemberProgress(acked: 0, received: 0) }
        if !delta.repair, let state = progress[member], delta.through <= state.received {
            return acknowledge(delta, from: member, ownClock: ownClock)
        }
        return [.apply(delta, from: member)]
    }

    /// The shell applied (committed) a delta from `member`: acknowledge what is now held.
    /// - Parameter ownClock: this peer's committed clock.
    public mutating func deltaApplied(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        guard !delta.repair, var state = progress[member] else { return [] }
        if delta.after <= state.received, delta.through > state.received {
            state.received = delta.through
            progress[member] = state
        }
        return acknowledge(delta, from: member, ownClock: ownClock) + [
            .persist(member: member)
        ]
    }

    private mutating func acknowledge(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        guard let state = progress[member] else { return [] }
        // Holding the member's feed through the end it had at `delta.clock` means holding
        // everything it had stamped up to that clock.
        if delta.clock != .zero, delta.through <= state.received {
            heldThrough[member] = max(heldThrough[member] ?? .zero, delta.clock)
        }
        return [.sendAck(DeltaAck(through: state.received, completeThrough: completeThrough(ownClock: ownClock)), to: member)]
    }

    /// This peer holds every write, of every member it knows, stamped before this. Knowing no
    /// member proves nothing (it may not have found them yet) unless the peer runs alone.
    public func completeThrough(ownClock: HybridTimestamp) -> HybridTimestamp {
        known.map { heldThrough[$0] ?? .zero }.min() ?? (standalone ? ownClock : .zero)
    }

    /// The stable horizon: every member this peer knows holds every write stamped before it
    /// (DESIGN.md, "Tombstone GC without resurrection"). Tombstones older than it can be purged.
    public func stableHorizon(ownClock: HybridTimestamp) -> HybridTimestamp {
        let others = known.map { reportedComplete[$0] ?? .zero }.min() ?? (standalone ? ownClock : .zero)
        return min(completeThrough(ownClock: ownClock), others)
    }

    /// An acknowledgement arrived from `member`: it holds this peer's feed through `ack.through`.
    public mutating func received(_ ack: DeltaAck, from member: NodeID, nowMillis: Int64) -> [Directive] {
        guard var state = progress[member] else { return [] }
        state.lastAckMillis = nowMillis
        reportedComplete[member] = ack.completeThrough
        var directives: [Directive] = []
        if ack.through < state.acked {
            // The member holds less than it acknowledged before (it lost data: a power loss, a
            // restored backup): continue from what it has.
            state.acked = max(0, ack.through)
            state.sent = state.acked
            state.inFlight.removeAll()
            directives.append(.persist(member: member))
        } else if ack.through > state.acked {
            state.acked = min(ack.through, head)
            state.sent = max(state.sent, state.acked)
            directives.append(.persist(member: member))
        }
        state.inFlight.removeAll { $0.through <= state.acked }
        progress[member] = state
        if targets.contains(member) {
            directives += sendIfPossible(to: member, nowMillis: nowMillis)
        }
        return directives
    }

    /// Sends the next delta to `member` if it is behind and its window has room.
    private mutating func sendIfPossible(to member: NodeID, nowMillis: Int64) -> [Directive] {
        guard let state = progress[member], state.sent < head, state.inFlight.count < settings.window else {
            return []
        }
        return [.sendDelta(to: member, after: state.sent)]
    }
}
