import Foundation
import Logging
import NIOCore
import NIOPosix
import StarlingCore
import StarlingTestKit
import Synchronization
import Testing

@testable import Starling

/// What a hostile network can send a peer: replayed sealed datagrams, forged member addresses,
/// datagrams sealed with the wrong key. Each test reproduces a report and fails without its fix.
@Suite(.showsLogsOnFailure) struct HostileGossipTests {
    /// Records what the engine sends.
    final class Recorder: DatagramTransport, Sendable {
        private let sent = Mutex<[Datagram]>([])
        var datagrams: [Datagram] { sent.withLock { $0 } }
        var bytes: Int { datagrams.reduce(0) { $0 + $1.bytes.readableBytes } }

        func send(_ datagram: ByteBuffer, to address: PeerAddress) async {
            sent.withLock { $0.append(Datagram(datagram, address: address)) }
        }
    }

    struct NoTimers: TickScheduler {
        func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void) {}
    }

    static let attacker = (id: NodeID(rawValue: 0xBAD), address: PeerAddress(host: "127.0.0.9", port: 7946))

    func engine(
        _ node: Node, _ transport: Recorder, keyring: ClusterKeyring? = nil, logger: Logger = TestNode.quietLogger
    ) async throws -> ReplicationEngine {
        var settings = ReplicationEngine.Settings()
        settings.keyring = keyring
        let engine = try ReplicationEngine(
            node: node, settings: settings, address: PeerAddress(host: "127.0.0.1", port: 7946), transport: transport,
            scheduler: NoTimers(), randomSeed: 1, logger: logger)
        await engine.start()
        return engine
    }

    func envelope(_ message: Message, from sender: NodeID = attacker.id) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(
            Envelope(clusterID: ReplicationEngine.Settings().clusterID, sender: sender, message: message))
        return buffer
    }

    @Test("replayed sealed datagrams are dropped, and one digest is answered with at most one window of repair")
    func replaysAreDroppedAndAnswersAreBounded() async throws {
        try await TestNode.with { node, store, _ in
            // Much more state than one answer may carry: 2,000 values of 200 bytes.
            for chunk in stride(from: 0, to: 2_000, by: 500) {
                var entries: [String: JSONValue] = [:]
                for index in chunk..<(chunk + 500) {
                    entries["key-\(index)"] = .string(String(repeating: "v", count: 200))
                }
                try await store.mset(entries)
            }
            let keyring = TestClusterKey.keyring()
            let transport = Recorder()
            let engine = try await engine(node, transport, keyring: keyring)
            // A key holder sends digests of an empty state; the first ones are deferred (it is
            // behind), the fourth is answered. Each is sealed afresh: new counters.
            let peer = DatagramSealer(keyring: keyring, sender: Self.attacker.id, session: 1)
            let digest = envelope(.digest(Digest(hashes: Array(repeating: 0, count: 64), reply: true)))
            for _ in 0..<3 { await engine.receive([Datagram(peer.seal(digest), address: Self.attacker.address)]) }
            let before = transport.bytes
            let answered = peer.seal(digest)
            await engine.receive([Datagram(answered, address: Self.attacker.address)])
            let answer = transport.bytes - before
            #expect(answer > 0, "the digest was answered with repairs")
            // Bounded: one window of deltas and the digest reply, not the 400 KB of state.
            let bound =
                ReplicationEngine.Settings().replicator.window * ReplicationEngine.Settings().maxDatagram + 2 * 1_200
            #expect(answer <= bound, "answered \(answer) bytes, bound \(bound)")
            #expect(answer / answered.readableBytes <= 160, "amplification \(answer / answered.readableBytes)x")
            #expect(await engine.statistics.repairEntriesDeferred > 0)
            // The same datagram replayed 50 times: dropped and counted, nothing more sent.
            let sentBeforeReplays = transport.bytes
            for _ in 0..<50 { await engine.receive([Datagram(answered, address: Self.attacker.address)]) }
            #expect(transport.bytes == sentBeforeReplays)
            #expect(await engine.statistics.dropped["replayed"] == 50)
        }
    }

    @Test("a datagram whose sealed header and envelope name different senders is dropped")
    func senderMismatchIsDropped() async throws {
        try await TestNode.with { node, _, _ in
            let keyring = TestClusterKey.keyring()
            let engine = try await engine(node, Recorder(), keyring: keyring)
            let sealer = DatagramSealer(keyring: keyring, sender: NodeID(rawValue: 0x1), session: 1)
            let ping = Ping(probeID: 1, senderAddress: Self.attacker.address, senderIncarnation: 0, gossip: [])
            await engine.receive([Datagram(sealer.seal(envelope(.ping(ping))), address: Self.attacker.address)])
            #expect(await engine.statistics.dropped["senderMismatch"] == 1)
            #expect(await engine.members().isEmpty)
        }
    }

    @Test("forged pings announcing a member on a host name are refused and counted; nothing is sent to it")
    func namesFromTheWireAreRefused() async throws {
        try await TestNode.with { node, _, _ in
            let transport = Recorder()
            let engine = try await engine(node, transport)
            let forged = MemberUpdate(
                id: NodeID(rawValue: 0xF00), address: PeerAddress(host: "nxhost.zz", port: 7946), incarnation: 1,
                status: .alive)
            for probe in 1...6 {
                let ping = Ping(
                    probeID: UInt64(probe), senderAddress: Self.attacker.address, senderIncarnation: 0, gossip: [forged]
                )
                await engine.receive([Datagram(envelope(.ping(ping)), address: Self.attacker.address)])
            }
            #expect(await engine.statistics.dropped["hostName"] == 6)
            #expect(await engine.members().allSatisfy { $0.update.address.isNumeric })
            #expect(transport.datagrams.allSatisfy { $0.address.isNumeric })
        }
    }

    @Test("a wrongly keyed peer is named in a rate-limited warning")
    func wrongKeysAreLoggedRateLimited() async throws {
        try await TestNode.with { node, _, clock in
            let logs = CapturedLogs()
            let engine = try await engine(node, Recorder(), keyring: TestClusterKey.keyring(), logger: logs.logger())
            let stranger = DatagramSealer(keyring: TestClusterKey.keyring(), sender: Self.attacker.id, session: 1)
            let ping = Ping(probeID: 1, senderAddress: Self.attacker.address, senderIncarnation: 0, gossip: [])
            for _ in 0..<20 {
                await engine.receive([Datagram(stranger.seal(envelope(.ping(ping))), address: Self.attacker.address)])
            }
            var warnings = logs.at(.warning).filter { $0.metadata["reason"] == "unknownKey" }
            #expect(warnings.count == 1, "one warning for 20 drops within the interval")
            #expect(warnings.first?.metadata["from"] == "\(Self.attacker.address)")
            #expect(await engine.statistics.dropped["unknownKey"] == 20)
            clock.advance(by: 10_000)
            await engine.receive([Datagram(stranger.seal(envelope(.ping(ping))), address: Self.attacker.address)])
            warnings = logs.at(.warning).filter { $0.metadata["reason"] == "unknownKey" }
            #expect(warnings.count == 2)
            #expect(warnings.last?.metadata["unlogged_since_last"] == "19")
        }
    }

    /// Resolves names from a fixed table and records every call.
    final class StubResolver: HostResolver {
        private let calls = Mutex<[String]>([])
        var hosts: [String] { calls.withLock { $0 } }

        func resolve(_ address: PeerAddress) async throws -> [PeerAddress] {
            calls.withLock { $0.append(address.host) }
            guard address.host == "seed.test" else { throw CancellationError() }
            return [PeerAddress(host: "127.0.0.1", port: address.port)]
        }
    }

    @Test("over real UDP: only configured names are resolved; forged names never reach the resolver")
    func onlyConfiguredNamesAreResolved() async throws {
        try await TestNode.with { node, _, _ in
            let resolver = StubResolver()
            var settings = ReplicationEngine.Settings()
            settings.bind = PeerAddress(host: "127.0.0.1", port: 0)
            settings.seeds = [PeerAddress(host: "seed.test", port: 1)]
            let replication = try await UDPReplication.start(
                node: node, settings: settings, logger: TestNode.quietLogger, inboundFilter: nil, resolver: resolver)
            #expect(resolver.hosts == ["seed.test"])
            // Six pings announcing a member on a name, as a hostile host would send them.
            let sender = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(host: "127.0.0.1", port: 0).get()
            let target = try SocketAddress(ipAddress: "127.0.0.1", port: Int(replication.boundAddress.port))
            for probe in 1...6 {
                let forged = MemberUpdate(
                    id: NodeID(rawValue: 0xF00 + UInt64(probe)), address: PeerAddress(host: "nxhost.zz", port: 7946),
                    incarnation: 1, status: .alive)
                let ping = Ping(
                    probeID: UInt64(probe), senderAddress: Self.attacker.address, senderIncarnation: 0, gossip: [forged]
                )
                try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: target, data: envelope(.ping(ping))))
                    .get()
            }
            let refused = await eventually(timeout: .seconds(10)) {
                await replication.engine.statistics.dropped["hostName"] == 6
            }
            #expect(refused)
            #expect(resolver.hosts == ["seed.test"], "a name learned from the wire was resolved")
            try await sender.close().get()
            await replication.stop()
        }
    }

    /// Answers nothing until the test releases it: a DNS server that does not reply.
    final class SilentResolver: HostResolver {
        private let waiting = Mutex<[CheckedContinuation<Void, Never>]>([])
        private let asked = Mutex<[String]>([])
        var hosts: [String] { asked.withLock { $0 } }
        var pending: Int { waiting.withLock { $0.count } }

        func resolve(_ address: PeerAddress) async throws -> [PeerAddress] {
            asked.withLock { $0.append(address.host) }
            await withCheckedContinuation { continuation in waiting.withLock { $0.append(continuation) } }
            throw CancellationError()
        }

        /// Lets every lookup still waiting fail, so no task outlives the test.
        func release() {
            for continuation in waiting.withLock({ state in
                defer { state.removeAll() }
                return state
            }) {
                continuation.resume()
            }
        }
    }

    @Test("a seed whose name does not resolve in time does not hold up the start")
    func aSilentResolverTimesOut() async throws {
        try await TestNode.with { node, _, _ in
            var settings = ReplicationEngine.Settings()
            settings.bind = PeerAddress(host: "127.0.0.1", port: 0)
            settings.seeds = [PeerAddress(host: "silent.test", port: 1), PeerAddress(host: "127.0.0.1", port: 2)]
            settings.resolveTimeout = .milliseconds(200)
            let resolver = SilentResolver()
            let replication = try await UDPReplication.start(
                node: node, settings: settings, logger: TestNode.quietLogger, inboundFilter: nil, resolver: resolver)
            // Start returned while the lookup still hangs: it was abandoned at its timeout.
            #expect(resolver.hosts == ["silent.test"])
            #expect(resolver.pending == 1)
            #expect(replication.boundAddress.isNumeric)
            await replication.stop()
            resolver.release()
        }
    }
}
