import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Backpressure through real engines over the simulated network: a member cut off from the
/// writer stops counting (so offline and partitioned writes keep their speed), and counts again
/// only once it has caught up after the partition heals.
@Suite(.showsLogsOnFailure, .timeLimit(.minutes(1))) struct BackpressureSimulationTests {
    @Test func aMemberCutOffNeverSlowsTheWriterAndCountsAgainOnlyOnceCaughtUp() async throws {
        var settings = SimulatedCluster.defaultSettings
        settings.backpressure.maxBacklog = 100
        settings.backpressure.maxWait = .seconds(5)  // real time: a write that waited would show
        let cluster = SimulatedCluster(seed: 21, count: 3, settings: settings)
        try await cluster.startAll()
        await cluster.advance(by: 2_000)
        let writer = cluster.peers[0]
        let node = try #require(writer.node)
        func write(_ prefix: String, _ count: Int) async throws {
            try await cluster.write(on: writer) { store in
                for index in 0..<count { try await store.set("\(prefix)\(index)", .integer(Int64(index))) }
            }
            await cluster.advance(by: 100)
        }
        try await write("before-", 50)
        #expect(try await cluster.runUntilConverged(limitMillis: 10_000) != nil)

        // Just cut off, the member still counts: it acknowledged a moment ago and is alive.
        cluster.network.partition([[writer.address, cluster.peers[1].address], [cluster.peers[2].address]])
        try await write("cut-", 60)
        try await write("cut-more-", 60)
        #expect(node.backpressure.status.backlog >= 120, "the cut-off member lacks both chunks")

        // Once it has gone quiet (and suspect), it no longer counts, and writes do not wait.
        await cluster.advance(by: 5_000)
        #expect(node.backpressure.status.backlog < 100)
        for chunk in 0..<5 { try await write("offline-\(chunk)-", 60) }
        #expect(node.backpressure.status.delayedWrites == 0)

        // Healed: it is alive again but far behind, so it catches up without slowing anyone...
        cluster.network.heal()
        #expect(try await cluster.runUntilConverged(limitMillis: 30_000) != nil)
        #expect(node.backpressure.status.delayedWrites == 0)
        // ...and counts again now that it has caught up.
        #expect(node.backpressure.status.backlog == 0)
        await cluster.stopAll()
    }
}
