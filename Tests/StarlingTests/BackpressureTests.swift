import StarlingTestKit
import Testing

@testable import Starling
@testable import StarlingCore

/// Replication's backpressure on local writers: a write waits, bounded, while a member that
/// counts is far behind, and then proceeds; members that are not alive and acknowledging never
/// slow anyone.
@Suite(.showsLogsOnFailure, .timeLimit(.minutes(1))) struct BackpressureTests {
    @Test func writesWithinTheBoundOrWithoutOneNeverWait() async {
        let gate = WriteBackpressure(node: "test")
        gate.update(backlog: 1_000_000)
        await gate.admit()  // no bound: replication is not running
        gate.configure(maxBacklog: 10, maxWait: .seconds(60))
        gate.update(backlog: 10)
        await gate.admit()
        #expect(gate.status.delayedWrites == 0)
    }

    @Test func aWriteOverTheBoundWaitsUntilTheBacklogComesDown() async throws {
        let gate = WriteBackpressure(node: "test")
        gate.configure(maxBacklog: 10, maxWait: .seconds(60))
        gate.update(backlog: 11)
        let write = Task { await gate.admit() }
        #expect(await eventually { gate.status.delayedWrites == 1 })
        gate.update(backlog: 10)
        await write.value  // well before the 60 s wait: released by the backlog coming down
        #expect(gate.status.timedOutWaits == 0)
    }

    @Test func aWaitEndsAfterTheLongestWaitAndTheWriteProceeds() async {
        let gate = WriteBackpressure(node: "test")
        gate.configure(maxBacklog: 1, maxWait: .milliseconds(10))
        gate.update(backlog: 100)
        await gate.admit()
        #expect(gate.status.delayedWrites == 1 && gate.status.timedOutWaits == 1)
    }

    @Test func replicationStoppingReleasesEveryWaitingWrite() async {
        let gate = WriteBackpressure(node: "test")
        gate.configure(maxBacklog: 1, maxWait: .seconds(60))
        gate.update(backlog: 5)
        let writes = (0..<3).map { _ in Task { await gate.admit() } }
        #expect(await eventually { gate.status.delayedWrites == 3 })
        gate.configure(maxBacklog: nil, maxWait: .zero)
        for write in writes { await write.value }
        #expect(gate.status.timedOutWaits == 0)
    }

    @Test func aStoreWriteWaitsBeforeItIsWrittenAndIsDurableAfter() async throws {
        try await TestNode.with { node, store, _ async throws in
            node.backpressure.configure(maxBacklog: 1, maxWait: .seconds(60))
            node.backpressure.update(backlog: 2)
            let write = Task { try await store.set("k", "v") }
            #expect(await eventually { node.backpressure.status.delayedWrites == 1 })
            #expect(try store.get("k") == nil, "the write waits before it is written")
            node.backpressure.update(backlog: 0)
            #expect(try await write.value)
            #expect(try store.get("k") == "v")
        }
    }

    @Test func aMemberCatchingUpCountsOnlyOnceItWasWithinTheBoundSinceItBecameAlive() {
        let id = NodeID(rawValue: 1)
        var progress = Replicator.MemberProgress(acked: 0, received: 0, ackTimeoutMillis: 1_000)
        progress.lastAckMillis = 1_000
        var caughtUp: Set<NodeID> = []
        func backlog(head: Int64, _ status: MemberStatus) -> Int64 {
            ReplicationEngine.backlog(
                head: head, progress: [id: progress], status: { _ in status }, nowMillis: 1_000,
                responsiveWithinMillis: 2_000, bound: 500, caughtUp: &caughtUp)
        }
        #expect(backlog(head: 100_000, .alive) == 0, "bootstrapping: it never was within the bound")
        progress.acked = 99_600
        #expect(backlog(head: 100_000, .alive) == 400, "within the bound: it counts from now on")
        #expect(backlog(head: 101_000, .alive) == 1_400, "and slows writers once it falls behind again")
        #expect(backlog(head: 101_000, .suspect) == 0)
        #expect(backlog(head: 101_000, .alive) == 0, "back from suspicion: it must catch up first")
    }

    @Test func onlyAliveMembersThatAcknowledgeRecentlyCount() {
        func member(_ n: UInt64, _ status: MemberStatus) -> MemberUpdate {
            MemberUpdate(
                id: NodeID(rawValue: n), address: PeerAddress(host: "10.0.0.\(n)", port: 7946), incarnation: 0,
                status: status)
        }
        func progress(acked: Int64, lastAck: Int64?) -> Replicator.MemberProgress {
            var progress = Replicator.MemberProgress(acked: acked, received: 0, ackTimeoutMillis: 1_000)
            progress.lastAckMillis = lastAck
            return progress
        }
        let now: Int64 = 100_000
        let members = [
            member(1, .alive), member(2, .alive), member(3, .suspect), member(4, .dead), member(5, .left),
            member(6, .alive), member(7, .alive),
        ]
        let progress: [NodeID: Replicator.MemberProgress] = [
            NodeID(rawValue: 1): progress(acked: 900, lastAck: now - 100),  // lacks 100: counts
            NodeID(rawValue: 2): progress(acked: 400, lastAck: now - 5_000),  // quiet: partitioned away?
            NodeID(rawValue: 3): progress(acked: 0, lastAck: now),  // suspect
            NodeID(rawValue: 4): progress(acked: 0, lastAck: now),  // dead
            NodeID(rawValue: 5): progress(acked: 0, lastAck: now),  // left
            NodeID(rawValue: 6): progress(acked: 0, lastAck: nil),  // never acknowledged: bootstrapping
            // 7: no progress at all yet
        ]
        let status = Dictionary(uniqueKeysWithValues: members.map { ($0.id, $0.status) })
        func backlog(_ status: @escaping (NodeID) -> MemberStatus?, caughtUp: inout Set<NodeID>) -> Int64 {
            ReplicationEngine.backlog(
                head: 1_000, progress: progress, status: status, nowMillis: now, responsiveWithinMillis: 2_000,
                bound: 500, caughtUp: &caughtUp)
        }
        var caughtUp: Set<NodeID> = []
        #expect(backlog({ status[$0] }, caughtUp: &caughtUp) == 100)
        var none: Set<NodeID> = []
        #expect(backlog({ _ in nil }, caughtUp: &none) == 0, "members the membership no longer knows count for nothing")
    }
}
