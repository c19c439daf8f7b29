import Foundation
import NIOCore
import StarlingCore
import StarlingTestKit
import Synchronization
import Testing

@testable import Starling

/// The engine under load: datagrams that arrive together are applied in one transaction and
/// acknowledged once per sender; the feed is packed into deltas from chunked reads; the UDP
/// shell's inbox hands the engine everything that arrived while it worked.
@Suite(.showsLogsOnFailure) struct ReplicationBatchingTests {
    /// Records every batch the engine hands to the network.
    final class RecordingTransport: DatagramTransport, Sendable {
        private let recorded = Mutex<[[Datagram]]>([])

        var batches: [[Datagram]] { recorded.withLock { $0 } }

        func send(_ datagram: ByteBuffer, to address: PeerAddress) async {
            recorded.withLock { $0.append([Datagram(datagram, address: address)]) }
        }

        func send(_ datagrams: [Datagram]) async {
            recorded.withLock { $0.append(datagrams) }
        }

        /// The messages of every datagram sent (or of `datagrams`), decoded.
        func messages(_ datagrams: [Datagram]? = nil) throws -> [Message] {
            try (datagrams ?? Array(batches.joined())).map { datagram in
                var bytes = try DatagramSealer(keyring: nil).open(datagram.bytes).plaintext
                return try bytes.readStarlingEnvelope().message
            }
        }
    }

    /// Timers that never fire: the tests drive the engine by hand.
    struct NoTimers: TickScheduler {
        func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void) {}
    }

    static let peerP = (id: NodeID(rawValue: 0xA1), address: PeerAddress(host: "10.0.0.2", port: 7946))
    static let peerQ = (id: NodeID(rawValue: 0xB2), address: PeerAddress(host: "10.0.0.3", port: 7946))

    func engine(_ node: Node, _ transport: RecordingTransport) throws -> ReplicationEngine {
        try ReplicationEngine(
            node: node, settings: ReplicationEngine.Settings(), address: PeerAddress(host: "10.0.0.1", port: 7946),
            transport: transport, scheduler: NoTimers(), randomSeed: 1, logger: TestNode.quietLogger)
    }

    /// A datagram from `sender` carrying a delta `(after, through]` with one entry per key.
    func delta(
        from sender: (id: NodeID, address: PeerAddress), after: Int64, through: Int64, keys: [String],
        atMillis millis: Int64
    ) -> Datagram {
        let entries = keys.enumerated().map { index, key in
            DeltaEntry(
                store: "default", key: key,
                register: Register(
                    stamp: Stamp(
                        hlc: HybridTimestamp(physicalMillis: UInt64(millis), logical: UInt16(index)), origin: sender.id),
                    content: .value(EncodedValue(.string(key)))))
        }
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(
            Envelope(
                clusterID: ReplicationEngine.Settings().clusterID, sender: sender.id,
                message: .delta(Delta(after: after, through: through, entries: entries))))
        return Datagram(DatagramSealer(keyring: nil).seal(buffer), address: sender.address)
    }

    @Test func deltasArrivingTogetherCommitOnceAndAreAcknowledgedOncePerSender() async throws {
        try await TestNode.with { node, store, clock in
            let transport = RecordingTransport()
            let engine = try engine(node, transport)
            let commits = CommitCounter()
            let observation = node.observeCommits { _ in commits.increment() }
            defer { observation.cancel() }
            let now = clock.nowMillis()
            await engine.receive([
                delta(from: Self.peerP, after: 0, through: 1, keys: ["p1"], atMillis: now),
                delta(from: Self.peerQ, after: 0, through: 2, keys: ["q1", "q2"], atMillis: now),
                delta(from: Self.peerP, after: 1, through: 2, keys: ["p2"], atMillis: now),
                delta(from: Self.peerP, after: 2, through: 3, keys: ["p3"], atMillis: now),
            ])
            #expect(try store.keys("*") == ["p1", "p2", "p3", "q1", "q2"])
            #expect(commits.value == 1, "one transaction for the whole batch")
            let acks = try transport.messages().compactMap { message -> DeltaAck? in
                if case .deltaAck(let ack) = message { ack } else { nil }
            }
            #expect(acks.map(\.through) == [3, 2], "one cumulative acknowledgement per sender, in arrival order")
            #expect(transport.batches.count == 1, "the batch's datagrams leave together")
            #expect(await engine.statistics.entriesApplied == 5)
        }
    }

    @Test func aSenderStampedTooFarAheadIsRefusedWithoutRefusingTheOthersInItsBatch() async throws {
        try await TestNode.with { node, store, clock in
            let transport = RecordingTransport()
            let engine = try engine(node, transport)
            let now = clock.nowMillis()
            await engine.receive([
                delta(from: Self.peerQ, after: 0, through: 1, keys: ["ahead"], atMillis: now + 3_600_000),
                delta(from: Self.peerP, after: 0, through: 1, keys: ["fine"], atMillis: now),
            ])
            #expect(try store.keys("*") == ["fine"])
            #expect(await engine.statistics.clockOffsetRejections == 1)
            let acked = try transport.messages().compactMap { message -> Bool? in
                if case .deltaAck = message { true } else { nil }
            }
            #expect(acked.count == 1, "only the accepted sender is acknowledged; the other will retry")
        }
    }

    @Test func aDeltaStampedTooFarAheadRefusesOnlyItselfAndOneAcknowledgementCoversTheBatch() async throws {
        try await TestNode.with { node, store, clock in
            let transport = RecordingTransport()
            let engine = try engine(node, transport)
            let now = clock.nowMillis()
            await engine.receive([delta(from: Self.peerP, after: 0, through: 1, keys: ["one"], atMillis: now)])
            await engine.receive([
                delta(from: Self.peerP, after: 0, through: 1, keys: ["one"], atMillis: now),
                delta(from: Self.peerP, after: 1, through: 2, keys: ["two"], atMillis: now),
                delta(from: Self.peerP, after: 2, through: 3, keys: ["ahead"], atMillis: now + 3_600_000),
            ])
            #expect(try store.keys("*") == ["one", "two"], "the refused delta took nothing else with it")
            #expect(await engine.statistics.clockOffsetRejections == 1)
            let last = try #require(transport.batches.last)
            let acks = try transport.messages(last).map { message -> Int64? in
                if case .deltaAck(let ack) = message { ack.through } else { nil }
            }
            #expect(acks == [2], "one acknowledgement for the batch, the duplicate included, through what is held")
        }
    }

    /// A datagram from `sender` with `message`, unsealed.
    func datagram(from sender: (id: NodeID, address: PeerAddress), _ message: Message) -> Datagram {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(
            Envelope(clusterID: ReplicationEngine.Settings().clusterID, sender: sender.id, message: message))
        return Datagram(DatagramSealer(keyring: nil).seal(buffer), address: sender.address)
    }

    @Test func aDatagramOfTheFormerWireVersionIsDroppedAndCounted() async throws {
        try await TestNode.with { node, _, _ in
            let transport = RecordingTransport()
            let engine = try engine(node, transport)
            let old = try Fixtures.bytes(
                hex: String(contentsOfFile: Fixtures.path("wire/v2/ping.hex"), encoding: .utf8))
            let sealed = DatagramSealer(keyring: nil).seal(ByteBuffer(bytes: old))
            await engine.receive([Datagram(sealed, address: Self.peerP.address)])
            #expect(await engine.statistics.dropped["unsupportedVersion"] == 1)
            #expect(transport.batches.isEmpty, "a peer of the former version is not answered")
        }
    }

    @Test func aDigestWhileANeighbourIsStillBehindIsDeferredOnlyUpToTheLimit() async throws {
        try await TestNode.with { node, store, _ in
            try await store.set("unsent", 1)
            let transport = RecordingTransport()
            let engine = try engine(node, transport)
            let settings = ReplicationEngine.Settings()
            // P pings, so it is a member, the only one: this node's neighbour, sent what it lacks.
            await engine.receive([
                datagram(
                    from: Self.peerP,
                    .ping(Ping(probeID: 1, senderAddress: Self.peerP.address, senderIncarnation: 0, gossip: [])))
            ])
            #expect(await engine.replicator.targets == [Self.peerP.id])
            let digest = datagram(
                from: Self.peerP,
                .digest(Digest(hashes: Array(repeating: 0, count: settings.digestBuckets), reply: true)))
            func digestsSent() throws -> Int {
                try transport.messages().filter { if case .digest = $0 { true } else { false } }.count
            }
            for _ in 0..<settings.replicator.digestDeferralLimit { await engine.receive([digest]) }
            #expect(try digestsSent() == 0, "not answered while a neighbour lacks part of this node's feed")
            #expect(await engine.statistics.digestsDeferred == settings.replicator.digestDeferralLimit)
            await engine.receive([digest])
            #expect(try digestsSent() == 1, "answered once deferred digestDeferralLimit times in a row")
        }
    }

    @Test func theFeedIsPackedIntoContiguousDeltasThatEndWithTheClock() async throws {
        try await TestNode.with { node, store, _ in
            var entries: [String: JSONValue] = [:]
            for index in 0..<(ReplicationEngine.changesPerRead * 3 + 5) {
                entries["key-\(index)"] = .string(String(repeating: "v", count: 90))
            }
            try await store.mset(entries)
            var cursor = FeedCursor(node: node, after: 0)
            let budget =
                ReplicationEngine.Settings().maxDatagram - DatagramSealer.overhead - WireFormat.envelopeOverhead
            var after: Int64 = 0
            var carried = 0
            var last: Delta?
            while let (delta, size) = cursor.nextDelta(
                after: after, budget: budget, logger: TestNode.quietLogger, holds: { _ in false },
                read: { after, limit throws(StoreError) in try node.changes(after: after, limit: limit) })
            {
                #expect(delta.after == after, "deltas are contiguous")
                #expect(delta.entries.reduce(0) { $0 + WireFormat.encodedSize(of: $1) } == size)
                #expect(size <= budget)
                let count = delta.entries.count
                if delta.through < node.lastSeq {
                    #expect(delta.clock == .zero, "only the delta reaching the head carries the clock")
                }
                carried += count
                after = delta.through
                last = delta
            }
            #expect(carried == entries.count)
            #expect(last?.through == node.lastSeq)
            #expect(last?.clock == node.committedPosition.clock)
        }
    }

    static func empty(from port: UInt16) -> Datagram {
        Datagram(ByteBuffer(), address: PeerAddress(host: "127.0.0.1", port: port))
    }

    @Test func theInboxHandsOverEverythingQueuedAndHoldsTheReceiverWhenFull() async throws {
        let inbox = DatagramInbox(capacity: 2)
        await inbox.push(Self.empty(from: 1))
        await inbox.push(Self.empty(from: 2))
        let (pushed, pushedSignal) = AsyncStream<Void>.makeStream()
        let third = Task {
            await inbox.push(Self.empty(from: 3))
            pushedSignal.yield()
        }
        #expect(await inbox.next().map(\.address.port) == [1, 2])
        for await _ in pushed { break }
        #expect(
            await inbox.next().map(\.address.port) == [3], "the full inbox held the third push until there was room")
        let waiting = Task { await inbox.next() }
        await inbox.push(Self.empty(from: 4))
        #expect(await waiting.value.map(\.address.port) == [4], "a waiting receiver is woken by the next push")
        inbox.finish()
        #expect(await inbox.next().isEmpty)
        await inbox.push(Self.empty(from: 5))
        #expect(await inbox.next().isEmpty, "nothing is queued after finish")
        _ = await third.value
    }

    @Test func theInboxIsBoundedInBytesAndKeepsCopiesNotTheReadBuffers() async {
        let inbox = DatagramInbox(capacity: 100, capacityBytes: 100)
        var readBuffer = ByteBufferAllocator().buffer(capacity: 65_536)
        readBuffer.writeBytes(Array(repeating: UInt8(7), count: 60))
        let received = Datagram(readBuffer, address: PeerAddress(host: "127.0.0.1", port: 1))
        await inbox.push(received)
        let (pushed, pushedSignal) = AsyncStream<Void>.makeStream()
        let second = Task {
            await inbox.push(received)
            pushedSignal.yield()
        }
        let first = await inbox.next()
        #expect(first.count == 1, "60 + 60 bytes do not fit in 100: the second push waited")
        #expect(first.first?.bytes.readableBytesView.elementsEqual(repeatElement(7, count: 60)) == true)
        #expect((first.first?.bytes.capacity ?? .max) < 1_024, "a copy of its own size, not the 64 KiB read buffer")
        for await _ in pushed { break }
        #expect(await inbox.next().count == 1)
        _ = await second.value
    }

    @Test func theInboxHandsOverAtMostItsBatchSizeOldestFirst() async {
        let inbox = DatagramInbox(capacity: 8, maxBatch: 2)
        for port: UInt16 in 1...5 { await inbox.push(Self.empty(from: port)) }
        #expect(await inbox.next().map(\.address.port) == [1, 2])
        #expect(await inbox.next().map(\.address.port) == [3, 4])
        inbox.finish()
        #expect(await inbox.next().map(\.address.port) == [5], "what is left after finish is still handed over")
        #expect(await inbox.next().isEmpty)
    }
}

/// Counts commit notifications.
final class CommitCounter: Sendable {
    private let count = Atomic(0)
    var value: Int { count.load(ordering: .relaxed) }
    func increment() { count.add(1, ordering: .relaxed) }
}
