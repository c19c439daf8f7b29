import Foundation
import Starling
import StarlingCore

/// How dissemination scales with the cluster, in simulated time: N simulated peers join, one
/// writes a burst of new keys, and simulated time runs until every peer holds them all. The
/// dissemination study (`starling-bench simulate`) and the scale tests run it; a run replays
/// exactly from its seed, and no wall-clock time enters any figure.
package struct BurstStudy: Sendable {
    /// What one run measured.
    package struct Result: Sendable, Codable, Hashable {
        package var peers: Int
        package var burst: Int
        package var loss: Double
        package var seed: UInt64
        /// Simulated milliseconds until every peer saw every other alive; nil if it did not.
        package var joinMillis: Int64?
        /// At the end of the join: the fewest other members one peer saw alive, and how many
        /// peers saw some member not alive (suspect, dead or left).
        package var leastSeenAlive = 0
        package var peersSeeingFailures = 0
        /// Simulated milliseconds from the burst until every peer held it; nil if it did not.
        package var convergeMillis: Int64?
        /// `convergeMillis` in round intervals, rounded up.
        package var rounds: Int?
        /// Edges from the writer to the farthest peer in its dissemination tree.
        package var hops = 0
        /// Bytes every peer sent, together, from the burst to convergence, per receiving peer
        /// (all but the writer) per write: what one peer costs the cluster for each write.
        package var bytesPerPeerPerWrite = 0.0
        /// Datagrams likewise.
        package var datagramsPerPeerPerWrite = 0.0
        /// The largest backlog of one peer to one neighbour (sequence numbers not yet
        /// acknowledged) seen while the burst spread.
        package var peakBacklog: Int64 = 0
    }

    package let peers: Int
    package let burst: Int
    package let loss: Double
    package let deadlineMillis: Int64
    package let seed: UInt64

    /// - Parameters:
    ///   - loss: the probability that a datagram is lost, 0 to 1.
    ///   - deadlineMillis: simulated time the join, and then the convergence, may take.
    package init(peers: Int, burst: Int, loss: Double = 0, deadlineMillis: Int64 = 600_000, seed: UInt64) {
        self.peers = peers
        self.burst = burst
        self.loss = loss
        self.deadlineMillis = deadlineMillis
        self.seed = seed
    }

    /// Simulated time between two checks while the burst spreads.
    static let stepMillis: Int64 = 10

    /// The key of the burst's write `index`.
    package static func key(_ index: Int) -> String { "burst-\(index)" }

    /// The value of every write: a string encoding to 100 bytes, as `bench cluster` writes.
    static let value = JSONValue.string(String(repeating: "v", count: 98))

    /// Runs the study: join, burst (msets of 100 at peer 0), converge, count.
    package func run() async throws -> Result {
        let cluster = SimulatedCluster(seed: seed, count: peers)
        cluster.network.faults.loss = loss
        try await cluster.startAll()
        var result = Result(peers: peers, burst: burst, loss: loss, seed: seed)
        let joinStart = cluster.network.now
        let joined = await cluster.advance(
            until: {
                let view = await everyoneSeesEveryone(cluster)
                (result.leastSeenAlive, result.peersSeeingFailures) = (view.least, view.failing)
                return view.done
            }, limitMillis: deadlineMillis, stepMillis: 100)
        guard joined != nil else {
            await cluster.stopAll()
            return result
        }
        result.joinMillis = cluster.network.now - joinStart
        // Let the join's own traffic (first heartbeats and claims) die down before counting.
        await cluster.advance(by: 2_000)
        let before = await traffic(cluster)
        let writer = cluster.peers[0]
        for start in stride(from: 0, to: burst, by: 100) {
            var entries: [String: JSONValue] = [:]
            for index in start..<min(burst, start + 100) { entries[Self.key(index)] = Self.value }
            try await cluster.write(on: writer) { try await $0.mset(entries) }
        }
        let burstStart = cluster.network.now
        var pending = Set(cluster.peers.indices)
        var peakBacklog: Int64 = 0
        let converged = try await cluster.advance(
            until: {
                for peer in cluster.peers {
                    for member in await peer.engine?.members() ?? [] { peakBacklog = max(peakBacklog, member.lagSeq) }
                }
                for index in pending where try cluster.peers[index].store().keys("burst-*").count == burst {
                    pending.remove(index)
                }
                return pending.isEmpty
            }, limitMillis: deadlineMillis, stepMillis: Self.stepMillis)
        if converged != nil {
            let took = cluster.network.now - burstStart
            let round = cluster.settings.replicator.roundInterval.wholeMilliseconds
            result.convergeMillis = took
            result.rounds = Int((took + round - 1) / round)
        }
        let after = await traffic(cluster)
        let perPeerWrites = Double(burst) * Double(max(1, peers - 1))
        result.bytesPerPeerPerWrite = Double(after.bytes - before.bytes) / perPeerWrites
        result.datagramsPerPeerPerWrite = Double(after.datagrams - before.datagrams) / perPeerWrites
        result.peakBacklog = peakBacklog
        if let tree = await writer.engine?.disseminationTree, let origin = writer.node?.id {
            result.hops = tree.eccentricity(of: origin)
        }
        await cluster.stopAll()
        return result
    }

    /// Whether every peer sees every other alive, with how far from it the cluster is.
    private func everyoneSeesEveryone(_ cluster: SimulatedCluster) async -> (done: Bool, least: Int, failing: Int) {
        var least = Int.max
        var failing = 0
        for peer in cluster.peers {
            let members = await peer.engine?.members() ?? []
            let alive = members.count { $0.update.status == .alive }
            least = min(least, alive)
            if alive < members.count { failing += 1 }
        }
        return (least == peers - 1 && failing == 0, least, failing)
    }

    /// Bytes and datagrams every peer has sent so far, together.
    private func traffic(_ cluster: SimulatedCluster) async -> (bytes: Int, datagrams: Int) {
        var total = (bytes: 0, datagrams: 0)
        for peer in cluster.peers {
            guard let statistics = await peer.engine?.statistics else { continue }
            total.bytes += statistics.bytesSent
            total.datagrams += statistics.datagramsSent
        }
        return total
    }
}
