import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Real nodes B and C joined through one seed, A, keep replicating to each other once A is gone
/// (field report: with `starling serve` processes, B and C never saw each other alive again after
/// A stopped, so they stopped replicating to each other). A failure names its seed and timing;
/// ``scenario(seed:departure:fault:)`` replays it exactly.
@Suite(.showsLogsOnFailure) struct LostSeedTests {
    enum Departure: CaseIterable { case leave, crash }

    /// What happens to the pair after A is gone.
    enum Fault: CaseIterable {
        /// Nothing.
        case none
        /// B and C cannot reach each other for a while (up to two minutes), then can.
        case cut
        /// B crashes and restarts with only its configured seed, A, and its persisted peers.
        case restartB
    }

    static let a = 0, b = 1, c = 2

    /// Whether `peer` sees every one of `others` alive.
    static func sees(_ peer: SimulatedCluster.Peer, alive others: [SimulatedCluster.Peer], in cluster: SimulatedCluster)
        async
        -> Bool
    {
        guard let engine = peer.engine else { return false }
        let members = await engine.members()
        return others.allSatisfy { other in
            let id = cluster.peers[other.index].node?.id
            return members.contains { $0.update.id == id && $0.update.status == .alive }
        }
    }

    /// Advances in 50 ms steps until `condition` holds or `limit` passes; returns whether it held.
    static func advance(_ cluster: SimulatedCluster, upTo limit: Int64, until condition: () async throws -> Bool)
        async rethrows -> Bool
    {
        try await cluster.advance(until: condition, limitMillis: limit, stepMillis: 50) != nil
    }

    /// A starts; B and C start within two seconds (half of the seeds at the same millisecond)
    /// with A as their only seed; 0 to 1.5 s after both met A, A stops (leaving) or crashes; then
    /// `fault`. A write at B must then reach C, and B and C must see each other alive, within
    /// 20 s. Returns nil, or what went wrong.
    static func scenario(seed: UInt64, departure: Departure, fault: Fault) async throws -> String? {
        let cluster = SimulatedCluster(seed: seed, count: 3)
        cluster.seedsByPeer = [a: [], b: [a], c: [a]]
        let failure = try await run(cluster, seed: seed, departure: departure, fault: fault)
        await cluster.stopAll()
        return failure
    }

    static func run(_ cluster: SimulatedCluster, seed: UInt64, departure: Departure, fault: Fault) async throws
        -> String?
    {
        let (peerA, peerB, peerC) = (cluster.peers[a], cluster.peers[b], cluster.peers[c])
        var random = SeededGenerator(seed: seed ^ 0x5EED)
        let sameMoment = Bool.random(using: &random)
        let startB = Int64.random(in: 0..<2_000, using: &random)
        let startC = sameMoment ? startB : Int64.random(in: 0..<2_000, using: &random)
        try await cluster.start(peerA)
        var elapsed: Int64 = 0
        for (peer, at) in [(peerB, startB), (peerC, startC)].sorted(by: { $0.1 < $1.1 }) {
            await cluster.advance(by: at - elapsed)
            elapsed = at
            try await cluster.start(peer)
        }
        let met = await advance(cluster, upTo: 10_000) {
            let (atB, atC) = (
                await sees(peerB, alive: [peerA], in: cluster), await sees(peerC, alive: [peerA], in: cluster)
            )
            return atB && atC
        }
        guard met else { return "B and C did not both meet A within 10 s" }
        let delay = Int64.random(in: 0...1_500, using: &random)
        await cluster.advance(by: delay)
        var context = "A \(departure) \(delay) ms after both met it (B at \(startB), C at \(startC))"
        switch departure {
        case .leave: await cluster.stop(peerA)
        case .crash: await cluster.crash(peerA)
        }
        let pairAlive = {
            let (atB, atC) = (
                await sees(peerB, alive: [peerC], in: cluster), await sees(peerC, alive: [peerB], in: cluster)
            )
            return atB && atC
        }
        switch fault {
        case .none:
            break
        case .cut:
            guard await advance(cluster, upTo: 10_000, until: pairAlive) else { return "\(context): never met" }
            let length = Int64.random(in: 1_000...120_000, using: &random)
            context += ", then B and C cut off for \(length) ms"
            cluster.network.partition([[peerB.address], [peerC.address]])
            await cluster.advance(by: length)
            cluster.network.heal()
        case .restartB:
            guard await advance(cluster, upTo: 10_000, until: pairAlive) else { return "\(context): never met" }
            await cluster.advance(by: 2_000)  // a replication round: B's peers reach its disk
            let down = Int64.random(in: 0...90_000, using: &random)
            context += ", then B down for \(down) ms"
            await cluster.crash(peerB)
            await cluster.advance(by: down)
            try await cluster.start(peerB)
        }
        try await cluster.write(on: peerB) { try await $0.set("from-b", .integer(Int64(seed))) }
        var converged = false
        var alive = false
        _ = try await advance(cluster, upTo: 20_000) {
            converged = try converged || peerC.store().get("from-b") == .integer(Int64(seed))
            alive = await pairAlive()
            return converged && alive
        }
        guard converged, alive else {
            return "\(context): after 20 s the write at B \(converged ? "reached" : "did not reach") C; "
                + "alive to each other: \(alive)"
        }
        return nil
    }

    static func check(seeds: ClosedRange<UInt64>, departure: Departure, fault: Fault) async throws {
        for seed in seeds {
            if let failure = try await scenario(seed: seed, departure: departure, fault: fault) {
                Issue.record("seed \(seed), \(departure), \(fault): \(failure)")
            }
        }
    }

    @Test(arguments: Departure.allCases, Fault.allCases)
    func aWriteAtOnePeerReachesTheOtherAfterTheirOnlySeedIsGone(departure: Departure, fault: Fault) async throws {
        try await Self.check(seeds: 1...20, departure: departure, fault: fault)
    }
}
