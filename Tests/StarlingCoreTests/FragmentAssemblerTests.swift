import NIOCore
import StarlingTestKit
import Testing

@testable import StarlingCore

@Suite(.showsLogsOnFailure) struct FragmentAssemblerTests {
    let cluster: UInt64 = 0xC1
    let sender = NodeID(rawValue: 0xA1)

    /// An encoded delta carrying one value of `valueBytes` bytes.
    func bigMessage(valueBytes: Int) -> (envelope: Envelope, bytes: [UInt8]) {
        let value = EncodedValue(canonicalBytes: Array(repeating: UInt8(ascii: "9"), count: valueBytes))
        let stamp = Stamp(hlc: HybridTimestamp(rawValue: 1 << 40), origin: sender)
        let register = Register(stamp: stamp, content: .value(value))
        let envelope = Envelope(
            clusterID: cluster, sender: sender,
            message: .delta(
                Delta(
                    after: 0, through: 1, entries: [DeltaEntry(store: "default", key: "big", register: register)])))
        return (envelope, RandomEnvelopes.encoded(envelope))
    }

    /// Encodes each fragment envelope to a datagram and decodes it back, as a receiver would.
    func datagrams(_ envelopes: [Envelope]) throws -> [(bytes: Int, fragment: Fragment)] {
        try envelopes.map { envelope in
            let bytes = RandomEnvelopes.encoded(envelope)
            var buffer = ByteBuffer(bytes: bytes)
            let decoded = try buffer.readStarlingEnvelope()
            guard case .fragment(let fragment) = decoded.message else {
                throw WireError(.malformed, "not a fragment")
            }
            #expect(decoded.clusterID == cluster && decoded.sender == sender)
            return (bytes.count, fragment)
        }
    }

    func fragments(of bytes: [UInt8], id: UInt32 = 1, maxDatagram: Int = 1_200) throws -> [Fragment] {
        try datagrams(
            Fragmenter.fragments(
                of: bytes, messageID: id, clusterID: cluster, sender: sender, maxDatagram: maxDatagram)
        ).map(\.fragment)
    }

    @Test func everyFragmentFitsTheDatagramBudget() throws {
        let message = bigMessage(valueBytes: 256 * 1024)
        let pieces = try datagrams(
            Fragmenter.fragments(
                of: message.bytes, messageID: 9, clusterID: cluster, sender: sender, maxDatagram: 1_200))
        #expect(pieces.count == (message.bytes.count + 1_167) / 1_168)
        #expect(pieces.allSatisfy { $0.bytes <= 1_200 }, "largest: \(pieces.map(\.bytes).max() ?? 0)")
        #expect(pieces.dropLast().allSatisfy { $0.bytes == 1_200 }, "fragments use the whole budget")
        for maxDatagram in [40, 100, 1_164, 9_000, 65_000, 70_000] {
            let sized = try datagrams(
                Fragmenter.fragments(
                    of: Array(message.bytes.prefix(100_000)), messageID: 9, clusterID: cluster, sender: sender,
                    maxDatagram: maxDatagram))
            #expect(!sized.isEmpty)
            #expect(sized.allSatisfy { $0.bytes <= maxDatagram }, "maxDatagram \(maxDatagram)")
            #expect(sized.map(\.fragment.payload).joined().elementsEqual(message.bytes.prefix(100_000)))
        }
    }

    @Test func refusesWhatCannotBeFragmented() {
        let bytes = Array(repeating: UInt8(7), count: 70_000)
        // 32 bytes of overhead: 33 leaves one payload byte, so 70,000 fragments: more than 65,535.
        func split(_ maxDatagram: Int) -> [Envelope] {
            Fragmenter.fragments(of: bytes, messageID: 1, clusterID: cluster, sender: sender, maxDatagram: maxDatagram)
        }
        #expect(split(33).isEmpty)
        #expect(split(32).isEmpty)
        #expect(split(0).isEmpty)
        #expect(split(-1).isEmpty)
        #expect(split(34).count == 35_000)
    }

    @Test func reassemblesInRandomOrderWithDuplicates() throws {
        let seed: UInt64 = 0xF4A6_0001
        var rng = SeededGenerator(seed: seed)
        let message = bigMessage(valueBytes: 256 * 1024)
        let pieces = try fragments(of: message.bytes)
        for round in 0..<5 {
            var arrivals = pieces + (0..<40).map { _ in pieces.randomElement(using: &rng)! }
            arrivals.shuffle(using: &rng)
            var assembler = FragmentAssembler()
            var completed: [[UInt8]] = []
            for fragment in arrivals {
                if let bytes = assembler.receive(fragment, from: sender, nowMillis: 1_000) { completed.append(bytes) }
            }
            #expect(completed.count == 1, "seed \(seed), round \(round)")
            #expect(completed.first == message.bytes, "seed \(seed), round \(round)")
            var buffer = ByteBuffer(bytes: completed.first ?? [])
            #expect(try buffer.readStarlingEnvelope() == message.envelope)
            #expect(assembler.pendingMessages == 0 && assembler.pendingBytes == 0 && assembler.droppedMessages == 0)
        }
    }

    @Test func interleavedMessagesFromSeveralSendersStayApart() throws {
        let a = bigMessage(valueBytes: 5_000).bytes
        let b = Array(bigMessage(valueBytes: 7_000).bytes.reversed())
        let other = NodeID(rawValue: 0xB2)
        var assembler = FragmentAssembler()
        var results: [NodeID: [UInt8]] = [:]
        let fromA = try fragments(of: a, id: 5).map { (sender, $0) }
        let fromB = try fragments(of: b, id: 5).map { (other, $0) }
        for (index, (from, fragment)) in zip(fromA, fromB).flatMap({ [$0, $1] }).enumerated() {
            if let bytes = assembler.receive(fragment, from: from, nowMillis: Int64(index)) { results[from] = bytes }
        }
        let paired = min(fromA.count, fromB.count)
        for (from, fragment) in fromA.dropFirst(paired) + fromB.dropFirst(paired) {
            if let bytes = assembler.receive(fragment, from: from, nowMillis: 100) { results[from] = bytes }
        }
        #expect(results[sender] == a)
        #expect(results[other] == b)
    }

    @Test func aLostFragmentTimesOut() throws {
        let pieces = try fragments(of: bigMessage(valueBytes: 10_000).bytes)
        var assembler = FragmentAssembler()
        for fragment in pieces.dropLast() {
            #expect(assembler.receive(fragment, from: sender, nowMillis: 10_000) == nil)
        }
        #expect(assembler.pendingMessages == 1)
        // Each piece is charged its payload plus a fixed bookkeeping overhead.
        #expect(assembler.pendingBytes == pieces.dropLast().map { $0.payload.count + 64 }.reduce(0, +))
        #expect(assembler.expire(nowMillis: 14_999) == 0)
        #expect(assembler.expire(nowMillis: 15_000) == 1)
        #expect(assembler.pendingMessages == 0 && assembler.pendingBytes == 0)
        #expect(assembler.droppedMessages == 1)
        // The last fragment arriving late starts a new partial message, which also times out.
        #expect(assembler.receive(pieces[pieces.count - 1], from: sender, nowMillis: 15_001) == nil)
        #expect(assembler.expire(nowMillis: 20_001) == 1)
        #expect(assembler.droppedMessages == 2)
    }

    @Test func theOldestPartialMessageIsEvictedAtTheMessageLimit() throws {
        var settings = FragmentAssembler.Settings()
        settings.maxPendingMessages = 2
        var assembler = FragmentAssembler(settings: settings)
        let messages = try (1...3).map { try fragments(of: bigMessage(valueBytes: 3_000 + $0).bytes, id: UInt32($0)) }
        for (time, pieces) in messages.enumerated() {
            #expect(assembler.receive(pieces[0], from: sender, nowMillis: Int64(time)) == nil)
        }
        #expect(assembler.pendingMessages == 2)
        #expect(assembler.droppedMessages == 1)
        // Message 1 was evicted: its remaining fragments cannot complete it. Messages 2 and 3 complete.
        #expect(messages[0].dropFirst().compactMap { assembler.receive($0, from: sender, nowMillis: 10) }.isEmpty)
        #expect(assembler.droppedMessages == 2, "message 1's new partial evicted message 2's")
        let third = messages[2].dropFirst().compactMap { assembler.receive($0, from: sender, nowMillis: 11) }
        #expect(third.count == 1)
    }

    @Test func pendingBytesStayWithinTheLimit() throws {
        var settings = FragmentAssembler.Settings()
        settings.maxPendingBytes = 3_000
        var assembler = FragmentAssembler(settings: settings)
        var rng = SeededGenerator(seed: 0xB0_0B)
        var arrivals: [(UInt32, Fragment)] = []
        for id in 1...20 as ClosedRange<UInt32> {
            arrivals += try fragments(of: bigMessage(valueBytes: 2_000).bytes, id: id).map { (id, $0) }
        }
        arrivals.shuffle(using: &rng)
        for (time, (_, fragment)) in arrivals.enumerated() {
            _ = assembler.receive(fragment, from: sender, nowMillis: Int64(time))
            #expect(assembler.pendingBytes <= 3_000)
        }
        #expect(assembler.droppedMessages > 0)

        // One fragment larger than the whole budget is dropped outright.
        settings.maxPendingBytes = 100
        var small = FragmentAssembler(settings: settings)
        let big = Fragment(messageID: 1, index: 0, count: 2, payload: Array(repeating: 1, count: 101))
        #expect(small.receive(big, from: sender, nowMillis: 0) == nil)
        #expect(small.pendingMessages == 0 && small.pendingBytes == 0 && small.droppedMessages == 1)
    }

    @Test func anInconsistentCountDropsTheMessage() {
        var assembler = FragmentAssembler()
        func receive(_ id: UInt32, _ index: UInt16, of count: UInt16) -> [UInt8]? {
            let fragment = Fragment(messageID: id, index: index, count: count, payload: [1])
            return assembler.receive(fragment, from: sender, nowMillis: 0)
        }
        #expect(receive(3, 0, of: 3) == nil)
        #expect(receive(3, 1, of: 4) == nil)
        #expect(assembler.droppedMessages == 1 && assembler.pendingMessages == 0 && assembler.pendingBytes == 0)
        // An index past the count is ignored.
        #expect(receive(4, 2, of: 2) == nil)
        #expect(assembler.pendingMessages == 0)
    }

    @Test func lateDuplicatesOfACompletedMessageStartNothing() {
        var assembler = FragmentAssembler()
        let first = Fragment(messageID: 8, index: 0, count: 2, payload: [1, 2])
        let second = Fragment(messageID: 8, index: 1, count: 2, payload: [3])
        #expect(assembler.receive(first, from: sender, nowMillis: 0) == nil)
        #expect(assembler.receive(first, from: sender, nowMillis: 1) == nil)
        #expect(assembler.receive(second, from: sender, nowMillis: 2) == [1, 2, 3])
        #expect(assembler.receive(first, from: sender, nowMillis: 3) == nil)
        #expect(assembler.pendingMessages == 0)
        // After the timeout the id may be reused.
        #expect(assembler.expire(nowMillis: 10_000) == 0)
        #expect(assembler.receive(first, from: sender, nowMillis: 10_001) == nil)
        #expect(assembler.receive(second, from: sender, nowMillis: 10_002) == [1, 2, 3])
        // A single-fragment message is returned at once.
        let single = Fragment(messageID: 9, index: 0, count: 1, payload: [7])
        #expect(assembler.receive(single, from: sender, nowMillis: 0) == [7])
        #expect(assembler.droppedMessages == 0)
    }

    @Test func settingsBelowTheirMinimumCountAsTheMinimum() {
        var settings = FragmentAssembler.Settings()
        #expect(settings.maxPendingMessages == 64)
        #expect(settings.maxPendingBytes == 8 << 20)
        #expect(settings.timeout == .seconds(5))
        settings.maxPendingMessages = 0
        settings.maxPendingBytes = -5
        settings.timeout = .milliseconds(-1)
        #expect(settings.pendingMessagesLimit == 1 && settings.pendingBytesLimit == 1 && settings.timeoutMillis == 1)
    }

    @Test func extremeClockValuesDoNotTrap() {
        var assembler = FragmentAssembler()
        _ = assembler.receive(Fragment(messageID: 1, index: 0, count: 2, payload: [1]), from: sender, nowMillis: .min)
        #expect(assembler.expire(nowMillis: .max) == 1)
        _ = assembler.receive(Fragment(messageID: 2, index: 0, count: 2, payload: [1]), from: sender, nowMillis: .max)
        #expect(assembler.expire(nowMillis: .min) == 0)
    }
}

/// Found in review: empty pieces were not charged, so a peer could hold memory outside the budget.
@Suite(.showsLogsOnFailure) struct FragmentBudgetTests {
    @Test func emptyPiecesAreChargedAgainstTheByteBudget() {
        var settings = FragmentAssembler.Settings()
        settings.maxPendingBytes = 64 * 100
        var assembler = FragmentAssembler(settings: settings)
        for index in 0..<1_000 {
            _ = assembler.receive(
                Fragment(messageID: 1, index: UInt16(index), count: 60_000, payload: []), from: NodeID(rawValue: 1),
                nowMillis: 0)
        }
        #expect(assembler.pendingBytes <= 64 * 100)
    }
}
