import StarlingCore
import Testing

@Suite struct ReplicatorTests {
    let peer = NodeID(rawValue: 2)

    func machine(head: Int64) -> Replicator {
        var replicator = Replicator(head: head, randomSeed: 1)
        _ = replicator.membersChanged(live: [peer], known: [peer], nowMillis: 0)
        return replicator
    }

    @Test func aNewMemberIsSentTheWholeFeedFromZero() {
        var replicator = Replicator(head: 10, randomSeed: 1)
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

    @Test func anAcknowledgementThatGoesBackwardsRewindsTheSender() {
        var replicator = machine(head: 20)
        replicator.deltaSent(to: peer, after: 0, through: 20, nowMillis: 0)
        _ = replicator.received(DeltaAck(through: 20), from: peer, nowMillis: 1)
        let directives = replicator.received(DeltaAck(through: 5), from: peer, nowMillis: 2)
        #expect(replicator.progress[peer]?.acked == 5)
        #expect(directives.contains(.sendDelta(to: peer, after: 5)), "the member lost data: send it again")
    }

    @Test func aDeltaWithAGapIsAppliedButAcknowledgesNothingNew() {
        var replicator = machine(head: 0)
        let gap = Delta(after: 10, through: 20, entries: [])
        #expect(replicator.received(gap, from: peer, ownClock: .zero) == [.apply(gap, from: peer)])
        let acks = replicator.deltaApplied(gap, from: peer, ownClock: .zero)
        #expect(acks.contains(.sendAck(DeltaAck(through: 0, completeThrough: .zero), to: peer)))
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
        _ = replicator.received(DeltaAck(through: 0, completeThrough: HybridTimestamp(physicalMillis: 800, logical: 0)), from: peer, nowMillis: 1)
        #expect(replicator.stableHorizon(ownClock: clock) == HybridTimestamp(physicalMillis: 800, logical: 0))
        var alone = Replicator(head: 0, standalone: true, randomSeed: 1)
        _ = alone.membersChanged(live: [], known: [], nowMillis: 0)
        #expect(alone.stableHorizon(ownClock: clock) == clock, "running alone, everything is stable")
        var searching = Replicator(head: 0, randomSeed: 1)
        _ = searching.membersChanged(live: [], known: [], nowMillis: 0)
        #expect(searching.stableHorizon(ownClock: clock) == .zero, "not having found its members proves nothing")
    }
}
