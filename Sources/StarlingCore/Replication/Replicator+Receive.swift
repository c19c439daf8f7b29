extension Replicator {
    /// A delta arrived from `member`: apply it (even with a gap: merging is idempotent), unless
    /// this peer already holds its range, within `received` or within one held range; then it is
    /// only acknowledged again. Repair deltas are always applied.
    /// - Parameter ownClock: this peer's committed clock.
    public mutating func received(_ delta: Delta, from member: NodeID, ownClock: HybridTimestamp) -> [Directive] {
        if progress[member] == nil { progress[member] = newProgress(acked: 0, received: 0) }
        guard !delta.repair, var state = progress[member] else { return [.apply(delta, from: member)] }
        // A claim is a fact about the member's state, whatever the delta's place in its feed:
        // deltas to it may leave out what it claims.
        if !delta.claims.isEmpty, targets.contains(member) {
            var claims = heldBy[member] ?? [:]
            for claim in delta.claims where claim.origin != member {
                claims[claim.origin] = max(claims[claim.origin] ?? .zero, claim.clock)
            }
            heldBy[member] = claims
        }
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
        // everything it had stamped up to that clock, and everything it claimed to hold then.
        if delta.clock != .zero, delta.through <= state.received {
            credit(member, delta.clock)
            for claim in delta.claims where claim.origin != id {
                credit(claim.origin, claim.clock)
            }
        }
        let report = horizonReport(excluding: member, ownClock: ownClock)
        return [.sendAck(DeltaAck(through: state.received, horizon: report.horizon, covers: report.covers), to: member)]
    }

    /// Raises this peer's version vector for `origin` to `clock`.
    private mutating func credit(_ origin: NodeID, _ clock: HybridTimestamp) {
        if clock > heldThrough[origin] ?? .zero { heldThrough[origin] = clock }
    }

    /// The components of this peer's version vector to claim to `member` next: those that moved
    /// since it last claimed them (or every one, with `all`), the furthest moved first, at most
    /// `limit`.
    public func claims(for member: NodeID, limit: Int, all: Bool = false) -> [HeldClaim] {
        guard limit > 0 else { return [] }
        let told = all ? [:] : claimed[member] ?? [:]
        var moved: [(claim: HeldClaim, by: UInt64)] = []
        for (origin, clock) in heldThrough where origin != member {
            let before = told[origin] ?? .zero
            if clock > before {
                moved.append((HeldClaim(origin: origin, clock: clock), clock.rawValue - before.rawValue))
            }
        }
        guard moved.count > limit else { return moved.map(\.claim).sorted { $0.origin < $1.origin } }
        moved.sort { ($0.by, $1.claim.origin) > ($1.by, $0.claim.origin) }
        return moved.prefix(limit).map(\.claim).sorted { $0.origin < $1.origin }
    }

    /// The shell sent `claims` to `member` on a delta that reaches the end of the feed.
    public mutating func claimsSent(_ claims: [HeldClaim], to member: NodeID) {
        guard !claims.isEmpty else { return }
        var told = claimed[member] ?? [:]
        for claim in claims { told[claim.origin] = max(told[claim.origin] ?? .zero, claim.clock) }
        claimed[member] = told
    }

    /// Whether `member` holds `register` (or a later write of its key) as far as its claims tell:
    /// a plain write (no counter increments, which merge per origin) stamped no later than the
    /// member's claim for its origin.
    public func claimedHeld(by member: NodeID, _ register: Register) -> Bool {
        Self.claims(heldBy[member] ?? [:], cover: register)
    }

    /// Whether `claims` (a member's version vector as far as it told) cover `register`: the rule
    /// of ``claimedHeld(by:_:)``, for a shell that took a member's claims out of the machine.
    public static func claims(_ claims: [NodeID: HybridTimestamp], cover register: Register) -> Bool {
        guard register.increments.isEmpty, let clock = claims[register.stamp.origin] else { return false }
        return register.stamp.hlc <= clock
    }

    /// This peer holds every write, of every member it knows, stamped before this. Knowing no
    /// member proves nothing (it may not have found them yet) unless the peer runs alone.
    public func completeThrough(ownClock: HybridTimestamp) -> HybridTimestamp {
        known.map { heldThrough[$0] ?? .zero }.min() ?? (standalone ? ownClock : .zero)
    }

    /// This peer's part of the stable horizon as told to `member`: the least of its own
    /// ``completeThrough(ownClock:)`` and the reports of its other targets, with the fingerprint
    /// of the members they cover (this peer's side of the tree, away from `member`).
    func horizonReport(excluding member: NodeID?, ownClock: HybridTimestamp) -> HorizonReport {
        var report = HorizonReport(
            horizon: completeThrough(ownClock: ownClock), covers: DisseminationTree.fingerprint(of: [id]))
        for target in targets where target != member {
            guard let other = horizonReports[target] else { continue }
            report.horizon = min(report.horizon, other.horizon)
            report.covers ^= other.covers
        }
        return report
    }

    /// The stable horizon: every member this peer knows holds every write stamped before it
    /// (Design.md, "Tombstone GC without resurrection"). Tombstones older than it can be purged.
    /// It is the least part reported along the tree, once the reports cover exactly the members
    /// this peer knows and itself; until they do (a member joined, is suspect or dead, a report
    /// is on its way) the last such horizon stands.
    public mutating func stableHorizon(ownClock: HybridTimestamp) -> HybridTimestamp {
        let report = horizonReport(excluding: nil, ownClock: ownClock)
        if report.covers == DisseminationTree.fingerprint(of: known + [id]) {
            lastHorizon = report.horizon
        }
        return lastHorizon
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
