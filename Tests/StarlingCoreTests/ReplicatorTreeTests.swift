import StarlingCore
import StarlingTestKit
import Testing

/// The replicator along the dissemination tree: who it sends to, the claims of what peers hold,
/// and the stable horizon aggregated along the tree.
@Suite(.showsLogsOnFailure) struct ReplicatorTreeTests {
    let me = NodeID(rawValue: 1)

    func clock(_ millis: UInt64) -> HybridTimestamp { HybridTimestamp(physicalMillis: millis, logical: 0) }

    func machine(head: Int64, others: [NodeID]) -> Replicator {
        var replicator = Replicator(id: me, head: head, randomSeed: 1)
        _ = replicator.membersChanged(live: others, known: others, nowMillis: 0)
        return replicator
    }

    static func others(_ count: Int) -> [NodeID] { (2..<(2 + count)).map { NodeID(rawValue: UInt64($0) * 7_919) } }

    /// The members reached from `start` without passing through `me`.
    func side(of start: NodeID, in tree: DisseminationTree) -> [NodeID] {
        var reached: Set<NodeID> = [me]
        var frontier = [start]
        var side: [NodeID] = []
        while let next = frontier.popLast() {
            guard reached.insert(next).inserted else { continue }
            side.append(next)
            frontier += tree.neighbours(of: next)
        }
        return side
    }

    @Test func commitsGoOnlyToNeighboursInTheTree() {
        let others = Self.others(16)
        var replicator = machine(head: 0, others: others)
        let neighbours = DisseminationTree(members: others + [me]).neighbours(of: me).sorted()
        #expect(replicator.targets == neighbours)
        #expect(!neighbours.isEmpty && neighbours.count <= 3)
        let pushed = replicator.committed(head: 5, nowMillis: 1)
        #expect(Set(pushed) == Set(neighbours.map { Replicator.Directive.sendDelta(to: $0, after: 0) }))
        #expect(
            replicator.tick(nowMillis: 300).allSatisfy {
                if case .sendDelta(let to, _) = $0 { neighbours.contains(to) } else { true }
            })
    }

    @Test func claimsOfAFeedHeldThroughItsEndAreTakenOverAndOthersOnlyNoted() throws {
        let others = Self.others(4)
        var replicator = machine(head: 0, others: others)
        let neighbour = try #require(replicator.targets.first)
        let far = try #require(others.first { $0 != neighbour })
        let claims = [HeldClaim(origin: far, clock: clock(500))]

        let gap = Delta(after: 10, through: 20, entries: [], clock: clock(900), claims: claims)
        _ = replicator.received(gap, from: neighbour, ownClock: .zero)
        _ = replicator.deltaApplied(gap, from: neighbour, ownClock: .zero)
        #expect(replicator.heldThrough[far] == nil, "beyond a gap: nothing is held through it yet")
        #expect(replicator.heldBy[neighbour]?[far] == clock(500), "but the neighbour holds it, whatever the gap")
        let write = Register(stamp: Stamp(hlc: clock(400), origin: far), content: .tombstone)
        #expect(replicator.claimedHeld(by: neighbour, write))
        #expect(
            !replicator.claimedHeld(
                by: neighbour, Register(stamp: Stamp(hlc: clock(600), origin: far), content: .tombstone)))

        let whole = Delta(after: 0, through: 20, entries: [], clock: clock(900), claims: claims)
        _ = replicator.received(whole, from: neighbour, ownClock: .zero)
        _ = replicator.deltaApplied(whole, from: neighbour, ownClock: .zero)
        #expect(replicator.heldThrough[far] == clock(500))
        #expect(replicator.heldThrough[neighbour] == clock(900))
    }

    @Test func claimsAreToldOnceAndAgainAfterALoss() throws {
        let others = Self.others(4)
        var replicator = machine(head: 0, others: others)
        let neighbour = try #require(replicator.targets.first)
        let delta = Delta(
            after: 0, through: 1, entries: [], clock: clock(900),
            claims: others.filter { $0 != neighbour }.map { HeldClaim(origin: $0, clock: clock(300)) })
        _ = replicator.received(delta, from: neighbour, ownClock: .zero)
        _ = replicator.deltaApplied(delta, from: neighbour, ownClock: .zero)
        let listener = try #require(replicator.targets.last)
        let first = replicator.claims(for: listener, limit: 100)
        #expect(!first.isEmpty && first.allSatisfy { $0.origin != listener })
        #expect(replicator.claims(for: listener, limit: 1).count == 1, "bounded by the room in the delta")
        replicator.claimsSent(first, to: listener)
        #expect(replicator.claims(for: listener, limit: 100).isEmpty, "nothing moved since")
        _ = replicator.committed(head: 5, nowMillis: 0)
        replicator.deltaSent(to: listener, after: 0, through: 5, nowMillis: 0)
        _ = replicator.tick(nowMillis: 5_000)
        #expect(replicator.claims(for: listener, limit: 100) == first, "a timeout may have lost them: told again")
    }

    @Test func theHorizonWaitsForReportsCoveringEveryKnownMember() {
        let others = Self.others(6)
        var replicator = machine(head: 0, others: others)
        // This peer holds everything of everyone through 1,000.
        for member in others {
            let delta = Delta(after: 0, through: 1, entries: [], clock: clock(1_000))
            _ = replicator.received(delta, from: member, ownClock: .zero)
            _ = replicator.deltaApplied(delta, from: member, ownClock: .zero)
        }
        _ = replicator.membersChanged(live: others, known: others, nowMillis: 0)
        let ownClock = clock(2_000)
        #expect(replicator.stableHorizon(ownClock: ownClock) == .zero, "no report yet")
        let tree = DisseminationTree(members: others + [me])
        let targets = replicator.targets
        for (index, target) in targets.enumerated() {
            let covers = DisseminationTree.fingerprint(of: side(of: target, in: tree))
            let report = DeltaAck(through: 0, horizon: clock(700 + UInt64(index)), covers: covers)
            _ = replicator.received(report, from: target, nowMillis: 1)
            let expected = index == targets.count - 1 ? clock(700) : .zero
            #expect(replicator.stableHorizon(ownClock: ownClock) == expected, "after \(index + 1) reports")
        }
        // A report that leaves a member out does not count, and the last horizon stands.
        _ = replicator.received(
            DeltaAck(through: 0, horizon: clock(900), covers: 0),
            from: targets[0], nowMillis: 2)
        #expect(replicator.stableHorizon(ownClock: ownClock) == clock(700))
        // A member this peer knows but the tree does not reach (dead, not yet forgotten) holds it.
        let gone = NodeID(rawValue: 99)
        _ = replicator.membersChanged(live: others, known: others + [gone], nowMillis: 3)
        #expect(replicator.stableHorizon(ownClock: ownClock) <= clock(700))
    }

    @Test func theReportToANeighbourCoversThisPeerAndItsOtherSide() throws {
        let others = Self.others(16)
        var replicator = machine(head: 0, others: others)
        let tree = DisseminationTree(members: others + [me])
        for target in replicator.targets {
            _ = replicator.received(
                DeltaAck(
                    through: 0, horizon: clock(500),
                    covers: DisseminationTree.fingerprint(of: side(of: target, in: tree))),
                from: target, nowMillis: 1)
        }
        let target = try #require(replicator.targets.first)
        let delta = Delta(after: 0, through: 1, entries: [])
        _ = replicator.received(delta, from: target, ownClock: .zero)
        let directives = replicator.deltaApplied(delta, from: target, ownClock: .zero)
        let acks = directives.compactMap { if case .sendAck(let ack, _) = $0 { ack } else { nil } }
        let expected = DisseminationTree.fingerprint(of: Set(others + [me]).subtracting(side(of: target, in: tree)))
        #expect(acks.map(\.covers) == [expected])
    }
}
