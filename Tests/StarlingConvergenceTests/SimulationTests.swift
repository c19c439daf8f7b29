import Foundation
import PropertyBased
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Deterministic simulation: real nodes and engines over a seeded lossy network.
@Suite(.showsLogsOnFailure) struct SimulationTests {
    @Test func threePeersConvergeWithoutFaults() async throws {
        let cluster = SimulatedCluster(seed: 1, count: 3)
        try await cluster.startAll()
        await cluster.advance(by: 3_000)
        try await cluster.write(on: cluster.peers[0]) { try await $0.set("a", 1) }
        try await cluster.write(on: cluster.peers[1]) { try await $0.set("b", 2) }
        try await cluster.write(on: cluster.peers[2]) { _ = try await $0.incr("n") }
        let took = try await cluster.runUntilConverged(limitMillis: 10_000)
        #expect(took != nil, "converged")
        for peer in cluster.peers {
            let store = try peer.store()
            #expect(try store.get("a") == 1 && store.get("b") == 2 && store.get("n") == 1)
        }
        await cluster.stopAll()
    }

    @Test func aLateJoinerReceivesTheFullState() async throws {
        let cluster = SimulatedCluster(seed: 2, count: 3)
        try await cluster.start(cluster.peers[0])
        try await cluster.start(cluster.peers[1])
        await cluster.advance(by: 2_000)
        let entries = (0..<300).map { ("key-\($0)", JSONValue.string(String(repeating: "v", count: 40))) }
        try await cluster.write(on: cluster.peers[0]) { try await $0.mset(Dictionary(uniqueKeysWithValues: entries)) }
        try await cluster.write(on: cluster.peers[1]) {
            try await $0.set("big", .string(String(repeating: "x", count: 20_000)))
        }
        await cluster.advance(by: 2_000)
        try await cluster.start(cluster.peers[2])
        #expect(try await cluster.runUntilConverged(limitMillis: 30_000) != nil)
        let late = try cluster.peers[2].store()
        #expect(try late.keys("key-*").count == 300)
        #expect(try late.get("big")?.description.count == 20_002, "a value larger than a datagram arrives in fragments")
        await cluster.stopAll()
    }

    @Test func aCrashedPeerCatchesUpAfterRestartWithoutStartingOver() async throws {
        let cluster = SimulatedCluster(seed: 3, count: 3)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        try await cluster.write(on: cluster.peers[0]) { try await $0.set("before", 1) }
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)
        await cluster.advance(by: 1_000)  // lets progress reach disk
        await cluster.crash(cluster.peers[2])
        for index in 0..<50 {
            try await cluster.write(on: cluster.peers[index % 2]) {
                try await $0.set("while-down-\(index)", .integer(Int64(index)))
            }
        }
        await cluster.advance(by: 2_000)
        try await cluster.start(cluster.peers[2])
        #expect(try await cluster.runUntilConverged(limitMillis: 30_000) != nil)
        #expect(try cluster.peers[2].store().keys("while-down-*").count == 50)
        await cluster.stopAll()
    }

    @Test func aCutOffMemberShowsLagInSequenceNumbersAndTimeUntilItCatchesUp() async throws {
        let cluster = SimulatedCluster(seed: 5, count: 2)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        cluster.network.partition([[cluster.peers[0].address], [cluster.peers[1].address]])
        for index in 0..<5 { try await cluster.write(on: cluster.peers[0]) { try await $0.set("k\(index)", 1) } }
        await cluster.advance(by: 3_000)
        let behind = try #require(await cluster.peers[0].engine?.members().first)
        #expect(behind.lagSeq == 5)
        #expect(behind.lagMillis >= 2_500)
        cluster.network.heal()
        #expect(try await cluster.runUntilConverged(limitMillis: 20_000) != nil)
        await cluster.advance(by: 1_000)
        let caughtUp = try #require(await cluster.peers[0].engine?.members().first)
        #expect(caughtUp.lagSeq == 0 && caughtUp.lagMillis == 0)
        await cluster.stopAll()
    }

    @Test func staysConvergentUnderLossDuplicationReorderingPartitionsCrashesAndSkew() async throws {
        await propertyCheck(count: 30, input: Gen.uint64()) { seed in
            do {
                try await Self.chaos(seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    /// The simulator hands a host the datagrams arriving at the same millisecond together, so
    /// the chaos runs above exercise the engine's batch path (one transaction and one
    /// acknowledgement per sender per batch), as the UDP receive loop does in production.
    @Test func aBurstReachesPeersInBatchesAndConverges() async throws {
        let cluster = SimulatedCluster(seed: 11, count: 3)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        var entries: [String: JSONValue] = [:]
        for index in 0..<2_000 { entries["burst-\(index)"] = .integer(Int64(index)) }
        try await cluster.write(on: cluster.peers[0]) { store in try await store.mset(entries) }
        let took = try await cluster.runUntilConverged(limitMillis: 30_000, stepMillis: 50)
        #expect(took != nil, "a burst of 2,000 converges")
        #expect(cluster.network.batchedDeliveries > 0, "some deliveries carried several datagrams")
        #expect(try cluster.peers[2].store().keys("burst-*").count == 2_000)
        await cluster.stopAll()
    }

    /// A push lost on its way is re-sent after its acknowledgement timeout (about the round
    /// trip), not at the next round: the shell brings the next tick forward.
    @Test func aLostPushIsResentAfterItsTimeoutNotAtTheNextRound() async throws {
        var settings = SimulatedCluster.defaultSettings
        settings.replicator.roundInterval = .milliseconds(5_000)
        let cluster = SimulatedCluster(seed: 5, count: 2, settings: settings)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        // Round trips to measure: the timeout adapts down from its 1 s starting value.
        for index in 0..<20 {
            try await cluster.write(on: cluster.peers[0]) { store in try await store.set("warm-\(index)", .integer(1)) }
            await cluster.advance(by: 20)
        }
        cluster.network.faults.loss = 1
        try await cluster.write(on: cluster.peers[0]) { store in try await store.set("lost-once", .integer(1)) }
        await cluster.advance(by: 1)
        cluster.network.faults.loss = 0
        let waited =
            1
            + (try await cluster.advance(
                until: { try cluster.peers[1].store().get("lost-once") != nil }, limitMillis: 5_000, stepMillis: 5)
                ?? 5_000)
        #expect(waited < 200, "re-sent after \(waited) ms; the next round was 5 s away")
        await cluster.stopAll()
    }

    @Test func aSeedReplaysExactly() async throws {
        let first = try await Self.chaos(seed: 7)
        let second = try await Self.chaos(seed: 7)
        #expect(first == second)
        #expect(try await Self.chaos(seed: 8) != first)
    }

    /// The long soak, off by default: `STARLING_CHAOS_SEEDS=0-999 swift test --filter chaosSweep`
    /// runs the chaos scenario for every seed in the range and names each failing seed. Seeds
    /// ending in 33 or 83 run at 33 peers; about one in five of the others at 7 to 16.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["STARLING_CHAOS_SEEDS"] != nil))
    func chaosSweep() async throws {
        let range = ProcessInfo.processInfo.environment["STARLING_CHAOS_SEEDS"] ?? "0-0"
        let bounds = range.split(separator: "-").compactMap { UInt64($0) }
        for seed in (bounds.first ?? 0)...(bounds.last ?? 0) {
            try await Self.chaos(seed: seed, peers: seed % 50 == 33 ? 33 : nil)
        }
    }

    /// Regression seeds found by the property above, replayed exactly.
    /// 41: a delete on a peer whose clock was behind, concurrent with a set on one ahead: the set
    /// wins by stamp (first mistaken for a resurrection by the ledger).
    /// 37: a restarted peer that had not found its members yet took its own clock as the stable
    /// horizon, purged, and then dropped (and deleted everywhere) writes it had not yet received.
    @Test(arguments: [UInt64(0), 1, 37, 41, 42])
    func chaosRegressionSeeds(seed: UInt64) async throws {
        try await Self.chaos(seed: seed)
    }

    /// The chaos property at 33 peers, one seed, in the default suite: the cluster size the
    /// dissemination work must keep correct (bigger sizes belong to the soak).
    @Test func chaosAtThirtyThreePeers() async throws {
        try await Self.chaos(seed: 33, peers: 33)
    }

    /// A random workload with random faults, then healing: every peer must converge; every
    /// acknowledged write must be present unless superseded; counters count every acknowledged
    /// increment; deleted keys stay deleted.
    @discardableResult
    static func chaos(seed: UInt64, peers: Int? = nil) async throws -> String {
        var rng = SeededGenerator(seed: seed)
        // Mostly small clusters, sometimes up to 16 peers (or as many as the caller asks for).
        let drawn =
            Int.random(in: 0..<5, using: &rng) == 0
            ? Int.random(in: 7...16, using: &rng) : Int.random(in: 2...6, using: &rng)
        let count = peers ?? drawn
        var settings = SimulatedCluster.defaultSettings
        if Bool.random(using: &rng) {
            // Aggressive garbage collection: the ledger then checks it never costs a write.
            settings.tombstoneGrace = .milliseconds(2_000)
            settings.gcInterval = .milliseconds(1_000)
        }
        let cluster = SimulatedCluster(seed: seed, count: count, settings: settings)
        for peer in cluster.peers { peer.skewMillis = Int64.random(in: -2_000...2_000, using: &rng) }
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        var faults = SimulatedNetwork.Faults()
        faults.loss = Double.random(in: 0...0.3, using: &rng)
        faults.duplication = Double.random(in: 0...0.1, using: &rng)
        faults.delayMillis = 1...Int64.random(in: 2...80, using: &rng)
        cluster.network.faults = faults
        var ledger = WriteLedger()
        for step in 0..<60 {
            let peer = cluster.peers[Int.random(in: 0..<count, using: &rng)]
            if peer.node == nil {
                if Int.random(in: 0..<3, using: &rng) == 0 { try await cluster.start(peer) }
            } else {
                try await ledger.randomWrite(on: peer, in: cluster, step: step, using: &rng)
            }
            switch Int.random(in: 0..<20, using: &rng) {
            case 0 where count > 2:
                let cut = Int.random(in: 1..<count, using: &rng)
                cluster.network.partition([
                    Array(cluster.peers[..<cut].map(\.address)), Array(cluster.peers[cut...].map(\.address)),
                ])
            case 1:
                cluster.network.heal()
            case 2 where count > 2:
                let victim = cluster.peers[Int.random(in: 0..<count, using: &rng)]
                if victim.node != nil { await cluster.crash(victim) }
            default:
                break
            }
            await cluster.advance(by: Int64.random(in: 10...400, using: &rng))
        }
        cluster.network.heal()
        cluster.network.faults = SimulatedNetwork.Faults()
        for peer in cluster.peers where peer.node == nil { try await cluster.start(peer) }
        let took = try await cluster.runUntilConverged(limitMillis: 120_000)
        let digests = try cluster.digests()
        #expect(took != nil, "seed \(seed): peers did not converge within 120 s of healing: \(digests)")
        for peer in cluster.peers {
            try ledger.check(try peer.store(), seed: seed, peer: peer.index)
        }
        if ProcessInfo.processInfo.environment["STARLING_DEBUG"] != nil {
            for peer in cluster.peers {
                let stats = await peer.engine!.statistics
                print(
                    "DEBUG peer \(peer.index) stale=\(stats.staleWritesDropped) purged=\(stats.tombstonesPurged) horizon=\(String(describing: peer.node!.purgeHorizon))"
                )
            }
        }
        let fingerprint = try cluster.fingerprint()
        await cluster.stopAll()
        return fingerprint
    }
}

/// What the workload was told succeeded, to check after convergence.
struct WriteLedger {
    /// Acknowledged versions per plain key (never incremented, never deleted).
    var setVersions: [String: [String]] = [:]
    /// Acknowledged increments per counter key (only ever incremented).
    var increments: [String: Int64] = [:]
    /// Deleted keys (never written again) with the version of their tombstone.
    var deleted: [String: String] = [:]

    mutating func randomWrite(
        on peer: SimulatedCluster.Peer, in cluster: SimulatedCluster, step: Int, using rng: inout SeededGenerator
    ) async throws {
        switch Int.random(in: 0..<5, using: &rng) {
        case 4:
            // Keys with a TTL: only convergence is checked for them.
            let key = "t\(Int.random(in: 0..<4, using: &rng))"
            let ttl = Int64.random(in: 1...3, using: &rng)
            try await cluster.write(on: peer) { try await $0.set(key, .integer(Int64(step)), ttl: ttl) }
        case 0, 1:
            let key = "k\(Int.random(in: 0..<8, using: &rng))"
            let entry = try await cluster.write(on: peer) { try await $0.put(key, .integer(Int64(step))) }
            setVersions[key, default: []].append(entry.version)
        case 2:
            let key = "c\(Int.random(in: 0..<3, using: &rng))"
            let amount = Int64.random(in: 1...5, using: &rng)
            _ = try await cluster.write(on: peer) { try await $0.incr(key, by: amount) }
            increments[key, default: 0] += amount
        default:
            let key = "d\(Int.random(in: 0..<4, using: &rng))"
            if deleted[key] != nil { return }
            if Bool.random(using: &rng) {
                try await cluster.write(on: peer) { try await $0.set(key, "doomed") }
            } else {
                try await cluster.write(on: peer) { try await $0.delete(key) }
                // The tombstone is the change the delete just committed.
                guard let node = peer.node, let tombstone = try node.changes(after: node.lastSeq - 1, limit: 1).first
                else { return }
                deleted[key] = tombstone.register.stamp.version
            }
        }
    }

    func check(_ store: Store, seed: UInt64, peer: Int) throws {
        for (key, versions) in setVersions {
            let entry = try store.entry(key)
            let newest = versions.max() ?? ""
            #expect(entry != nil && entry!.version >= newest, "seed \(seed) peer \(peer): \(key) lost write \(newest)")
        }
        for (key, total) in increments {
            #expect(
                try store.get(key) == .integer(total), "seed \(seed) peer \(peer): counter \(key) should be \(total)")
        }
        // A deleted key stays deleted unless a write stamped later (a concurrent one, on a peer
        // whose clock ran ahead) supersedes the tombstone: nothing older resurrects it.
        for (key, tombstone) in deleted {
            let survivor = try store.entry(key)
            #expect(
                survivor == nil || survivor!.version > tombstone, "seed \(seed) peer \(peer): deleted \(key) came back")
        }
    }
}
