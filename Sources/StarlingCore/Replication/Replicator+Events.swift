extension Replicator {
    /// Starts the machine: the first round is due now.
    public mutating func start(nowMillis: Int64) -> [Directive] {
        nextRoundMillis = nowMillis
        nextDigestMillis = nowMillis + settings.digestIntervalMillis
        return [.scheduleTick(afterMillis: 0)]
    }

    /// The set of members changed. The tree is rebuilt over the `live` members and this peer;
    /// a neighbour new to this peer starts from `acked = 0` (it is sent what it does not hold)
    /// unless its progress was persisted; members that are no longer neighbours keep their
    /// progress for when they are again, but what was claimed to them is forgotten, so a later
    /// stream starts its claims afresh.
    /// - Parameters:
    ///   - live: the members alive or suspect. A suspect stays in the tree until it is declared
    ///     dead: a false suspicion (common under load) moves no edge, and its lag stays visible.
    ///   - known: every member membership still knows, in any status.
    public mutating func membersChanged(live: [NodeID], known: [NodeID], nowMillis: Int64) -> [Directive] {
        self.live = live.filter { $0 != id }.sorted()
        self.known = known.filter { $0 != id }.sorted()
        tree = DisseminationTree(members: self.live + [id])
        let previous = Set(targets)
        targets = tree.neighbours(of: id).sorted()
        let current = Set(targets)
        for member in previous.subtracting(current) {
            claimed[member] = nil
            horizonReports[member] = nil
        }
        let knownSet = Set(self.known)
        heldBy = heldBy.filter { current.contains($0.key) }
        heldThrough = heldThrough.filter { knownSet.contains($0.key) }
        var directives: [Directive] = []
        for member in targets where progress[member] == nil {
            progress[member] = newProgress(acked: 0, received: 0)
        }
        for member in targets {
            directives += sendIfPossible(to: member)
        }
        return directives
    }

    /// The feed advanced to `head` (local commits, or replicated changes applied): push to every
    /// target at once.
    public mutating func committed(head newHead: Int64, nowMillis: Int64) -> [Directive] {
        guard newHead > head else { return [] }
        head = newHead
        return targets.flatMap { sendIfPossible(to: $0) }
    }

    /// The shell sent `member` a delta covering `(after, through]`. A delta starting below the
    /// highest sequence number ever sent to the member is a retransmission: it replaces the
    /// in-flight deltas whose range it covers.
    public mutating func deltaSent(to member: NodeID, after: Int64, through: Int64, nowMillis: Int64) {
        guard var state = progress[member], through > after else { return }
        let retransmission = after < state.highestSent
        if retransmission {
            state.inFlight.removeAll { $0.through > after && $0.through <= through }
        }
        state.sent = max(state.sent, through)
        state.highestSent = max(state.highestSent, through)
        state.inFlight.append(InFlightDelta(through: through, sentAt: nowMillis, retransmission: retransmission))
        progress[member] = state
    }

    /// Periodic work: go back to `acked` for members whose oldest in-flight delta timed out; when
    /// a round is due, send to members that are behind; start digests and heartbeats when due.
    /// - Returns: the directives, ending with exactly one ``Directive/scheduleTick(afterMillis:)``
    ///   for when the next round or the earliest ack timeout is due (at least `minTickMillis`).
    public mutating func tick(nowMillis: Int64) -> [Directive] {
        var directives: [Directive] = []
        var sentTo: Set<NodeID> = []
        for member in targets {
            guard var state = progress[member], let expiry = state.ackExpiryMillis, nowMillis >= expiry else {
                continue
            }
            state.timedOut(settings: settings)
            progress[member] = state
            // Claims may have been lost with the deltas: tell them again.
            claimed[member] = nil
            directives += sendIfPossible(to: member)
            sentTo.insert(member)
        }
        if nowMillis >= nextRoundMillis {
            nextRoundMillis = nowMillis + settings.roundIntervalMillis
            // Members just re-sent to are not sent to again: that would send the same range twice.
            for member in targets where !sentTo.contains(member) && (progress[member].map { $0.acked < head } ?? false)
            {
                directives += sendIfPossible(to: member)
                sentTo.insert(member)
            }
        }
        // A digest compared while deltas are on the way differs in every bucket they touch, and
        // would repair those buckets whole: start an exchange only while every neighbour holds
        // this peer's whole feed. Under sustained load the exchange waits (the delta path is
        // working), but not forever: after `digestDeferralLimit` intervals it goes ahead, so
        // divergence the delta path missed is repaired even on a cluster that never rests. The
        // partner is any live member, not only a neighbour: the repair is a check on the tree.
        if let due = nextDigestMillis, nowMillis >= due {
            let overdue = nowMillis - due >= Int64(settings.digestDeferralLimit) * settings.digestIntervalMillis
            if overdue || isQuiet, let member = random.sample(live, count: 1).first {
                directives.append(.sendDigest(to: member))
                nextDigestMillis = nowMillis + settings.digestIntervalMillis
            }
        }
        if nowMillis >= nextHeartbeatMillis {
            nextHeartbeatMillis = nowMillis + settings.heartbeatIntervalMillis
            for member in targets {
                guard let state = progress[member], state.inFlight.isEmpty, state.sent >= head else { continue }
                directives.append(.sendHeartbeat(to: member, through: state.sent))
            }
        }
        directives.append(.scheduleTick(afterMillis: nextTickDelay(nowMillis: nowMillis, sentTo: sentTo)))
        return directives
    }

    /// How long until the next round or the earliest ack timeout, counting the deltas this tick
    /// just asked for as sent now; at least `minTickMillis`.
    private func nextTickDelay(nowMillis: Int64, sentTo: Set<NodeID>) -> Int64 {
        var next = nextRoundMillis
        for member in targets {
            guard let state = progress[member] else { continue }
            if let expiry = state.ackExpiryMillis { next = min(next, expiry) }
            if sentTo.contains(member) { next = min(next, nowMillis + state.ackTimeoutMillis) }
        }
        return max(settings.minTickMillis, next - nowMillis)
    }

    /// An acknowledgement arrived from `member`: it holds this peer's feed through `ack.through`.
    /// One that advances `acked` may measure the round trip; `duplicateAcksForRetransmit` in a
    /// row that do not, while deltas are in flight, re-send the delta after `acked` once.
    public mutating func received(_ ack: DeltaAck, from member: NodeID, nowMillis: Int64) -> [Directive] {
        guard var state = progress[member] else { return [] }
        state.lastAckMillis = nowMillis
        if targets.contains(member) {
            horizonReports[member] = HorizonReport(horizon: ack.horizon, covers: ack.covers)
        }
        var directives: [Directive] = []
        if ack.through < state.acked {
            state.backwardAcks += 1
        } else {
            state.backwardAcks = 0
        }
        if ack.through < state.acked, state.backwardAcks < 2 {
            // One acknowledgement below `acked` is most likely an older one the network delivered
            // late: ignore it. A member that really holds less keeps acknowledging less.
        } else if ack.through < state.acked {
            // The member holds less than it acknowledged before (it lost data: a power loss, a
            // restored backup): continue from what it has.
            state.backwardAcks = 0
            state.acked = max(0, ack.through)
            state.sent = state.acked
            state.inFlight.removeAll()
            state.duplicateAcks = 0
            state.fastRetransmitted = false
            claimed[member] = nil
            heldBy[member] = nil
            directives.append(.persist(member: member))
        } else if ack.through > state.acked {
            if let sample = state.roundTripSample(through: ack.through, nowMillis: nowMillis) {
                state.observeRoundTrip(sample, settings: settings)
            }
            state.acked = min(ack.through, head)
            state.sent = max(state.sent, state.acked)
            state.duplicateAcks = 0
            state.fastRetransmitted = false
            directives.append(.persist(member: member))
        } else if !state.inFlight.isEmpty {
            state.duplicateAcks += 1
            if state.duplicateAcks >= settings.duplicateAcksForRetransmit, !state.fastRetransmitted,
                targets.contains(member)
            {
                state.fastRetransmitted = true
                progress[member] = state
                return directives + [.sendDelta(to: member, after: state.acked)]
            }
        }
        state.inFlight.removeAll { $0.through <= state.acked }
        progress[member] = state
        if targets.contains(member) {
            directives += sendIfPossible(to: member)
        }
        return directives
    }

    /// Sends the next delta to `member` if it is behind and its window has room.
    private func sendIfPossible(to member: NodeID) -> [Directive] {
        guard let state = progress[member], state.sent < head, state.inFlight.count < window(of: state) else {
            return []
        }
        return [.sendDelta(to: member, after: state.sent)]
    }
}

extension Replicator.MemberProgress {
    /// When the oldest in-flight delta times out (Unix ms), if any is in flight.
    var ackExpiryMillis: Int64? {
        inFlight.lazy.map(\.sentAt).min().map { $0 + ackTimeoutMillis }
    }

    /// The oldest in-flight delta timed out: forget the window, go back to `acked`, and double
    /// the ack timeout (up to its ceiling).
    mutating func timedOut(settings: Replicator.Settings) {
        inFlight.removeAll()
        sent = acked
        duplicateAcks = 0
        fastRetransmitted = false
        ackTimeoutMillis = Self.clampedTimeout(Double(ackTimeoutMillis) * 2, settings: settings)
    }

    /// The round trip an acknowledgement through `through` measures: from the sending of the
    /// oldest in-flight delta it newly covers, as the timeout counts from the oldest delta in
    /// flight. (A receiver acknowledges a whole batch at once; measured from the newest delta,
    /// the time earlier ones waited for the batch would be left out, and the timeout would fire
    /// early under load.) None while a retransmission is in flight (Karn's rule: the
    /// acknowledgement may answer the first sending or the second).
    func roundTripSample(through: Int64, nowMillis: Int64) -> Int64? {
        guard !inFlight.contains(where: \.retransmission),
            let oldest = inFlight.first(where: { $0.through <= through })
        else { return nil }
        return max(0, nowMillis - oldest.sentAt)
    }

    /// Folds a round-trip sample into the smoothed round trip and its variance (RFC 6298: gains
    /// 1/8 and 1/4) and sets the ack timeout to the smoothed round trip plus four variances.
    mutating func observeRoundTrip(_ sampleMillis: Int64, settings: Replicator.Settings) {
        let sample = Double(sampleMillis)
        if let smoothed = smoothedRTTMillis {
            rttVarianceMillis = 0.75 * rttVarianceMillis + 0.25 * abs(smoothed - sample)
            smoothedRTTMillis = 0.875 * smoothed + 0.125 * sample
        } else {
            smoothedRTTMillis = sample
            rttVarianceMillis = sample / 2
        }
        ackTimeoutMillis = Self.clampedTimeout(
            (smoothedRTTMillis ?? sample) + 4 * rttVarianceMillis, settings: settings)
    }

    /// `millis` rounded up and kept between `minAckTimeoutMillis` and `ackTimeoutMillis` (the
    /// ceiling wins if the two are set the wrong way round).
    static func clampedTimeout(_ millis: Double, settings: Replicator.Settings) -> Int64 {
        let rounded = millis >= Double(Int64.max) ? Int64.max : Int64(millis.rounded(.up))
        return min(max(rounded, settings.minAckTimeoutMillis), settings.ackTimeoutMillis)
    }
}
