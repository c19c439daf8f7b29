import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Tombstone GC against the stable horizon, and no resurrection by members that were gone.
@Suite(.showsLogsOnFailure) struct GarbageCollectionTests {
    static var settings: ReplicationEngine.Settings {
        var settings = SimulatedCluster.defaultSettings
        settings.tombstoneGrace = .milliseconds(2_000)
        settings.gcInterval = .milliseconds(1_000)
        settings.membership.suspicionTimeout = .milliseconds(2_000)
        settings.membership.deadMemberRetention = .milliseconds(10_000)
        return settings
    }

    @Test func tombstonesEveryMemberHoldsArePurgedAfterTheGracePeriod() async throws {
        let cluster = SimulatedCluster(seed: 11, count: 3, settings: Self.settings)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        try await cluster.write(on: cluster.peers[0]) { try await $0.set("k", "v") }
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)
        try await cluster.write(on: cluster.peers[1]) { try await $0.delete("k") }
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)
        #expect(try cluster.peers.allSatisfy { try $0.store().stats().tombstones == 1 })
        await cluster.advance(by: 15_000)
        for peer in cluster.peers {
            #expect(try peer.store().stats().tombstones == 0, "peer \(peer.index) purged the tombstone")
            #expect(peer.node?.purgeHorizon != nil)
        }
        await cluster.stopAll()
    }

    @Test func aTombstoneIsKeptWhileAMemberHasNotReceivedIt() async throws {
        let cluster = SimulatedCluster(seed: 12, count: 3, settings: Self.settings)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        try await cluster.write(on: cluster.peers[0]) { try await $0.set("k", "v") }
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)
        // Peer 2 is cut off, but still a member (within the retention period): not purged.
        cluster.network.partition([[cluster.peers[0].address, cluster.peers[1].address], [cluster.peers[2].address]])
        try await cluster.write(on: cluster.peers[0]) { try await $0.delete("k") }
        await cluster.advance(by: 5_000)
        #expect(try cluster.peers[0].store().stats().tombstones == 1)
        await cluster.stopAll()
    }

    @Test func aMemberGoneLongerThanTheMemberTimeoutDoesNotResurrectPurgedKeys() async throws {
        let cluster = SimulatedCluster(seed: 13, count: 3, settings: Self.settings)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        try await cluster.write(on: cluster.peers[0]) { try await $0.set("k", "old") }
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)
        await cluster.advance(by: 1_000)
        let away = cluster.peers[2]
        await cluster.crash(away)
        try await cluster.write(on: cluster.peers[0]) { try await $0.delete("k") }
        // Peer 2 is declared dead, then forgotten; the others purge the tombstone.
        await cluster.advance(by: 30_000)
        #expect(try cluster.peers[0].store().stats().tombstones == 0)
        #expect(try cluster.peers[1].store().stats().tombstones == 0)
        // It returns still holding the old value of k.
        try await cluster.start(away)
        #expect(try away.store().get("k") == "old")
        #expect(try await cluster.runUntilConverged(limitMillis: 30_000) != nil)
        for peer in cluster.peers {
            #expect(try peer.store().get("k") == nil, "peer \(peer.index): the purged key stayed deleted")
        }
        await cluster.stopAll()
    }
}

/// Found in review: a purge horizon taken from purged tombstones alone destroyed writes a node
/// had simply not received yet. The stable horizon waits for every member's feed.
@Suite(.showsLogsOnFailure) struct StableHorizonTests {
    @Test func aLateWriteFromACutOffMemberSurvivesGarbageCollectionElsewhere() async throws {
        var settings = GarbageCollectionTests.settings
        settings.membership.deadMemberRetention = .milliseconds(120_000)
        let cluster = SimulatedCluster(seed: 14, count: 3, settings: settings)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        let (a, b) = (cluster.peers[0], cluster.peers[1])
        try await cluster.write(on: b) { try await $0.set("x", 1) }
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)
        // A is cut off and writes k; meanwhile B deletes x, and time passes the grace period.
        cluster.network.partition([[a.address], [b.address, cluster.peers[2].address]])
        try await cluster.write(on: a) { try await $0.set("k", "late") }
        await cluster.advance(by: 1_000)
        try await cluster.write(on: b) { try await $0.delete("x") }
        await cluster.advance(by: 20_000)
        // B must not have purged past what it holds of A's feed.
        if let horizon = b.node?.purgeHorizon,
            let stampOfK = try a.node?.changes(after: 0, limit: 100).first(where: { $0.key == "k" })
        {
            #expect(horizon <= stampOfK.register.stamp.hlc, "the horizon never passes a write B has not received")
        }
        cluster.network.heal()
        #expect(try await cluster.runUntilConverged(limitMillis: 30_000) != nil)
        for peer in cluster.peers {
            #expect(try peer.store().get("k") == "late", "peer \(peer.index) kept A's late write")
            #expect(try peer.store().get("x") == nil)
        }
        // Once everyone holds everything (and the post-start wait of one member timeout is over),
        // the tombstone of x goes everywhere.
        await cluster.advance(by: 125_000)
        for peer in cluster.peers { #expect(try peer.store().stats().tombstones == 0, "peer \(peer.index)") }
        await cluster.stopAll()
    }
}
