extension Membership {
    /// One row of the member table.
    struct Record: Sendable, Hashable {
        /// The member's latest state.
        var update: MemberUpdate
        /// When the row last took an update, in the caller's milliseconds: suspicion and
        /// retention are timed from here.
        var changedMillis: Int64
    }

    /// Alive or suspect: probed, and a replication target.
    static func isLive(_ status: MemberStatus) -> Bool {
        status == .alive || status == .suspect
    }

    /// SWIM precedence: a higher incarnation wins; at equal incarnation the worse status wins
    /// (`alive` < `suspect` < `dead` < `left`). Equal updates, and updates that differ only in
    /// address, do not supersede each other.
    /// - Returns: true if `candidate` replaces `current`.
    static func supersedes(_ candidate: MemberUpdate, _ current: MemberUpdate) -> Bool {
        if candidate.incarnation != current.incarnation { return candidate.incarnation > current.incarnation }
        return candidate.status > current.status
    }

    /// Applies one update from gossip or from a member's own message, by precedence.
    ///
    /// An update about this peer MUST NOT enter the table; it may trigger a refutation. An
    /// accepted update is gossiped on; a new member or a change of status or address is
    /// reported as ``Directive/memberChanged(_:)``. Updates about unknown members are recorded
    /// whatever their status, so that a dead member is not revived by stale gossip.
    mutating func apply(_ update: MemberUpdate, nowMillis: Int64, into directives: inout [Directive]) {
        guard update.id != .none else { return }
        if update.id == me {
            refuteIfNeeded(update)
            return
        }
        let previous = table[update.id]?.update
        if let previous, !Self.supersedes(update, previous) { return }
        table[update.id] = Record(update: update, changedMillis: nowMillis)
        enqueueGossip(update)
        updateProbeOrder(update.id, wasLive: previous.map { Self.isLive($0.status) } ?? false)
        if previous?.status != update.status || previous?.address != update.address {
            directives.append(.memberChanged(update))
        }
    }

    /// Refutes a claim about this peer that is not its own view: any claim at its incarnation
    /// or later other than "alive at this address" (suspect, dead, left; or alive at a higher
    /// incarnation or another address, as a restarted peer hears of its previous life).
    ///
    /// The peer MUST then raise its incarnation above the claim's and gossip itself alive. A
    /// peer that has left MUST NOT refute.
    mutating func refuteIfNeeded(_ claim: MemberUpdate) {
        guard !hasLeft, claim.incarnation >= incarnation, claim != localMember else { return }
        incarnation = claim.incarnation == .max ? .max : claim.incarnation + 1
        counters.refutations += 1
        enqueueGossip(localMember)
    }

    /// Changes the status of a known member after a local observation (failed probe, suspicion
    /// timeout), keeping its incarnation.
    mutating func mark(_ id: NodeID, as status: MemberStatus, nowMillis: Int64, into directives: inout [Directive]) {
        guard var update = table[id]?.update, update.status != status else { return }
        update.status = status
        apply(update, nowMillis: nowMillis, into: &directives)
    }

    /// Keeps ``probeOrder`` equal to the set of live members: a member that became live is
    /// inserted at a random position not yet probed in this round; one that stopped being live
    /// (or was removed) is taken out.
    mutating func updateProbeOrder(_ id: NodeID, wasLive: Bool) {
        let isLive = table[id].map { Self.isLive($0.update.status) } ?? false
        if isLive, !wasLive {
            let position = probeIndex + random.next(below: probeOrder.count - probeIndex + 1)
            probeOrder.insert(id, at: position)
        } else if !isLive, wasLive, let position = probeOrder.firstIndex(of: id) {
            probeOrder.remove(at: position)
            if position < probeIndex { probeIndex -= 1 }
        }
    }

    /// Declares suspects dead whose suspicion timed out, then forgets dead and left members
    /// past their retention.
    ///
    /// While no member is live, dead members MUST NOT be forgotten: they are this peer's only
    /// way back to its cluster when its seeds are gone (the seeds may have left for good, and
    /// members learned by gossip are not seeds), so ``reconnect(into:)`` keeps pinging them.
    /// Once a member is live again their retention resumes, timed from their death. Left
    /// members are forgotten regardless: they said they are not coming back.
    mutating func expireMembers(nowMillis: Int64, into directives: inout [Directive]) {
        // Deaths first, so that removals see whether any member is still live.
        for id in table.keys.sorted() {
            guard let record = table[id], record.update.status == .suspect,
                nowMillis >= Self.adding(settings.suspicionTimeoutMillis, to: record.changedMillis)
            else { continue }
            counters.membersDeclaredDead += 1
            mark(id, as: .dead, nowMillis: nowMillis, into: &directives)
        }
        for id in table.keys.sorted() {
            guard let record = table[id], let removal = removalMillis(of: record), nowMillis >= removal else {
                continue
            }
            table[id] = nil
            gossipQueue[id] = nil
            directives.append(.memberRemoved(id))
        }
    }

    /// When a dead or left member is due for removal; nil for a dead member while no member is
    /// live (kept: see ``expireMembers(nowMillis:into:)``) and for live members.
    func removalMillis(of record: Record) -> Int64? {
        switch record.update.status {
        case .alive, .suspect: nil
        case .dead where probeOrder.isEmpty: nil
        case .dead, .left: Self.adding(settings.deadMemberRetentionMillis, to: record.changedMillis)
        }
    }

    /// The earliest time a suspicion times out or a dead or left member is due for removal.
    var nextMemberDeadline: Int64? {
        table.values.compactMap { record -> Int64? in
            switch record.update.status {
            case .alive: nil
            case .suspect: Self.adding(settings.suspicionTimeoutMillis, to: record.changedMillis)
            case .dead, .left: removalMillis(of: record)
            }
        }.min()
    }

    /// `time + duration`, saturating instead of trapping on overflow (times come from the caller
    /// and durations from settings).
    static func adding(_ duration: Int64, to time: Int64) -> Int64 {
        let (sum, overflow) = time.addingReportingOverflow(duration)
        return overflow ? (duration > 0 ? .max : .min) : sum
    }
}
