import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct ReplicatorTests {
    let me = NodeID(rawValue: 1)
    let peer = NodeID(rawValue: 2)

    /// The acknowledgement this peer sends `peer`: its own part of the horizon, covering itself.
    func ack(_ through: Int64, horizon: HybridTimestamp = .zero) -> DeltaAck {
        DeltaAck(through: through, horizon: horizon, covers: DisseminationTree.fingerprint(of: [me]))
    }

    func machine(head: Int64) -> Replicator {
        var replicator = Replicator(id: me, head: head, randomSeed: 1)
        _ = replicator.membersChanged(live: [peer], known: [peer], nowMillis: 0)
        return replicator
    }

    @Test func digestsAreExchangedOnlyWithAMemberHoldingTheWholeFeed() {
        var replicator = machine(head: 10)
        _ = replicator.start(nowMillis: 0)
        replicator.deltaSent(to: peer, after: 0, through: 10, nowMillis: 0)
        let due = replicator.settings.digestIntervalMillis
        let busy = replicator.tick(nowMillis: due)
        #expect(!busy.contains(.sendDigest(to: peer)), "deltas in flight would make its buckets differ")
        #expect(!replicator.isCaughtUp(peer))
        _ = replicator.received(DeltaAck(through: 10), from: peer, nowMillis: due + 1)
        #expect(replicator.isCaughtUp(peer))
        let idle = replicator.tick(nowMillis: due + 2)
        #expect(idle.contains(.sendDigest(to: peer)), "still due, now that it holds everything")
        #expect(
            !replicator.tick(nowMillis: due + 3).contains(.sendDigest(to: peer)), "then not again before the interval")
    }

    @Test func anOverdueDigestGoesAheadWithAMemberStillBehind() {
        var replicator = machine(head: 10)
        _ = replicator.start(nowMillis: 0)
        replicator.deltaSent(to: peer, after: 0, through: 10, nowMillis: 0)
        let interval = replicator.settings.digestIntervalMillis
        let limit = Int64(replicator.settings.digestDeferralLimit)
        #expect(!replicator.tick(nowMillis: interval * limit).contains(.sendDigest(to: peer)), "still within the limit")
        #expect(
            replicator.tick(nowMillis: interval * (limit + 1)).contains(.sendDigest(to: peer)),
            "deferred digestDeferralLimit intervals: a member still behind will do")
    }

    @Test func aNewMemberIsSentTheWholeFeedFromZero() {
        var replicator = Replicator(id: me, head: 10, randomSeed: 1)
        let directives = replicator.membersChanged(live: [peer], known: [peer], nowMillis: 0)
        #expect(directives == [.sendDelta(to: peer, after: 0)])
    }

    @Test func acknowledgementsAreCumulativeAndTimeoutsGoBackToTheLastOne() {
        var replicator = machine(head: 30)
        replicator.deltaSent(to: peer, after: 0, through: 10, nowMillis: 0)
        replicator.deltaSent(to: peer, after: 10, through: 20, nowMillis: 0)
        _ = replicator.received(DeltaAck(through: 10), from: peer, nowMillis: 5)
        #expect(replicator.progress[peer]?.acked == 10)
        let retry = replicator.tick(nowMillis: 2_000)
        #expect(retry.contains(.sendDelta(to: peer, after: 10)), "re-sent from the acknowledgement")
    }

    @Test func acknowledgementsThatKeepGoingBackwardsRewindTheSender() {
        var replicator = machine(head: 20)
        replicator.deltaSent(to: peer, after: 0, through: 20, nowMillis: 0)
        _ = replicator.received(DeltaAck(through: 20), from: peer, nowMillis: 1)
        let late = replicator.received(DeltaAck(through: 5), from: peer, nowMillis: 2)
        #expect(replicator.progress[peer]?.acked == 20, "one acknowledgement below is a late one: ignored")
        #expect(late.isEmpty)
        let directives = replicator.received(DeltaAck(through: 5), from: peer, nowMillis: 3)
        #expect(replicator.progress[peer]?.acked == 5)
        #expect(directives.contains(.sendDelta(to: peer, after: 5)), "the member lost data: send it again")
    }

    @Test func aLateAcknowledgementBetweenCurrentOnesChangesNothing() {
        var replicator = machine(head: 30)
        replicator.deltaSent(to: peer, after: 0, through: 10, nowMillis: 0)
        replicator.deltaSent(to: peer, after: 10, through: 20, nowMillis: 0)
        _ = replicator.received(DeltaAck(through: 20), from: peer, nowMillis: 5)
        _ = replicator.received(DeltaAck(through: 10), from: peer, nowMillis: 6)
        _ = replicator.received(DeltaAck(through: 20), from: peer, nowMillis: 7)
        _ = replicator.received(DeltaAck(through: 10), from: peer, nowMillis: 8)
        #expect(replicator.progress[peer]?.acked == 20, "reordered acknowledgements, one at a time, never rewind")
    }

    @Test func aDeltaWithAGapIsAppliedButAcknowledgesNothingNew() {
        var replicator = machine(head: 0)
        let gap = Delta(after: 10, through: 20, entries: [])
        #expect(replicator.received(gap, from: peer, ownClock: .zero) == [.apply(gap, from: peer)])
        let acks = replicator.deltaApplied(gap, from: peer, ownClock: .zero)
        #expect(acks.contains(.sendAck(ack(0), to: peer)))
    }

    @Test func aRangeAlreadyHeldIsAcknowledgedWithoutApplyingAgain() {
        var replicator = machine(head: 0)
        let delta = Delta(after: 0, through: 10, entries: [])
        _ = replicator.received(delta, from: peer, ownClock: .zero)
        _ = replicator.deltaApplied(delta, from: peer, ownClock: .zero)
        let again = replicator.received(delta, from: peer, ownClock: .zero)
        #expect(again.allSatisfy { if case .apply = $0 { false } else { true } })
    }

    @Test func theStableHorizonIsTheLeastClockEveryMemberIsKnownToHold() {
        var replicator = machine(head: 0)
        let clock = HybridTimestamp(physicalMillis: 1_000, logical: 0)
        #expect(replicator.stableHorizon(ownClock: clock) == .zero, "nothing known of the member yet")
        let delta = Delta(after: 0, through: 5, entries: [], clock: HybridTimestamp(physicalMillis: 900, logical: 0))
        _ = replicator.received(delta, from: peer, ownClock: clock)
        _ = replicator.deltaApplied(delta, from: peer, ownClock: clock)
        #expect(replicator.completeThrough(ownClock: clock) == HybridTimestamp(physicalMillis: 900, logical: 0))
        _ = replicator.received(
            DeltaAck(
                through: 0, horizon: HybridTimestamp(physicalMillis: 800, logical: 0),
                covers: DisseminationTree.fingerprint(of: [peer])), from: peer, nowMillis: 1)
        #expect(replicator.stableHorizon(ownClock: clock) == HybridTimestamp(physicalMillis: 800, logical: 0))
        var alone = Replicator(id: me, head: 0, standalone: true, randomSeed: 1)
        _ = alone.membersChanged(live: [], known: [], nowMillis: 0)
        #expect(alone.stableHorizon(ownClock: clock) == clock, "running alone, everything is stable")
        var searching = Replicator(id: me, head: 0, randomSeed: 1)
        _ = searching.membersChanged(live: [], known: [], nowMillis: 0)
        #expect(searching.stableHorizon(ownClock: clock) == .zero, "not having found its members proves nothing")
    }

    // MARK: Held ranges (receiver)

    func clock(_ millis: UInt64) -> HybridTimestamp { HybridTimestamp(physicalMillis: millis, logical: 0) }

    /// Delivers `delta` as the shell would: applies it if asked, and returns every directive.
    func deliver(_ delta: Delta, to replicator: inout Replicator) -> [Replicator.Directive] {
        let first = replicator.received(delta, from: peer, ownClock: .zero)
        guard first.contains(.apply(delta, from: peer)) else { return first }
        return first + replicator.deltaApplied(delta, from: peer, ownClock: .zero)
    }

    func applies(_ directives: [Replicator.Directive]) -> Bool {
        directives.contains { if case .apply = $0 { true } else { false } }
    }

    @Test func aGapIsRememberedAndAbsorbedWithItsClockOnceFilled() {
        var replicator = machine(head: 0)
        let late = Delta(after: 10, through: 20, entries: [], clock: clock(900))
        let directives = deliver(late, to: &replicator)
        #expect(directives.contains(.sendAck(ack(0), to: peer)))
        #expect(!directives.contains(.persist(member: peer)), "received did not advance")
        #expect(replicator.progress[peer]?.heldRanges.map { [$0.after, $0.through] } == [[10, 20]])
        #expect(replicator.heldThrough[peer] == nil, "the gap is not held yet: no clock credit")

        let filler = Delta(after: 0, through: 10, entries: [])
        let filled = deliver(filler, to: &replicator)
        #expect(filled.contains(.sendAck(ack(20, horizon: clock(900)), to: peer)))
        #expect(filled.contains(.persist(member: peer)))
        #expect(replicator.progress[peer]?.received == 20)
        #expect(replicator.progress[peer]?.heldRanges.isEmpty == true)
        #expect(replicator.heldThrough[peer] == clock(900), "the absorbed range's clock is credited")
        #expect(!applies(deliver(late, to: &replicator)), "the absorbed range is not applied again")
    }

    @Test func aRangeInsideAHeldRangeIsAcknowledgedWithoutApplyingAgain() {
        var replicator = machine(head: 0)
        _ = deliver(Delta(after: 10, through: 20, entries: []), to: &replicator)
        _ = deliver(Delta(after: 20, through: 30, entries: []), to: &replicator)
        _ = deliver(Delta(after: 40, through: 50, entries: []), to: &replicator)
        #expect(
            replicator.progress[peer]?.heldRanges.map { [$0.after, $0.through] } == [[10, 30], [40, 50]],
            "adjacent ranges merge; separate ones stay apart")
        let inside = deliver(Delta(after: 15, through: 30, entries: [], clock: clock(700)), to: &replicator)
        #expect(!applies(inside))
        #expect(inside == [.sendAck(ack(0), to: peer)])
        #expect(applies(deliver(Delta(after: 25, through: 45, entries: []), to: &replicator)), "spans a gap")
        #expect(replicator.progress[peer]?.heldRanges.map { [$0.after, $0.through] } == [[10, 50]])
        _ = deliver(Delta(after: 0, through: 10, entries: []), to: &replicator)
        #expect(replicator.progress[peer]?.received == 50)
        #expect(replicator.heldThrough[peer] == clock(700), "a duplicate's clock was kept with its range")
    }

    @Test func heldRangesAreBoundedAndTheHighestAreForgotten() {
        var settings = Replicator.Settings()
        settings.maxHeldRanges = 4
        var replicator = Replicator(id: me, head: 0, settings: settings, randomSeed: 1)
        _ = replicator.membersChanged(live: [peer], known: [peer], nowMillis: 0)
        for after: Int64 in [50, 10, 30, 20, 40] {
            _ = deliver(Delta(after: after, through: after + 1, entries: []), to: &replicator)
        }
        #expect(replicator.progress[peer]?.heldRanges.map(\.after) == [10, 20, 30, 40])
        #expect(
            applies(deliver(Delta(after: 50, through: 51, entries: []), to: &replicator)), "forgotten: applied again")
        #expect(!applies(deliver(Delta(after: 40, through: 41, entries: []), to: &replicator)))
        _ = deliver(Delta(after: 60, through: 61, entries: []), to: &replicator)
        #expect(
            replicator.progress[peer]?.heldRanges.map(\.after) == [10, 20, 30, 40],
            "a new highest range is the one dropped")
    }

    // MARK: Fast retransmit (sender)

    func retransmits(_ directives: [Replicator.Directive], after: Int64) -> Bool {
        directives.contains(.sendDelta(to: peer, after: after))
    }

    @Test func threeDuplicateAcknowledgementsRetransmitOnceAndAFourthDoesNotRepeatIt() {
        var replicator = machine(head: 100)
        for start in stride(from: Int64(0), to: 40, by: 10) {
            replicator.deltaSent(to: peer, after: start, through: start + 10, nowMillis: 0)
        }
        let duplicate = DeltaAck(through: 0)
        #expect(!retransmits(replicator.received(duplicate, from: peer, nowMillis: 1), after: 0))
        #expect(!retransmits(replicator.received(duplicate, from: peer, nowMillis: 1), after: 0))
        #expect(replicator.received(duplicate, from: peer, nowMillis: 1) == [.sendDelta(to: peer, after: 0)])
        #expect(!retransmits(replicator.received(duplicate, from: peer, nowMillis: 2), after: 0))
        #expect(replicator.progress[peer]?.sent == 40, "the window is kept")
        #expect(replicator.progress[peer]?.acked == 0)

        replicator.deltaSent(to: peer, after: 0, through: 10, nowMillis: 3)
        _ = replicator.received(DeltaAck(through: 40), from: peer, nowMillis: 4)
        #expect(replicator.progress[peer]?.acked == 40)
        #expect(replicator.progress[peer]?.smoothedRTTMillis == nil, "answers a retransmission: no sample (Karn)")

        replicator.deltaSent(to: peer, after: 40, through: 50, nowMillis: 5)
        replicator.deltaSent(to: peer, after: 50, through: 60, nowMillis: 5)
        let again = (0..<3).map { _ in replicator.received(DeltaAck(through: 40), from: peer, nowMillis: 6) }
        #expect(again.last == [.sendDelta(to: peer, after: 40)], "acked advanced: a new loss is retransmitted")
    }

    @Test func acknowledgementsWithNothingInFlightAreNotDuplicates() {
        var replicator = machine(head: 10)
        replicator.deltaSent(to: peer, after: 0, through: 10, nowMillis: 0)
        _ = replicator.received(DeltaAck(through: 10), from: peer, nowMillis: 1)
        for _ in 0..<5 {
            #expect(replicator.received(DeltaAck(through: 10), from: peer, nowMillis: 2).isEmpty)
        }
    }

    // MARK: Adaptive ack timeout

    /// Sends `(after, after + 10]` at `sentAt` and acknowledges it `roundTrip` later.
    func roundTrip(_ replicator: inout Replicator, after: Int64, sentAt: Int64, roundTrip: Int64) {
        replicator.deltaSent(to: peer, after: after, through: after + 10, nowMillis: sentAt)
        _ = replicator.received(DeltaAck(through: after + 10), from: peer, nowMillis: sentAt + roundTrip)
    }

    @Test func theAckTimeoutFollowsTheMeasuredRoundTripAndBacksOffOnTimeouts() {
        var replicator = machine(head: 10_000)
        #expect(replicator.progress[peer]?.ackTimeoutMillis == 1_000, "the ceiling until a round trip is measured")
        roundTrip(&replicator, after: 0, sentAt: 0, roundTrip: 100)
        #expect(replicator.progress[peer]?.ackTimeoutMillis == 300, "first sample: 100 + 4 x 50")
        var now: Int64 = 1_000
        for step in Int64(1)..<40 {
            roundTrip(&replicator, after: step * 10, sentAt: now, roundTrip: 100)
            now += 200
        }
        let converged = replicator.progress[peer]?.ackTimeoutMillis ?? 0
        #expect((100...102).contains(converged), "a steady 100 ms round trip: variance gone, got \(converged)")

        replicator.deltaSent(to: peer, after: 400, through: 410, nowMillis: now)
        #expect(!retransmits(replicator.tick(nowMillis: now + converged - 1), after: 400))
        #expect(retransmits(replicator.tick(nowMillis: now + converged), after: 400), "times out at the adaptive value")
        #expect(replicator.progress[peer]?.ackTimeoutMillis == 2 * converged, "doubled")
        var timeouts: [Int64] = []
        for _ in 0..<5 {
            now += 2_000
            replicator.deltaSent(to: peer, after: 400, through: 410, nowMillis: now)
            _ = replicator.tick(nowMillis: now + 1_000)
            timeouts.append(replicator.progress[peer]?.ackTimeoutMillis ?? 0)
        }
        #expect(timeouts == [4 * converged, 8 * converged, 1_000, 1_000, 1_000], "doubles up to the ceiling")

        now += 2_000
        roundTrip(&replicator, after: 400, sentAt: now, roundTrip: 100)
        #expect(replicator.progress[peer]?.ackTimeoutMillis == 1_000, "a retransmission's acknowledgement is no sample")
        roundTrip(&replicator, after: 410, sentAt: now, roundTrip: 100)
        #expect((100...102).contains(replicator.progress[peer]?.ackTimeoutMillis ?? 0), "a fresh sample recomputes it")
        for step in Int64(0)..<60 {
            roundTrip(&replicator, after: 420 + step * 10, sentAt: now, roundTrip: 0)
        }
        #expect(replicator.progress[peer]?.ackTimeoutMillis == 20, "never below minAckTimeoutMillis")
    }

    // MARK: Tick scheduling

    func scheduled(_ directives: [Replicator.Directive]) -> [Int64] {
        directives.compactMap { if case .scheduleTick(let after) = $0 { after } else { nil } }
    }

    @Test func ticksAreScheduledForTheEarliestAckTimeoutOrTheNextRound() {
        var replicator = machine(head: 1_000)
        #expect(replicator.start(nowMillis: 0) == [.scheduleTick(afterMillis: 0)])
        #expect(scheduled(replicator.tick(nowMillis: 0)) == [200], "nothing in flight: the next round")
        roundTrip(&replicator, after: 0, sentAt: 0, roundTrip: 4)
        #expect(replicator.progress[peer]?.ackTimeoutMillis == 20)
        replicator.deltaSent(to: peer, after: 10, through: 20, nowMillis: 30)
        #expect(scheduled(replicator.tick(nowMillis: 40)) == [10], "the delta sent at 30 times out at 50")
        #expect(scheduled(replicator.tick(nowMillis: 48)) == [5], "never sooner than minTickMillis")
        let timeout = replicator.tick(nowMillis: 50)
        #expect(retransmits(timeout, after: 10))
        #expect(scheduled(timeout) == [40], "the retransmission it asks for times out after the doubled timeout")
        replicator.deltaSent(to: peer, after: 10, through: 20, nowMillis: 50)
        _ = replicator.received(DeltaAck(through: 20), from: peer, nowMillis: 52)
        #expect(scheduled(replicator.tick(nowMillis: 60)) == [140], "nothing in flight: the round due at 200")
    }

    @Test func everyTickSchedulesExactlyOneTickAndNothingElseSchedulesAny() {
        var replicator = Replicator(id: me, head: 0, randomSeed: 7)
        let others = [NodeID(rawValue: 2), NodeID(rawValue: 3), NodeID(rawValue: 4)]
        var directives = replicator.start(nowMillis: 0)
        #expect(scheduled(directives).count == 1)
        directives = replicator.membersChanged(live: others, known: others, nowMillis: 0)
        var random = SplitMix64(seed: 7)
        var now: Int64 = 0
        for step in 0..<2_000 {
            now += Int64(random.next() % 30)
            let member = others[Int(random.next() % 3)]
            if random.next() % 5 == 0 {
                let ticked = replicator.tick(nowMillis: now)
                #expect(scheduled(ticked).count == 1, "a tick schedules exactly one tick (step \(step), seed 7)")
                #expect(scheduled(ticked).allSatisfy { $0 >= replicator.settings.minTickMillis })
                directives = ticked
            } else {
                switch random.next() % 3 {
                case 0:
                    directives = replicator.committed(head: replicator.head + Int64(random.next() % 50), nowMillis: now)
                case 1:
                    let acked = replicator.progress[member]?.acked ?? 0
                    let ack = DeltaAck(through: acked + Int64(random.next() % 20) - 2)
                    directives = replicator.received(ack, from: member, nowMillis: now)
                default:
                    let after = Int64(random.next() % 100)
                    directives = deliver(
                        Delta(after: after, through: after + 5, entries: []), from: member, to: &replicator)
                }
                #expect(scheduled(directives).isEmpty, "only ticks schedule ticks (step \(step), seed 7)")
            }
            // Most sends happen; some are lost before the shell reports them.
            if random.next() % 5 != 0 {
                for case .sendDelta(let to, let after) in directives where after < replicator.head {
                    replicator.deltaSent(
                        to: to, after: after, through: min(replicator.head, after + 10), nowMillis: now)
                }
            }
        }
    }

    func deliver(_ delta: Delta, from member: NodeID, to replicator: inout Replicator) -> [Replicator.Directive] {
        let first = replicator.received(delta, from: member, ownClock: .zero)
        guard first.contains(.apply(delta, from: member)) else { return first }
        return first + replicator.deltaApplied(delta, from: member, ownClock: .zero)
    }
}
