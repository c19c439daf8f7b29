import Foundation
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// What the dissemination tree must still deliver (Replication.md, "Why a tree, and why this
/// one"), in simulated time.
@Suite(.showsLogsOnFailure) struct TreeDisseminationTests {
    /// Digest repair out of the way: only the delta path along the tree can deliver.
    static var treeOnly: ReplicationEngine.Settings {
        var settings = SimulatedCluster.defaultSettings
        settings.replicator.digestInterval = .seconds(3_600)
        return settings
    }

    @Test func aWriteWhoseOriginDiesRightAfterReachingOnePeerReachesEveryone() async throws {
        let cluster = SimulatedCluster(seed: 21, count: 9, settings: Self.treeOnly)
        try await cluster.startAll()
        await cluster.advance(by: 10_000)
        let origin = cluster.peers[0]
        let originID = try #require(origin.node?.id)
        let tree = try #require(await origin.engine?.disseminationTree)
        #expect(tree.members.count == 9, "every peer joined")
        let first = try #require(tree.neighbours(of: originID).first)
        let reached = try #require(cluster.peers.first { $0.node?.id == first })
        for peer in cluster.peers where peer.index != origin.index && peer.index != reached.index {
            cluster.network.block(origin.address, peer.address)
        }
        try await cluster.write(on: origin) { try await $0.set("last-words", "sent once") }
        _ = try await cluster.advance(
            until: { try reached.store().get("last-words") != nil }, limitMillis: 5_000, stepMillis: 5)
        #expect(try reached.store().get("last-words") == "sent once", "the one neighbour got it")
        await cluster.crash(origin)
        cluster.network.heal()
        #expect(try await cluster.runUntilConverged(limitMillis: 60_000) != nil, "seed 21")
        for peer in cluster.peers where peer.index != origin.index {
            #expect(try peer.store().get("last-words") == "sent once", "peer \(peer.index), seed 21")
        }
        await cluster.stopAll()
    }

    /// With a fixed delay (no reordering, so no spurious fast retransmit), every entry of a
    /// burst arrives at every other peer exactly once.
    @Test func aBurstCrossesEachEdgeOnce() async throws {
        let cluster = SimulatedCluster(seed: 22, count: 9, settings: Self.treeOnly)
        cluster.network.faults.delayMillis = 2...2
        try await cluster.startAll()
        await cluster.advance(by: 10_000)
        var entries: [String: JSONValue] = [:]
        for index in 0..<500 { entries["k\(index)"] = .integer(Int64(index)) }
        try await cluster.write(on: cluster.peers[3]) { try await $0.mset(entries) }
        #expect(try await cluster.runUntilConverged(limitMillis: 30_000) != nil)
        var (received, applied) = (0, 0)
        for peer in cluster.peers {
            let statistics = try #require(await peer.engine?.statistics)
            received += statistics.entriesReceived
            applied += statistics.entriesApplied
        }
        #expect(applied == 500 * 8, "each of the 8 other peers applied each entry")
        #expect(received == applied, "and was sent it once: \(received) entries arrived for \(applied) applied")
        await cluster.stopAll()
    }
}
