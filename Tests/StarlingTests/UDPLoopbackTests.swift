import Crypto
import Foundation
import NIOCore
import NIOPosix
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Real peers on real UDP sockets on 127.0.0.1.
@Suite(.serialized, .showsLogsOnFailure) struct UDPLoopbackTests {
    /// A running peer: its node, its replication and its directory.
    final class LivePeer: Sendable {
        let node: Node
        let replication: UDPReplication
        let directory: TemporaryDirectory

        init(node: Node, replication: UDPReplication, directory: TemporaryDirectory) {
            self.node = node
            self.replication = replication
            self.directory = directory
        }

        static func start(
            seeds: [PeerAddress] = [], directory: TemporaryDirectory = TemporaryDirectory(),
            keyring: ClusterKeyring? = nil,
            port: UInt16 = 0
        ) async throws -> LivePeer {
            let node = try Node.open(directory: directory.path, logger: TestNode.quietLogger)
            var settings = ReplicationEngine.Settings()
            settings.bind = PeerAddress(host: "127.0.0.1", port: port)
            settings.seeds = seeds
            settings.keyring = keyring
            settings.membership.probeInterval = .milliseconds(200)
            settings.replicator.roundInterval = .milliseconds(50)
            let replication = try await UDPReplication.start(
                node: node, settings: settings, logger: TestNode.quietLogger)
            return LivePeer(node: node, replication: replication, directory: directory)
        }

        var address: PeerAddress { replication.boundAddress }
        func store() throws -> Store { try node.store("default") }

        func stop(removing: Bool = true) async {
            await replication.stop()
            await node.close()
            if removing { directory.remove() }
        }
    }

    @Test func threePeersInOneProcessReplicateEveryWrite() async throws {
        let a = try await LivePeer.start()
        let b = try await LivePeer.start(seeds: [a.address])
        let c = try await LivePeer.start(seeds: [a.address])
        try await a.store().set("from-a", 1)
        try await b.store().set("from-b", 2)
        _ = try await c.store().incr("hits")
        _ = try await a.store().incr("hits")
        let peers = [a, b, c]
        let converged = try await eventually {
            try peers.allSatisfy { peer in
                let store = try peer.store()
                return try store.get("from-a") == 1 && store.get("from-b") == 2 && store.get("hits") == 2
            }
        }
        #expect(converged)
        for peer in peers { await peer.stop() }
    }

    @Test func aSecondPeerOnAGossipPortInUseIsRefused() async throws {
        let a = try await LivePeer.start()
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let node = try Node.open(directory: directory.path, logger: TestNode.quietLogger)
        var settings = ReplicationEngine.Settings()
        settings.bind = a.address
        let error = await #expect(throws: StoreError.self) {
            try await UDPReplication.start(node: node, settings: settings, logger: TestNode.quietLogger)
        }
        #expect(error?.kind == .unavailable)
        await node.close()
        await a.stop()
    }

    @Test func aPeerThatWasDownCatchesUpAfterRestart() async throws {
        let a = try await LivePeer.start()
        var b = try await LivePeer.start(seeds: [a.address])
        try await a.store().set("first", 1)
        #expect(try await eventually { try b.store().get("first") == 1 })
        let bDirectory = b.directory
        let bPort = b.address.port
        await b.stop(removing: false)
        for index in 0..<200 { try await a.store().set("while-down-\(index)", .integer(Int64(index))) }
        b = try await LivePeer.start(seeds: [a.address], directory: bDirectory, port: bPort)
        #expect(try await eventually { try b.store().keys("while-down-*").count == 200 })
        await b.stop()
        await a.stop()
    }

    @Test func randomAndMutatedDatagramsCrashNothingAndChangeNothing() async throws {
        let a = try await LivePeer.start()
        try await a.store().set("k", "v")
        let before = try a.node.stateDigest(at: 0)
        let sender = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let target = try SocketAddress(ipAddress: "127.0.0.1", port: Int(a.address.port))
        var rng = SeededGenerator(seed: 0xF00D)
        var valid = ByteBuffer()
        valid.writeStarlingEnvelope(
            Envelope(
                clusterID: ReplicationEngine.Settings().clusterID, sender: NodeID(rawValue: 99),
                message: .deltaAck(DeltaAck(through: 5))))
        let template = Array(valid.readableBytesView)
        for index in 0..<10_000 {
            var bytes: [UInt8]
            if index % 2 == 0 {
                bytes = (0..<Int.random(in: 0...1_200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            } else {
                bytes = template
                for _ in 0..<Int.random(in: 1...4, using: &rng) {
                    let position = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[position] = UInt8.random(in: 0...255, using: &rng)
                }
                if Bool.random(using: &rng) {
                    bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng)))
                }
            }
            var buffer = sender.allocator.buffer(capacity: bytes.count)
            buffer.writeBytes(bytes)
            try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: buffer)).get()
        }
        let received = await eventually { await a.replication.engine.statistics.datagramsReceived >= 9_000 }
        #expect(received, "most datagrams arrived on loopback")
        #expect(try a.node.stateDigest(at: 0) == before, "no datagram changed the store")
        #expect(try a.store().get("k") == "v")
        let statistics = await a.replication.engine.statistics
        #expect(statistics.dropped.values.reduce(0, +) > 0)
        try await sender.close()
        await a.stop()
    }

    @Test func aPeerWithTheWrongClusterKeyGetsNothingInAndIsCounted() async throws {
        let key = ClusterKeyring(primary: SymmetricKey(size: .bits256))
        let wrong = ClusterKeyring(primary: SymmetricKey(size: .bits256))
        let a = try await LivePeer.start(keyring: key)
        let intruder = try await LivePeer.start(seeds: [a.address], keyring: wrong)
        let plain = try await LivePeer.start(seeds: [a.address], keyring: nil)
        try await intruder.store().set("intruder", 1)
        try await plain.store().set("plain", 1)
        let counted = await eventually {
            let dropped = await a.replication.engine.statistics.dropped
            return dropped.keys.count >= 2
        }
        let dropped = await a.replication.engine.statistics.dropped
        let members = await a.replication.engine.members()
        #expect(counted, "both kinds of bad datagrams were counted: \(dropped)")
        #expect(try a.store().keys().isEmpty, "nothing got in")
        #expect(members.isEmpty)
        for peer in [a, intruder, plain] { await peer.stop() }
    }

    @Test func peersWithTheSameKeyReplicateAndRotationKeepsThemTalking() async throws {
        let old = SymmetricKey(size: .bits256)
        let new = SymmetricKey(size: .bits256)
        let a = try await LivePeer.start(keyring: ClusterKeyring(primary: old, others: [new]))
        let b = try await LivePeer.start(seeds: [a.address], keyring: ClusterKeyring(primary: new, others: [old]))
        try await a.store().set("secret", "shared")
        #expect(try await eventually { try b.store().get("secret") == "shared" })
        await b.stop()
        await a.stop()
    }
}
