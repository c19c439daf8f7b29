extension Membership {
    /// An update waiting to be piggybacked, with how often it has been.
    struct GossipItem: Sendable, Hashable {
        var update: MemberUpdate
        var transmissions: Int
        /// Insertion order: among items sent equally often, newer ones go first.
        var sequence: UInt64
    }

    /// Takes membership updates to piggyback on an outgoing replication message.
    ///
    /// The updates least often sent go first (newest first among equals), at most
    /// ``Settings/maxGossipPerMessage``. Each counts as one transmission; an update sent about
    /// `gossipRetransmitMultiplier * ceil(log2(n + 1))` times (`n` live members, self included)
    /// is dropped from the queue. The receiver SHOULD pass them to
    /// ``received(gossip:from:nowMillis:)``.
    /// - Returns: the updates, possibly none.
    public mutating func gossip() -> [MemberUpdate] {
        takeGossip(limit: max(1, settings.maxGossipPerMessage), excluding: [])
    }

    /// Applies membership updates piggybacked on a message that is not a SWIM message
    /// (replication traffic).
    ///
    /// Each update is applied by precedence, exactly as gossip on a ping; gossip about this peer
    /// may make it refute. Updates from this peer itself are ignored.
    /// - Parameters:
    ///   - updates: the piggybacked updates.
    ///   - sender: the message's sender.
    ///   - nowMillis: the current time in milliseconds, on the same clock as every other event.
    /// - Returns: ``Directive/memberChanged(_:)`` for each member added or changed.
    public mutating func received(
        gossip updates: [MemberUpdate], from sender: NodeID, nowMillis: Int64
    ) -> [Directive] {
        guard sender != me else { return [] }
        var directives: [Directive] = []
        apply(updates, nowMillis: nowMillis, into: &directives)
        return directives
    }

    /// Applies every update of a message's gossip, in order.
    mutating func apply(_ updates: [MemberUpdate], nowMillis: Int64, into directives: inout [Directive]) {
        for update in updates {
            apply(update, nowMillis: nowMillis, into: &directives)
        }
    }

    /// Queues `update` for dissemination, replacing any older update about the same member.
    mutating func enqueueGossip(_ update: MemberUpdate) {
        gossipSequence += 1
        gossipQueue[update.id] = GossipItem(update: update, transmissions: 0, sequence: gossipSequence)
    }

    /// How often one update is piggybacked: `multiplier * ceil(log2(n + 1))`, `n` the live
    /// members including self.
    var retransmitLimit: Int {
        let n = UInt64(table.values.count { Self.isLive($0.update.status) } + 1)
        let log = n.bitWidth - n.leadingZeroBitCount  // ceil(log2(n + 1)) for n >= 1
        return max(1, settings.gossipRetransmitMultiplier) * max(1, log)
    }

    /// Takes up to `limit` queued updates, least transmitted first, counting one transmission
    /// each and dropping those that reached ``retransmitLimit``.
    mutating func takeGossip(limit: Int, excluding excluded: Set<NodeID>) -> [MemberUpdate] {
        guard limit > 0, !gossipQueue.isEmpty else { return [] }
        let chosen = gossipQueue.values
            .filter { !excluded.contains($0.update.id) }
            .sorted { ($0.transmissions, $1.sequence) < ($1.transmissions, $0.sequence) }
            .prefix(limit)
        let cap = retransmitLimit
        for item in chosen {
            if item.transmissions + 1 >= cap {
                gossipQueue[item.update.id] = nil
            } else {
                gossipQueue[item.update.id]?.transmissions += 1
            }
        }
        return chosen.map(\.update)
    }

    /// The gossip for one outgoing SWIM message to `recipient`.
    ///
    /// First, once this peer has left, that news. Then `correction` — what this peer believes
    /// about the recipient when the recipient must hear it to refute (Lifeguard's "buddy
    /// system": a suspect learns of its suspicion from the member probing it). Then queued
    /// updates, then, in any room left, the records of random alive members: a steady trickle
    /// of the full table that lets newcomers and healed partitions learn members whose join
    /// gossip has long been spent. At most ``Settings/maxGossipPerMessage`` in all.
    mutating func outgoingGossip(to recipient: NodeID?, correction: MemberUpdate? = nil) -> [MemberUpdate] {
        let limit = max(1, settings.maxGossipPerMessage)
        var result: [MemberUpdate] = hasLeft ? [localMember] : []
        if let correction { result.append(correction) }
        result = Array(result.prefix(limit))
        var included = Set(result.map(\.id))
        result += takeGossip(limit: limit - result.count, excluding: included)
        included.formUnion(result.map(\.id))
        let room = limit - result.count
        guard room > 0 else { return result }
        let candidates = table.keys.sorted().filter { id in
            id != recipient && !included.contains(id) && table[id]?.update.status == .alive
        }
        result += random.sample(candidates, count: room).compactMap { table[$0]?.update }
        return result
    }

    /// What this peer believes about `id` if that differs from what `id` just said of itself:
    /// `id` must hear it to refute (or to learn its previous incarnation after a restart).
    func correction(for claim: MemberUpdate) -> MemberUpdate? {
        guard let record = table[claim.id]?.update, record != claim else { return nil }
        return record
    }

    /// What this peer believes about `id` when `id` should refute it: suspect, dead or left.
    func correction(for id: NodeID) -> MemberUpdate? {
        guard let record = table[id]?.update, record.status != .alive else { return nil }
        return record
    }
}
