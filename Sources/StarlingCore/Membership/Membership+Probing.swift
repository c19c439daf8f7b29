extension Membership {
    /// One of this peer's own probes, awaiting an ack.
    struct Probe: Sendable, Hashable {
        var target: NodeID
        var sentMillis: Int64
        /// Whether ping requests went out after the direct ack was late.
        var indirectSent: Bool
    }

    /// Joins the cluster: pings every seed and schedules the first tick.
    ///
    /// A seed is known only by its address; the ack reveals its identity and makes it a member.
    /// Seeds are pinged again every probe period while no member is live, so a
    /// peer started before its seeds joins them later.
    /// - Parameter nowMillis: the current time in milliseconds.
    /// - Returns: one ping per seed and one ``Directive/scheduleTick(afterMillis:)``; nothing
    ///   after ``leave(nowMillis:)``.
    public mutating func start(nowMillis: Int64) -> [Directive] {
        guard !hasLeft else { return [] }
        var directives: [Directive] = []
        pingSeeds(into: &directives)
        nextProbeMillis = Self.adding(settings.probeIntervalMillis, to: nowMillis)
        nextReconnectMillis = Self.adding(settings.reconnectIntervalMillis, to: nowMillis)
        directives.append(.scheduleTick(afterMillis: settings.probeIntervalMillis))
        return directives
    }

    /// Advances the protocol to `nowMillis`.
    ///
    /// In order: a probe whose direct ack is later than ``Settings/probeTimeoutMillis`` gets
    /// indirect probes through up to ``Settings/indirectProbeCount`` random alive members; a
    /// probe with no ack by the end of its period makes an alive target suspect; suspects past
    /// ``Settings/suspicionTimeoutMillis`` are declared dead; dead and left members past
    /// ``Settings/deadMemberRetentionMillis`` are removed (dead ones only while some member is
    /// live). Then, once per period, the next member in the shuffled round-robin is pinged
    /// (every seed instead, while no member is live), and once per
    /// ``Settings/reconnectIntervalMillis`` one remembered dead member or one seed that is not a
    /// live member is pinged, so healed partitions merge (while no member is live, one dead
    /// member: the seeds have their ping every period).
    /// This peer MUST NOT probe itself.
    /// - Parameter nowMillis: the current time in milliseconds.
    /// - Returns: the messages to send, member changes, and exactly one
    ///   ``Directive/scheduleTick(afterMillis:)`` for the next deadline; nothing after
    ///   ``leave(nowMillis:)``.
    public mutating func tick(nowMillis: Int64) -> [Directive] {
        guard !hasLeft else { return [] }
        var directives: [Directive] = []
        relays = relays.filter { $0.value.expiresMillis > nowMillis }
        checkProbes(nowMillis: nowMillis, into: &directives)
        expireMembers(nowMillis: nowMillis, into: &directives)
        if nowMillis >= nextProbeMillis ?? nowMillis {
            probeNextMember(nowMillis: nowMillis, into: &directives)
            nextProbeMillis = Self.adding(settings.probeIntervalMillis, to: nowMillis)
        }
        if let due = nextReconnectMillis, nowMillis >= due {
            reconnect(into: &directives)
        }
        if nextReconnectMillis.map({ nowMillis >= $0 }) ?? true {
            nextReconnectMillis = Self.adding(settings.reconnectIntervalMillis, to: nowMillis)
        }
        directives.append(.scheduleTick(afterMillis: delayToNextDeadline(nowMillis: nowMillis)))
        return directives
    }

    /// Leaves the cluster: marks this peer left and tells up to
    /// `max(3, indirectProbeCount)` random live members at once; every later message of this
    /// peer carries the news too.
    ///
    /// Afterwards the peer MUST NOT probe or refute: ``tick(nowMillis:)`` does nothing, while
    /// pings are still answered (with the news). Calling it again does nothing.
    /// - Parameter nowMillis: the current time in milliseconds.
    /// - Returns: the pings carrying the news.
    public mutating func leave(nowMillis: Int64) -> [Directive] {
        guard !hasLeft else { return [] }
        hasLeft = true
        pendingProbes.removeAll()
        enqueueGossip(localMember)
        let live = table.keys.sorted().filter { table[$0].map { Self.isLive($0.update.status) } ?? false }
        var directives: [Directive] = []
        for id in random.sample(live, count: max(3, settings.indirectProbeCount)) {
            guard let target = table[id]?.update else { continue }
            counters.probesSent += 1
            directives.append(ping(probeID: newProbeID(), to: target.address, recipient: id))
        }
        return directives
    }

    /// Resolves late and failed probes: indirect probes after the timeout, suspicion at the end
    /// of the period. Probes of members no longer live are dropped.
    mutating func checkProbes(nowMillis: Int64, into directives: inout [Directive]) {
        for probeID in pendingProbes.keys.sorted() {
            guard let probe = pendingProbes[probeID] else { continue }
            guard let target = table[probe.target]?.update, Self.isLive(target.status) else {
                pendingProbes[probeID] = nil
                continue
            }
            if nowMillis >= Self.adding(settings.probeIntervalMillis, to: probe.sentMillis) {
                pendingProbes[probeID] = nil
                if target.status == .alive {
                    counters.suspicionsRaised += 1
                    mark(target.id, as: .suspect, nowMillis: nowMillis, into: &directives)
                }
            } else if !probe.indirectSent,
                nowMillis >= Self.adding(settings.probeTimeoutMillis, to: probe.sentMillis)
            {
                pendingProbes[probeID]?.indirectSent = true
                requestIndirectProbes(probeID: probeID, of: target, into: &directives)
            }
        }
    }

    /// Asks up to ``Settings/indirectProbeCount`` random alive members other than `target` to
    /// ping it and relay its ack. The requests reuse the probe's id, so a direct or relayed ack
    /// resolves the same probe.
    mutating func requestIndirectProbes(probeID: UInt64, of target: MemberUpdate, into directives: inout [Directive]) {
        let candidates = table.keys.sorted().filter { $0 != target.id && table[$0]?.update.status == .alive }
        for helper in random.sample(candidates, count: max(0, settings.indirectProbeCount)) {
            guard let helperAddress = table[helper]?.update.address else { continue }
            counters.indirectProbesSent += 1
            let request = PingRequest(
                probeID: probeID, target: target.id, targetAddress: target.address, senderAddress: address,
                senderIncarnation: incarnation, gossip: outgoingGossip(to: helper))
            directives.append(.send(.pingRequest(request), to: helperAddress))
        }
    }

    /// Pings the next live member of the round (reshuffling after each full round), or every
    /// seed while no member is live. A suspect target is told of its suspicion in the ping.
    mutating func probeNextMember(nowMillis: Int64, into directives: inout [Directive]) {
        guard !probeOrder.isEmpty else {
            pingSeeds(into: &directives)
            return
        }
        if probeIndex >= probeOrder.count {
            random.shuffle(&probeOrder)
            probeIndex = 0
        }
        let id = probeOrder[probeIndex]
        probeIndex += 1
        guard let target = table[id]?.update, id != me else { return }
        let probeID = newProbeID()
        pendingProbes[probeID] = Probe(target: id, sentMillis: nowMillis, indirectSent: false)
        counters.probesSent += 1
        directives.append(ping(probeID: probeID, to: target.address, recipient: id, correction: correction(for: id)))
    }

    /// Pings one remembered dead member (telling it that it is considered dead, so a live one
    /// refutes) or one seed whose address no live member has: the next of them in turn (dead
    /// members by id, then seeds), so each is pinged at least once every `count` reconnect
    /// intervals.
    ///
    /// It MUST go on while no member is live: then every seed is pinged each period anyway, but
    /// the dead are pinged only here, and once the seeds are gone for good (two peers whose only
    /// seed left, then lost each other) a remembered dead member is the only way back.
    mutating func reconnect(into directives: inout [Directive]) {
        let members = self.members
        let dead = members.filter { $0.status == .dead }
        let liveAddresses = Set(members.filter { Self.isLive($0.status) }.map(\.address))
        let seeds = probeOrder.isEmpty ? [] : self.seeds.filter { !liveAddresses.contains($0) }
        guard !dead.isEmpty || !seeds.isEmpty else { return }
        let turn = reconnectTurn % (dead.count + seeds.count)
        reconnectTurn &+= 1
        counters.probesSent += 1
        if turn < dead.count {
            let target = dead[turn]
            directives.append(ping(probeID: newProbeID(), to: target.address, recipient: target.id, correction: target))
        } else {
            directives.append(ping(probeID: newProbeID(), to: seeds[turn - dead.count], recipient: nil))
        }
    }

    /// Pings every seed; the acks reveal who they are.
    mutating func pingSeeds(into directives: inout [Directive]) {
        for seed in seeds {
            counters.probesSent += 1
            directives.append(ping(probeID: newProbeID(), to: seed, recipient: nil))
        }
    }

    /// A ping from this peer with gossip for `recipient`.
    mutating func ping(
        probeID: UInt64, to target: PeerAddress, recipient: NodeID?, correction: MemberUpdate? = nil
    ) -> Directive {
        let gossip = outgoingGossip(to: recipient, correction: correction)
        let ping = Ping(probeID: probeID, senderAddress: address, senderIncarnation: incarnation, gossip: gossip)
        return .send(.ping(ping), to: target)
    }

    /// A fresh probe id (ids start at a random value, so a restarted peer does not reuse the
    /// ids of its previous life).
    mutating func newProbeID() -> UInt64 {
        lastProbeID &+= 1
        return lastProbeID
    }

    /// Milliseconds until the earliest deadline: the next probe or reconnect, a probe's timeout
    /// or end of period, a suspicion timeout or a removal. At least 1.
    func delayToNextDeadline(nowMillis: Int64) -> Int64 {
        var deadlines = [nextProbeMillis, nextReconnectMillis, nextMemberDeadline].compactMap { $0 }
        for probe in pendingProbes.values {
            let wait = probe.indirectSent ? settings.probeIntervalMillis : settings.probeTimeoutMillis
            deadlines.append(Self.adding(wait, to: probe.sentMillis))
        }
        let next = deadlines.min() ?? Self.adding(settings.probeIntervalMillis, to: nowMillis)
        let (delay, overflow) = next.subtractingReportingOverflow(nowMillis)
        return overflow ? settings.probeIntervalMillis : max(1, delay)
    }
}
