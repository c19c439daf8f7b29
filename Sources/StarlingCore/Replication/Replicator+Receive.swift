extension Replicator {
    /// A delta arrived from `member`: apply it (even with a gap: merging is idempotent), unless
    /// this peer already holds its range, within `received` or within one held range; then it is
    /// only acknowledged again. Repair deltas are always applied.
    /// - Parameter ownClock: this peer's committed clock.
    public mutating func received(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        if progress[member] == nil { progress[member] = newProgress(acked: 0, received: 0) }
        guard !delta.repair, var state = progress[member] else { return [.apply(delta, from: member)] }
        if delta.through <= state.received {
            return acknowledge(delta, from: member, ownClock: ownClock)
        }
        if let index = state.heldRanges.firstIndex(where: { $0.after <= delta.after && delta.through <= $0.through }) {
            // Its clock is credited with the range once `received` reaches it.
            state.heldRanges[index].clock = max(state.heldRanges[index].clock, delta.clock)
            progress[member] = state
            return acknowledge(delta, from: member, ownClock: ownClock)
        }
        return [.apply(delta, from: member)]
    }

    /// The shell applied (committed) a delta from `member`: note what is now held and acknowledge.
    ///
    /// A delta `(after, through]` carries every entry of the member's feed in that range as of
    /// when the member read it: an entry it left out was rewritten before, and the rewrite took a
    /// sequence number beyond the member's head then, so beyond `through`. The union of the
    /// ranges applied is therefore exactly the part of the member's feed this peer holds, in
    /// whatever order the deltas came. A delta reaching `received` advances it to `through`, and
    /// then every held range it now touches is absorbed (its clock credited to ``heldThrough``,
    /// as a contiguous delta's is); a delta beyond a gap is remembered as a held range.
    /// - Parameter ownClock: this peer's committed clock.
    /// - Returns: the acknowledgement, and ``Directive/persist(member:)`` if `received` advanced.
    public mutating func deltaApplied(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        guard !delta.repair, var state = progress[member] else { return [] }
        let before = state.received
        if delta.after <= state.received {
            state.received = max(state.received, delta.through)
        } else {
            state.hold(after: delta.after, through: delta.through, clock: delta.clock, limit: settings.maxHeldRanges)
        }
        let absorbed = state.absorbHeldRanges()
        progress[member] = state
        for clock in absorbed where clock != .zero {
            heldThrough[member] = max(heldThrough[member] ?? .zero, clock)
        }
        var directives = acknowledge(delta, from: member, ownClock: ownClock)
        if state.received > before { directives.append(.persist(member: member)) }
        return directives
    }

    private mutating func acknowledge(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        guard let state = progress[member] else { return [] }
        // Holding the member's feed through the end it had at `delta.clock` means holding
        // everything it had stamped up to that clock.
        if delta.clock != .zero, delta.through <= state.received {
            heldThrough[member] = max(heldThrough[member] ?? .zero, delta.clock)
        }
        return [
            .sendAck(
                DeltaAck(through: state.received, completeThrough: completeThrough(ownClock: ownClock)), to: member)
        ]
    }

    /// This peer holds every write, of every member it knows, stamped before this. Knowing no
    /// member proves nothing (it may not have found them yet) unless the peer runs alone.
    public func completeThrough(ownClock: HybridTimestamp) -> HybridTimestamp {
        known.map { heldThrough[$0] ?? .zero }.min() ?? (standalone ? ownClock : .zero)
    }

    /// The stable horizon: every member this peer knows holds every write stamped before it
    /// (Design.md, "Tombstone GC without resurrection"). Tombstones older than it can be purged.
    public func stableHorizon(ownClock: HybridTimestamp) -> HybridTimestamp {
        let others = known.map { reportedComplete[$0] ?? .zero }.min() ?? (standalone ? ownClock : .zero)
        return min(completeThrough(ownClock: ownClock), others)
    }
}

extension Replicator.MemberProgress {
    /// Remembers the range `(after, through]` beyond `received`, merged with the held ranges it
    /// overlaps or touches; past `limit` ranges the highest are forgotten.
    mutating func hold(after: Int64, through: Int64, clock: HybridTimestamp, limit: Int) {
        guard through > after, after > received else { return }
        var ranges = heldRanges
        ranges.append(Replicator.HeldRange(after: after, through: through, clock: clock))
        ranges.sort { $0.after < $1.after }
        var merged: [Replicator.HeldRange] = []
        for range in ranges {
            if var last = merged.last, range.after <= last.through {
                last.through = max(last.through, range.through)
                last.clock = max(last.clock, range.clock)
                merged[merged.count - 1] = last
            } else {
                merged.append(range)
            }
        }
        if merged.count > max(0, limit) { merged.removeLast(merged.count - max(0, limit)) }
        heldRanges = merged
    }

    /// Moves `received` through every held range it reaches.
    /// - Returns: the clocks of the ranges absorbed.
    mutating func absorbHeldRanges() -> [HybridTimestamp] {
        var clocks: [HybridTimestamp] = []
        while let first = heldRanges.first, first.after <= received {
            received = max(received, first.through)
            clocks.append(first.clock)
            heldRanges.removeFirst()
        }
        return clocks
    }
}
