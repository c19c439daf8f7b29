extension Replicator {
    /// Starts the machine: the first round is due now.
    public mutating func start(nowMillis: Int64) -> [Directive] {
        nextDigestMillis = nowMillis + settings.digestIntervalMillis
        return [.scheduleTick(afterMillis: 0)]
    }

    /// The set of live members changed. New members start from `acked = 0` (bootstrap) unless
    /// their progress was persisted; departed members keep their progress for when they return.
    public mutating func membersChanged(live: [NodeID], nowMillis: Int64) -> [Directive] {
        targets = live.sorted()
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
        for member in targets {
            guard var state = progress[member], let oldest = state.inFlight.first else { continue }
            if nowMillis - oldest.sentAt >= settings.ackTimeoutMillis {
                state.inFlight.removeAll()
                state.sent = state.acked
                progress[member] = state
                directives += sendIfPossible(to: member, nowMillis: nowMillis)
            }
        }
        let behind = targets.filter { progress[$0].map { $0.acked < head } ?? false }
        for member in random.sample(behind, count: settings.roundFanout) {
            directives += sendIfPossible(to: member, nowMillis: nowMillis)
        }
        if let due = nextDigestMillis, nowMillis >= due, let member = random.sample(targets, count: 1).first {
            directives.append(.sendDigest(to: member))
            nextDigestMillis = nowMillis + settings.digestIntervalMillis
        }
        directives.append(.scheduleTick(afterMillis: settings.roundIntervalMillis))
        return directives
    }

    /// A delta arrived from `member`: apply it (even with a gap: merging is idempotent).
    public mutating func received(_ delta: Delta, from member: NodeID) -> [Directive] {
        if progress[member] == nil { progress[member] = MemberProgress(acked: 0, received: 0) }
        return [.apply(delta, from: member)]
    }

    /// The shell applied (committed) a delta from `member`: acknowledge what is now held.
    public mutating func deltaApplied(_ delta: Delta, from member: NodeID) -> [Directive] {
        guard !delta.repair, var state = progress[member] else { return [] }
        if delta.after <= state.received, delta.through > state.received {
            state.received = delta.through
            progress[member] = state
        }
        return [
            .sendAck(DeltaAck(through: state.received), to: member),
            .persist(member: member, acked: state.acked, received: state.received),
        ]
    }

    /// An acknowledgement arrived from `member`: it holds this peer's feed through `ack.through`.
    public mutating func received(_ ack: DeltaAck, from member: NodeID, nowMillis: Int64) -> [Directive] {
        guard var state = progress[member] else { return [] }
        state.lastAckMillis = nowMillis
        var directives: [Directive] = []
        if ack.through > state.acked {
            state.acked = min(ack.through, head)
            state.sent = max(state.sent, state.acked)
            directives.append(.persist(member: member, acked: state.acked, received: state.received))
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

    /// How far behind each target is, in sequence numbers.
    public var lag: [NodeID: Int64] {
        Dictionary(uniqueKeysWithValues: targets.map { ($0, head - (progress[$0]?.acked ?? 0)) })
    }
}
