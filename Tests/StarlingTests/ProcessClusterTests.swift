import Foundation
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Peers as separate `starling serve` processes, replicating with an in-process peer.
@Suite(.serialized, .showsLogsOnFailure) struct ProcessClusterTests {
    /// Starts `starling serve` on a loopback gossip port and returns it with its address.
    static func serve(_ directory: TemporaryDirectory, join: [PeerAddress]) throws -> (ChildProcess, PeerAddress) {
        var arguments = [
            "serve", "--data-dir", directory.path, "--gossip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--resp",
            "127.0.0.1:0",
        ]
        for seed in join { arguments += ["--join", seed.description] }
        let process = try ChildProcess(Fixtures.starlingExecutable, arguments)
        guard let line = process.waitForLine(where: { $0.contains("gossip on ") }),
            let text = line.components(separatedBy: "gossip on ").last?.components(separatedBy: ";").first,
            let address = PeerAddress(parsing: text)
        else {
            process.kill()
            throw StoreError.internal("starling serve did not start: \(process.outputLines)")
        }
        return (process, address)
    }

    /// Waits until `members` members are alive and every one holds every write `peer` has made:
    /// the stable horizon, aggregated along the dissemination tree, passed `peer`'s clock. (Lag
    /// is only measured to tree neighbours; the horizon covers every member.)
    static func caughtUp(_ peer: UDPLoopbackTests.LivePeer, members: Int) async -> Bool {
        let clock = peer.node.committedPosition.clock
        return await eventually(timeout: .seconds(30)) {
            let snapshot = await peer.replication.engine.members()
            let horizon = await peer.replication.engine.stableHorizon()
            return snapshot.count == members && snapshot.allSatisfy { $0.update.status == .alive } && horizon > clock
        }
    }

    static func keys(in directory: TemporaryDirectory) async throws -> [String] {
        let node = try Node.open(directory: directory.path, logger: TestNode.quietLogger)
        let keys = try node.store("default").keys()
        await node.close()
        return keys
    }

    @Test func serveProcessesReplicateStopCleanlyAndCatchUpAfterRestart() async throws {
        let dirA = TemporaryDirectory()
        let dirB = TemporaryDirectory()
        defer {
            dirA.remove()
            dirB.remove()
        }
        var (a, addressA) = try Self.serve(dirA, join: [])
        var (b, _) = try Self.serve(dirB, join: [addressA])
        let local = try await UDPLoopbackTests.LivePeer.start(seeds: [addressA])
        for index in 0..<100 { try await local.store().set("first-\(index)", .integer(Int64(index))) }
        #expect(await Self.caughtUp(local, members: 2), "both processes acknowledged every write")

        // SIGTERM: both leave cleanly, and their data directories hold every write.
        a.kill(SIGTERM)
        b.kill(SIGTERM)
        #expect(try await Self.keys(in: dirA).count == 100)
        #expect(try await Self.keys(in: dirB).count == 100)

        // While they are down the in-process peer keeps writing; restarted, they catch up.
        for index in 0..<50 { try await local.store().set("later-\(index)", .integer(Int64(index))) }
        (a, addressA) = try Self.serve(dirA, join: [local.address])
        (b, _) = try Self.serve(dirB, join: [local.address])
        #expect(await Self.caughtUp(local, members: 2), "restarted processes caught up")
        a.kill(SIGTERM)
        b.kill(SIGTERM)
        #expect(try await Self.keys(in: dirA).count == 150)
        #expect(try await Self.keys(in: dirB).count == 150)
        await local.stop()
    }
}
