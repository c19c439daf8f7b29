import StarlingCore
import StarlingTestKit
import Testing

/// Drives single membership machines by hand, message by message.
@Suite(.showsLogsOnFailure) struct MembershipTests {
    typealias Directive = Membership.Directive

    func id(_ n: UInt64) -> NodeID { NodeID(rawValue: n) }
    func address(_ n: UInt64) -> PeerAddress { PeerAddress(host: "10.0.0.\(n)", port: 7946) }
    func alive(_ n: UInt64, _ incarnation: UInt64 = 0) -> MemberUpdate { update(n, incarnation, .alive) }
    func update(_ n: UInt64, _ incarnation: UInt64, _ status: MemberStatus) -> MemberUpdate {
        MemberUpdate(id: id(n), address: address(n), incarnation: incarnation, status: status)
    }

    /// A machine for node `n` that already knows `others` as alive at incarnation 0.
    func machine(_ n: UInt64, knowing others: [UInt64] = [], seeds: [PeerAddress] = []) -> Membership {
        var membership = Membership(me: id(n), address: address(n), seeds: seeds, randomSeed: n)
        _ = membership.received(gossip: others.map { alive($0) }, from: id(999), nowMillis: 0)
        return membership
    }

    func sends(_ directives: [Directive]) -> [(message: Message, to: PeerAddress)] {
        directives.compactMap { directive in
            guard case .send(let message, let to) = directive else { return nil }
            return (message, to)
        }
    }

    func pings(_ directives: [Directive]) -> [(ping: Ping, to: PeerAddress)] {
        sends(directives).compactMap { sent in
            guard case .ping(let ping) = sent.message else { return nil }
            return (ping, sent.to)
        }
    }

    func acks(_ directives: [Directive]) -> [(ack: Ack, to: PeerAddress)] {
        sends(directives).compactMap { sent in
            guard case .ack(let ack) = sent.message else { return nil }
            return (ack, sent.to)
        }
    }

    func requests(_ directives: [Directive]) -> [(request: PingRequest, to: PeerAddress)] {
        sends(directives).compactMap { sent in
            guard case .pingRequest(let request) = sent.message else { return nil }
            return (request, sent.to)
        }
    }

    func changes(_ directives: [Directive]) -> [Directive] {
        directives.filter { directive in
            switch directive {
            case .memberChanged, .memberRemoved: true
            case .send, .scheduleTick: false
            }
        }
    }

    @Test func settingsHaveTheDocumentedDefaultsAndValidationNamesWhatIsOutOfRange() throws {
        var settings = Membership.Settings()
        #expect(settings.probeInterval == .seconds(1) && settings.probeTimeout == .milliseconds(400))
        #expect(settings.indirectProbeCount == 3 && settings.suspicionTimeout == .seconds(5))
        #expect(settings.maxGossipPerMessage == 8 && settings.gossipRetransmitMultiplier == 3)
        #expect(settings.deadMemberRetention == .seconds(60) && settings.reconnectInterval == .seconds(5))
        try settings.validate()
        settings.probeInterval = .zero
        #expect(throws: StoreError.invalid("membership.probeInterval must be at least 1 ms, not 0 s")) {
            try settings.validate()
        }
        settings.probeInterval = .seconds(1)
        settings.gossipRetransmitMultiplier = 0
        #expect(throws: StoreError.invalid("membership.gossipRetransmitMultiplier must be at least 1, not 0")) {
            try settings.validate()
        }
    }

    @Test func theStateMachineReadsTimesNoShorterThanTheirMinimumWhateverItIsGiven() {
        var settings = Membership.Settings()
        settings.probeInterval = .milliseconds(-5)
        settings.suspicionTimeout = .zero
        settings.deadMemberRetention = .seconds(-1)
        #expect(settings.probeIntervalMillis == 1 && settings.suspicionTimeoutMillis == 1)
        #expect(settings.deadMemberRetentionMillis == 0)
    }

    @Test func joinsThroughASeedWhoseAckRevealsItsIdentity() throws {
        var a = Membership(me: id(1), address: address(1), seeds: [address(2), address(1), address(2)], randomSeed: 1)
        var b = Membership(me: id(2), address: address(2), seeds: [], randomSeed: 2)
        #expect(a.seeds == [address(2)])  // own address and duplicates dropped
        let started = a.start(nowMillis: 0)
        #expect(started.last == .scheduleTick(afterMillis: 1_000))
        let ping = try #require(pings(started).first)
        #expect(pings(started).count == 1 && ping.to == address(2))
        #expect(ping.ping.senderAddress == address(1) && ping.ping.senderIncarnation == 0)

        let answer = b.received(.ping(ping.ping), from: id(1), nowMillis: 5)
        #expect(changes(answer) == [.memberChanged(alive(1))])  // an unknown sender joins as alive
        let ack = try #require(acks(answer).first)
        #expect(ack.to == address(1) && ack.ack.probeID == ping.ping.probeID && ack.ack.target == id(2))

        #expect(a.received(.ack(ack.ack), from: id(2), nowMillis: 10) == [.memberChanged(alive(2))])
        #expect(a.members == [alive(2)] && a.liveMembers == [alive(2)])
        #expect(b.members == [alive(1)] && a.member(id(1)) == nil)
        #expect(a.localMember == alive(1))
    }

    @Test func repingsSeedsWhileNoMemberIsKnownSoAnEarlyStarterJoinsLater() throws {
        var a = Membership(me: id(1), address: address(1), seeds: [address(2)], randomSeed: 1)
        _ = a.start(nowMillis: 0)
        let again = a.tick(nowMillis: 1_000)
        #expect(pings(again).map(\.to) == [address(2)])
        #expect(pings(a.tick(nowMillis: 2_000)).map(\.to) == [address(2)])
        // The seed starts only now; it answers the next ping.
        var b = Membership(me: id(2), address: address(2), seeds: [], randomSeed: 2)
        _ = b.start(nowMillis: 2_500)
        let ping = try #require(pings(a.tick(nowMillis: 3_000)).first)
        let ack = try #require(acks(b.received(.ping(ping.ping), from: id(1), nowMillis: 3_001)).first)
        _ = a.received(.ack(ack.ack), from: id(2), nowMillis: 3_002)
        #expect(a.liveMembers.map(\.id) == [id(2)] && b.liveMembers.map(\.id) == [id(1)])
        #expect(a.counters.probesSent == 4)
        // Now a member is known: the next ping is a regular probe of it, carrying gossip.
        let probe = pings(a.tick(nowMillis: 4_000))
        #expect(probe.map(\.to) == [address(2)] && probe.first?.ping.gossip.contains(alive(2)) == true)
    }

    @Test func directAckResolvesTheProbeWithoutIndirectProbesOrSuspicion() throws {
        var a = machine(1, knowing: [2])
        var b = machine(2, knowing: [1])
        _ = a.start(nowMillis: 0)
        let probe = a.tick(nowMillis: 1_000)
        let ping = try #require(pings(probe).first)
        #expect(ping.to == address(2))
        #expect(probe.last == .scheduleTick(afterMillis: 400))  // the direct-ack timeout
        let ack = try #require(acks(b.received(.ping(ping.ping), from: id(1), nowMillis: 1_010)).first)
        _ = a.received(.ack(ack.ack), from: id(2), nowMillis: 1_020)
        #expect(requests(a.tick(nowMillis: 1_400)).isEmpty)
        #expect(changes(a.tick(nowMillis: 2_000)).isEmpty)
        #expect(a.member(id(2))?.status == .alive)
        #expect(a.counters.suspicionsRaised == 0 && a.counters.indirectProbesSent == 0)
    }

    @Test func indirectProbeThroughAHelperSavesATargetWhoseDirectPathIsLost() throws {
        var a = machine(1, knowing: [2, 3, 4])
        var peers: [UInt64: Membership] = [2: machine(2, knowing: [1, 3, 4]), 3: machine(3, knowing: [1, 2, 4])]
        peers[4] = machine(4, knowing: [1, 2, 3])
        _ = a.start(nowMillis: 0)
        let lost = try #require(pings(a.tick(nowMillis: 1_000)).first)  // never delivered
        let target = try #require(peers.keys.first { address($0) == lost.to })
        let asked = requests(a.tick(nowMillis: 1_400))
        #expect(asked.count == 2)  // k = 3, but only two members other than the target
        #expect(asked.allSatisfy { $0.request.target == id(target) && $0.request.probeID == lost.ping.probeID })
        #expect(a.counters.indirectProbesSent == 2)

        let helper = try #require(peers.keys.first { address($0) == asked[0].to })
        let onRequest = peers[helper]!.received(.pingRequest(asked[0].request), from: id(1), nowMillis: 1_410)
        let relayPing = try #require(pings(onRequest).first)
        #expect(relayPing.to == address(target))
        let onPing = peers[target]!.received(.ping(relayPing.ping), from: id(helper), nowMillis: 1_420)
        let targetAck = try #require(acks(onPing).first)
        #expect(targetAck.to == address(helper))
        let onAck = peers[helper]!.received(.ack(targetAck.ack), from: id(target), nowMillis: 1_430)
        let relayed = try #require(acks(onAck).first)
        #expect(relayed.to == address(1))
        #expect(relayed.ack.probeID == lost.ping.probeID && relayed.ack.target == id(target))

        _ = a.received(.ack(relayed.ack), from: id(helper), nowMillis: 1_440)
        #expect(changes(a.tick(nowMillis: 2_000)).isEmpty)
        #expect(a.member(id(target))?.status == .alive && a.counters.suspicionsRaised == 0)
    }

    @Test func pingRequestFromAnUnknownSenderAddsItAndIsRelayedToTheTarget() throws {
        var a = machine(1)
        var b = machine(2)
        let request = PingRequest(
            probeID: 77, target: id(2), targetAddress: address(2), senderAddress: address(3), senderIncarnation: 4,
            gossip: [])
        let onRequest = a.received(.pingRequest(request), from: id(3), nowMillis: 0)
        #expect(changes(onRequest) == [.memberChanged(alive(3, 4))])
        let ping = try #require(pings(onRequest).first)
        #expect(ping.to == address(2) && ping.ping.probeID != 77)
        let ack = try #require(acks(b.received(.ping(ping.ping), from: id(1), nowMillis: 1)).first)
        let relayed = try #require(acks(a.received(.ack(ack.ack), from: id(2), nowMillis: 2)).first)
        #expect(relayed.to == address(3) && relayed.ack.probeID == 77 && relayed.ack.target == id(2))
        // A second copy of the ack is not relayed twice.
        #expect(acks(a.received(.ack(ack.ack), from: id(2), nowMillis: 3)).isEmpty)
    }

    @Test func unreachableMemberBecomesSuspectThenDeadAndIsForgottenOnceAnotherIsLive() throws {
        var a = machine(1, knowing: [2])
        _ = a.start(nowMillis: 0)
        #expect(pings(a.tick(nowMillis: 1_000)).count == 1)  // lost
        #expect(requests(a.tick(nowMillis: 1_400)).isEmpty)  // nobody to ask
        let failed = a.tick(nowMillis: 2_000)
        #expect(changes(failed) == [.memberChanged(update(2, 0, .suspect))])
        #expect(a.counters.suspicionsRaised == 1 && a.liveMembers.count == 1)  // suspects stay targets
        // Lifeguard's buddy system: the next probe tells the suspect first.
        #expect(pings(failed).first?.ping.gossip.first == update(2, 0, .suspect))
        #expect(changes(a.tick(nowMillis: 6_999)).isEmpty)
        #expect(changes(a.tick(nowMillis: 7_000)) == [.memberChanged(update(2, 0, .dead))])
        #expect(a.counters.membersDeclaredDead == 1 && a.liveMembers.isEmpty)
        // Its only member is dead and it has no seed: the dead member is its only way back, so
        // it is pinged every reconnect interval (told first that it is considered dead, so a
        // live one refutes) and kept past its retention.
        let retry = try #require(pings(a.tick(nowMillis: 11_999)).first { $0.to == address(2) })
        #expect(retry.ping.gossip.first == update(2, 0, .dead))
        let late = a.tick(nowMillis: 67_000)
        #expect(changes(late).isEmpty && a.member(id(2)) == update(2, 0, .dead))
        #expect(pings(late).contains { $0.to == address(2) })
        #expect(late.last == .scheduleTick(afterMillis: 1_000), "no removal deadline in the past to spin on")
        // Once another member is live, its retention (timed from its death) is over at once.
        let hello = Ping(probeID: 9, senderAddress: address(3), senderIncarnation: 0, gossip: [])
        #expect(changes(a.received(.ping(hello), from: id(3), nowMillis: 67_001)) == [.memberChanged(alive(3))])
        #expect(changes(a.tick(nowMillis: 67_002)) == [.memberRemoved(id(2))])
        #expect(a.members == [alive(3)])
    }

    @Test func suspectedMemberThatIsAliveRefutesWithAHigherIncarnation() throws {
        var a = machine(1, knowing: [2])
        var b = machine(2, knowing: [1])
        _ = a.start(nowMillis: 0)
        _ = a.tick(nowMillis: 1_000)  // lost
        let next = try #require(pings(a.tick(nowMillis: 2_000)).first)
        #expect(a.member(id(2))?.status == .suspect)
        let answer = b.received(.ping(next.ping), from: id(1), nowMillis: 2_010)
        #expect(b.incarnation == 1 && b.counters.refutations == 1)
        let ack = try #require(acks(answer).first)
        #expect(ack.ack.targetIncarnation == 1)
        #expect(a.received(.ack(ack.ack), from: id(2), nowMillis: 2_020) == [.memberChanged(alive(2, 1))])
        #expect(changes(a.tick(nowMillis: 8_000)).isEmpty && a.member(id(2)) == alive(2, 1))
        // Gossip about b at a lower incarnation no longer matters, to b or to a.
        _ = b.received(gossip: [update(2, 0, .dead)], from: id(1), nowMillis: 8_001)
        #expect(b.incarnation == 1)
        #expect(a.received(gossip: [update(2, 0, .dead)], from: id(3), nowMillis: 8_002).isEmpty)
    }

    @Test func restartedPeerAtIncarnationZeroLearnsItWasDeadAndComesBackAlive() throws {
        var a = machine(1)
        _ = a.received(gossip: [update(2, 2, .dead)], from: id(3), nowMillis: 0)
        var restarted = Membership(me: id(2), address: address(2), seeds: [address(1)], incarnation: 0, randomSeed: 7)
        let join = try #require(pings(restarted.start(nowMillis: 100)).first)
        let answer = a.received(.ping(join.ping), from: id(2), nowMillis: 110)
        #expect(changes(answer).isEmpty)  // alive@0 does not beat dead@2
        let ack = try #require(acks(answer).first)
        #expect(ack.ack.gossip.first == update(2, 2, .dead))  // told first, so it can refute
        #expect(restarted.received(.ack(ack.ack), from: id(1), nowMillis: 120) == [.memberChanged(alive(1))])
        #expect(restarted.incarnation == 3 && restarted.counters.refutations == 1)
        let probe = try #require(pings(restarted.tick(nowMillis: 1_100)).first)
        #expect(probe.ping.senderIncarnation == 3)
        #expect(changes(a.received(.ping(probe.ping), from: id(2), nowMillis: 1_110)) == [.memberChanged(alive(2, 3))])
        #expect(a.liveMembers == [alive(2, 3)])
    }

    @Test func peerRefutesAliveClaimsAboutItAtAnotherAddressOrLaterIncarnation() {
        var a = machine(1)
        _ = a.received(gossip: [alive(1)], from: id(2), nowMillis: 0)
        #expect(a.incarnation == 0 && a.members.isEmpty)  // its own view: nothing to do, never a member
        let moved = MemberUpdate(id: id(1), address: address(9), incarnation: 0, status: .alive)
        _ = a.received(gossip: [moved], from: id(2), nowMillis: 1)
        #expect(a.incarnation == 1)
        _ = a.received(gossip: [alive(1, 5)], from: id(2), nowMillis: 2)
        #expect(a.incarnation == 6 && a.counters.refutations == 2 && a.members.isEmpty)
        #expect(a.gossip().contains(alive(1, 6)))
    }

    @Test func gossipPrecedenceIsHigherIncarnationThenWorseStatus() {
        var a = machine(1)
        func apply(_ update: MemberUpdate) -> [Directive] {
            a.received(gossip: [update], from: id(9), nowMillis: 0)
        }
        #expect(apply(update(2, 0, .suspect)) == [.memberChanged(update(2, 0, .suspect))])
        #expect(apply(update(2, 0, .alive)).isEmpty && a.member(id(2))?.status == .suspect)
        #expect(apply(update(2, 1, .alive)) == [.memberChanged(update(2, 1, .alive))])
        #expect(apply(update(2, 1, .dead)) == [.memberChanged(update(2, 1, .dead))])
        #expect(apply(update(2, 1, .suspect)).isEmpty)
        #expect(apply(update(2, 1, .left)) == [.memberChanged(update(2, 1, .left))])
        #expect(apply(update(2, 1, .alive)).isEmpty && a.member(id(2)) == update(2, 1, .left))
        #expect(apply(update(2, 2, .alive)) == [.memberChanged(update(2, 2, .alive))])
        #expect(apply(alive(2, 3)).isEmpty)  // incarnation-only changes are applied, not reported
        #expect(a.member(id(2)) == alive(2, 3))
        #expect(apply(MemberUpdate(id: .none, address: address(0), incarnation: 9, status: .alive)).isEmpty)
    }

    @Test func gossipForReplicationIsBoundedAndStopsAfterItsRetransmissions() {
        var settings = Membership.Settings()
        settings.maxGossipPerMessage = 3
        var a = Membership(me: id(1), address: address(1), seeds: [], settings: settings, randomSeed: 1)
        let updates = (2...11).map { alive(UInt64($0)) }
        _ = a.received(gossip: updates, from: id(99), nowMillis: 0)
        // 11 live members with self: each update goes 3 * ceil(log2(12)) = 12 times.
        var sent: [NodeID: Int] = [:]
        var calls = 0
        while true {
            let batch = a.gossip()
            guard !batch.isEmpty else { break }
            calls += 1
            #expect(batch.count <= 3 && Set(batch.map(\.id)).count == batch.count)
            for update in batch { sent[update.id, default: 0] += 1 }
            if calls > 1_000 { break }
        }
        #expect(sent.count == 10 && sent.values.allSatisfy { $0 == 12 })
        #expect(calls == 40)
        // Least-sent first: a new update jumps the queue.
        _ = a.received(gossip: [update(2, 0, .suspect)], from: id(99), nowMillis: 1)
        #expect(a.gossip() == [update(2, 0, .suspect)])
    }

    @Test func leaverTellsMembersStopsProbingAndDoesNotRefute() throws {
        var a = machine(1, knowing: [2, 3, 4])
        var b = machine(2, knowing: [1, 3, 4])
        _ = a.start(nowMillis: 0)
        let farewell = pings(a.leave(nowMillis: 500))
        #expect(Set(farewell.map(\.to)) == [address(2), address(3), address(4)])
        #expect(farewell.allSatisfy { $0.ping.gossip.first == update(1, 0, .left) })
        #expect(a.hasLeft && a.localMember.status == .left && a.leave(nowMillis: 501).isEmpty)
        let news = try #require(farewell.first { $0.to == address(2) })
        let answer = b.received(.ping(news.ping), from: id(1), nowMillis: 510)
        #expect(changes(answer) == [.memberChanged(update(1, 0, .left))])
        #expect(b.liveMembers.map(\.id) == [id(3), id(4)])
        _ = a.received(gossip: [update(1, 0, .dead)], from: id(2), nowMillis: 520)
        #expect(a.incarnation == 0 && a.counters.refutations == 0)
        #expect(a.tick(nowMillis: 1_000).isEmpty)
        #expect(changes(b.tick(nowMillis: 60_510)).contains(.memberRemoved(id(1))))
    }

    @Test func neverProbesItselfAndIgnoresMessagesFromItself() {
        var a = machine(1)
        _ = a.start(nowMillis: 0)
        #expect(sends(a.tick(nowMillis: 1_000)).isEmpty)  // nobody to probe, no seeds
        let echo = Ping(probeID: 1, senderAddress: address(1), senderIncarnation: 0, gossip: [update(1, 0, .dead)])
        #expect(a.received(.ping(echo), from: id(1), nowMillis: 1_001).isEmpty)
        #expect(a.incarnation == 0 && a.members.isEmpty)
    }

    @Test func sameSeedAndEventsGiveTheSameDirectives() {
        func run() -> [Directive] {
            var a = machine(1, knowing: [2, 3, 4, 5, 6])
            var all = a.start(nowMillis: 0)
            for second in 1...20 { all += a.tick(nowMillis: Int64(second) * 1_000) }
            return all
        }
        #expect(run() == run())
    }
}
