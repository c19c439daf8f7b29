import NIOCore
import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct WireCodecTests {
    let sender = NodeID(rawValue: 0x0102_0304_0506_0708)

    func envelope(_ message: Message) -> Envelope {
        Envelope(clusterID: 0xC1, sender: sender, message: message)
    }

    func roundTrip(_ envelope: Envelope) throws -> Envelope {
        var buffer = ByteBuffer(bytes: RandomEnvelopes.encoded(envelope))
        let decoded = try buffer.readStarlingEnvelope()
        #expect(buffer.readableBytes == 0)
        return decoded
    }

    /// Decodes `bytes` and returns the error's reason, or nil if it decoded.
    func failure(_ bytes: [UInt8]) -> WireError.Reason? {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            _ = try buffer.readStarlingEnvelope()
            return nil
        } catch {
            #expect(buffer.readableBytes == bytes.count, "a failed decode must not move the reader index")
            return error.reason
        }
    }

    func register(
        _ content: Register.Content, expiresAt: Int64? = nil, increments: [NodeID: CounterSlot] = [:]
    ) -> Register {
        Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: 77), origin: sender), content: content,
            expiresAt: expiresAt, increments: increments)
    }

    func value(_ text: String) -> Register.Content { .value(EncodedValue(canonicalBytes: Array(text.utf8))) }

    // MARK: Round trips

    @Test func everyGoldenMessageRoundTrips() throws {
        for (name, message) in WireGoldenTests.vectors {
            #expect(try roundTrip(envelope(message)) == envelope(message), "\(name)")
        }
    }

    @Test func emptyArraysRoundTrip() throws {
        let address = PeerAddress(host: "0.0.0.0", port: 0)
        let messages: [Message] = [
            .ping(Ping(probeID: 0, senderAddress: address, senderIncarnation: 0, gossip: [])),
            .pingRequest(
                PingRequest(
                    probeID: 0, target: .none, targetAddress: address, senderAddress: address, senderIncarnation: 0,
                    gossip: [])),
            .ack(Ack(probeID: 0, target: .none, targetIncarnation: 0, senderAddress: address, gossip: [])),
            .delta(Delta(after: 0, through: 0, entries: [], repair: true)),
            .digest(Digest(hashes: [], reply: false)),
            .fragment(Fragment(messageID: 0, index: 0, count: 1, payload: [])),
            .delta(
                Delta(
                    after: 0, through: 0,
                    entries: [
                        DeltaEntry(store: "", key: "", register: register(.value(EncodedValue(canonicalBytes: []))))
                    ])),
        ]
        for message in messages {
            #expect(try roundTrip(envelope(message)) == envelope(message))
        }
    }

    @Test func extremeIntegersRoundTrip() throws {
        let slots = [
            NodeID(rawValue: 0): CounterSlot(total: .min, hlc: HybridTimestamp(rawValue: 0), afterExpiry: true),
            NodeID(rawValue: .max): CounterSlot(total: .max, hlc: HybridTimestamp(rawValue: .max)),
        ]
        for extreme in [Int64.min, .max, 0, -1] {
            let entry = DeltaEntry(
                store: "s", key: "k",
                register: Register(
                    stamp: Stamp(hlc: HybridTimestamp(rawValue: .max), origin: NodeID(rawValue: .max)),
                    content: .tombstone, expiresAt: extreme, increments: slots))
            let message = Message.delta(Delta(after: extreme, through: extreme, entries: [entry]))
            #expect(try roundTrip(envelope(message)) == envelope(message))
            let ack = envelope(.deltaAck(DeltaAck(through: extreme)))
            #expect(try roundTrip(ack) == ack)
        }
        let ids = Envelope(
            clusterID: .max, sender: NodeID(rawValue: .max), message: .digest(Digest(hashes: [.max, 0], reply: true)))
        #expect(try roundTrip(ids) == ids)
    }

    @Test func maximumLengthStringsAndArraysRoundTrip() throws {
        let longest = String(repeating: "x", count: 65_535)
        let longestUnicode = String(repeating: "\u{1F426}", count: 65_535 / 4) + "abc"  // 4-byte scalars
        #expect(longestUnicode.utf8.count == 65_535)
        let address = PeerAddress(host: "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", port: .max)
        let ping = Message.ping(
            Ping(
                probeID: .max, senderAddress: address, senderIncarnation: .max,
                gossip: [MemberUpdate(id: sender, address: address, incarnation: 1, status: .left)]))
        #expect(try roundTrip(envelope(ping)) == envelope(ping))
        // The longest strings are no addresses: refused as names.
        for host in [longest, longestUnicode] {
            let named = Message.ping(
                Ping(
                    probeID: 1, senderAddress: PeerAddress(host: host, port: 1), senderIncarnation: 0, gossip: []))
            #expect(failure(RandomEnvelopes.encoded(envelope(named))) == .hostName)
        }
        let entry = DeltaEntry(store: longest, key: longestUnicode, register: register(value("1")))
        let delta = Message.delta(Delta(after: 1, through: 2, entries: [entry]))
        #expect(try roundTrip(envelope(delta)) == envelope(delta))
        let digest = Message.digest(Digest(hashes: (0..<65_535).map { UInt64($0) }, reply: true))
        #expect(try roundTrip(envelope(digest)) == envelope(digest))
        let fragment = Message.fragment(
            Fragment(
                messageID: .max, index: .max - 1, count: .max, payload: Array(repeating: 0xAB, count: 65_535)))
        #expect(try roundTrip(envelope(fragment)) == envelope(fragment))
    }

    @Test func largeValuesRoundTripUpToTheLimit() throws {
        let bytes = Array(repeating: UInt8(ascii: "7"), count: WireFormat.maxValueBytes)
        let delta = Message.delta(
            Delta(
                after: 0, through: 1,
                entries: [
                    DeltaEntry(store: "s", key: "big", register: register(.value(EncodedValue(canonicalBytes: bytes))))
                ]))
        #expect(try roundTrip(envelope(delta)) == envelope(delta))
    }

    @Test func unicodeKeysKeepTheirExactBytes() throws {
        // Canonically equivalent strings are equal as Swift strings; the wire keeps each one's bytes.
        let keys = [
            "caf\u{E9}", "cafe\u{301}", "\u{65E5}\u{672C}", "\u{1F1EB}\u{1F1F7}", "nul\u{0}byte", "\u{FEFF}bom",
        ]
        for key in keys {
            let entry = DeltaEntry(store: "\u{1F426}", key: key, register: register(.tombstone))
            let encoded = RandomEnvelopes.encoded(envelope(.delta(Delta(after: 0, through: 0, entries: [entry]))))
            var buffer = ByteBuffer(bytes: encoded)
            let decoded = try buffer.readStarlingEnvelope()
            guard case .delta(let delta) = decoded.message else {
                Issue.record("decoded \(decoded.message)")
                continue
            }
            #expect(Array(delta.entries[0].key.utf8) == Array(key.utf8))
            #expect(RandomEnvelopes.encoded(decoded) == encoded)
        }
    }

    @Test func counterSlotsAreWrittenInAscendingOriginOrder() {
        let slots = Dictionary(
            uniqueKeysWithValues: (1...50).map {
                (
                    NodeID(rawValue: UInt64($0) &* 0x9E37_79B9_7F4A_7C15),
                    CounterSlot(total: Int64($0), hlc: HybridTimestamp(rawValue: 1))
                )
            })
        let entry = DeltaEntry(store: "s", key: "k", register: register(.tombstone, increments: slots))
        let message = Message.delta(Delta(after: 0, through: 0, entries: [entry]))
        var buffer = ByteBuffer(bytes: RandomEnvelopes.encoded(envelope(message)))
        // The slots follow a tombstone register head without expiry (see `malformed`): offset 77, 25 bytes each.
        buffer.moveReaderIndex(forwardBy: 77)
        var origins: [UInt64] = []
        while let origin = buffer.readInteger(as: UInt64.self) {
            origins.append(origin)
            buffer.moveReaderIndex(forwardBy: 17)
        }
        #expect(origins.count == 50)
        #expect(origins == origins.sorted())
    }

    @Test func encodedSizesMatchTheEncoding() {
        var rng = SeededGenerator(seed: 0x51_2E5)
        for _ in 0..<500 {
            let entries = (0..<Int.random(in: 0...6, using: &rng)).map { _ in RandomEnvelopes.entry(using: &rng) }
            let encoded = RandomEnvelopes.encoded(envelope(.delta(Delta(after: 1, through: 2, entries: entries))))
            let predicted = WireFormat.envelopeOverhead + entries.map(WireFormat.encodedSize(of:)).reduce(0, +)
            #expect(encoded.count == predicted)
        }
        #expect(WireFormat.envelopeOverhead == 51)
    }

    @Test func aSuccessfulReadConsumesTheEnvelope() throws {
        var buffer = ByteBuffer(bytes: RandomEnvelopes.encoded(envelope(.deltaAck(DeltaAck(through: 5)))))
        #expect(try buffer.readStarlingEnvelope().message == .deltaAck(DeltaAck(through: 5)))
        #expect(buffer.readableBytes == 0)
    }

    // MARK: Every error reason

    var pingBytes: [UInt8] {
        RandomEnvelopes.encoded(
            envelope(
                .ping(
                    Ping(
                        probeID: 1, senderAddress: PeerAddress(host: "10.0.0.3", port: 9), senderIncarnation: 2,
                        gossip: [
                            MemberUpdate(
                                id: sender, address: PeerAddress(host: "::1", port: 1), incarnation: 0, status: .alive)
                        ]))))
    }

    /// A delta of one entry `s`/`k` holding the value `1`: value length at offset 72, repair flag at 38.
    var deltaBytes: [UInt8] {
        RandomEnvelopes.encoded(
            envelope(
                .delta(
                    Delta(
                        after: 0, through: 1,
                        entries: [
                            DeltaEntry(store: "s", key: "k", register: register(value("1")))
                        ]))))
    }

    @Test func badMagic() {
        var bytes = pingBytes
        bytes[0] = 0x00
        #expect(failure(bytes) == .badMagic)
        #expect(failure(Array("GET / HTTP/1.1\r\n".utf8)) == .badMagic)
    }

    @Test func unsupportedVersion() {
        var bytes = pingBytes
        bytes[4] = 4
        #expect(failure(bytes) == .unsupportedVersion)
        bytes[4] = 2
        #expect(failure(bytes) == .unsupportedVersion, "version 2 (before the tree) is refused")
        bytes[4] = 1
        #expect(failure(bytes) == .unsupportedVersion, "version 1 (names allowed) is refused")
        bytes[4] = 0
        #expect(failure(bytes) == .unsupportedVersion)
    }

    @Test func truncated() {
        let bytes = pingBytes
        for length in 0..<bytes.count {
            #expect(failure(Array(bytes.prefix(length))) == .truncated, "prefix of \(length) bytes")
        }
        var huge = deltaBytes
        huge[74...77] = [0x00, 0x10, 0x00, 0x00]  // 1 MiB announced, 1 byte present
        #expect(failure(huge) == .truncated)
        var manyClaims = deltaBytes
        manyClaims[47...48] = [0xFF, 0xFF]  // 65,535 claims announced
        #expect(failure(manyClaims) == .truncated)
        var manyEntries = deltaBytes
        manyEntries[49...50] = [0xFF, 0xFF]  // 65,535 entries announced
        #expect(failure(manyEntries) == .truncated)
    }

    @Test func unknownMessageType() {
        var bytes = pingBytes
        for type: UInt8 in [0, 8, 0xFF] {
            bytes[21] = type
            #expect(failure(bytes) == .unknownMessageType, "type \(type)")
        }
    }

    @Test func invalidUTF8() {
        // Host "abc" starts at offset 32 (header 22, probe id 8, length 2).
        for invalid: [UInt8] in [[0xFF, 0x61, 0x62], [0xC3, 0x28, 0x61], [0xED, 0xA0, 0x80], [0x61, 0x62, 0xE2]] {
            var bytes = pingBytes
            bytes[32...34] = invalid[...]
            #expect(failure(bytes) == .invalidUTF8, "\(invalid)")
        }
    }

    @Test func limitExceeded() {
        var bytes = deltaBytes
        #expect(bytes[73] == 1, "the content tag precedes the value length")
        bytes[74...77] = [0x01, 0x00, 0x00, 0x01]  // 16 MiB + 1
        #expect(failure(bytes) == .limitExceeded)
        bytes[74...77] = [0xFF, 0xFF, 0xFF, 0xFF]
        #expect(failure(bytes) == .limitExceeded)
    }

    @Test func trailingBytes() {
        #expect(failure(pingBytes + [0]) == .trailingBytes)
        #expect(failure(deltaBytes + deltaBytes) == .trailingBytes)
    }

    @Test func malformed() {
        var repair = deltaBytes
        repair[38] = 2
        #expect(failure(repair) == .malformed, "repair flag 2")

        var tag = deltaBytes
        tag[73] = 2
        #expect(failure(tag) == .malformed, "content tag 2")

        var status = pingBytes
        status[status.count - 1] = 4
        #expect(failure(status) == .malformed, "member status 4")

        let fragment = RandomEnvelopes.encoded(
            envelope(.fragment(Fragment(messageID: 1, index: 0, count: 2, payload: [1]))))
        var pastCount = fragment
        pastCount[26...27] = [0x00, 0x02]  // index 2 of 2
        #expect(failure(pastCount) == .malformed, "fragment index past count")
        var zeroCount = fragment
        zeroCount[28...29] = [0x00, 0x00]
        #expect(failure(zeroCount) == .malformed, "fragment count 0")

        let a = NodeID(rawValue: 1)
        let b = NodeID(rawValue: 2)
        let slots = [
            a: CounterSlot(total: 1, hlc: HybridTimestamp(rawValue: 1)),
            b: CounterSlot(total: 2, hlc: HybridTimestamp(rawValue: 2)),
        ]
        var unordered = RandomEnvelopes.encoded(
            envelope(
                .delta(
                    Delta(
                        after: 0, through: 0,
                        entries: [
                            DeltaEntry(store: "s", key: "k", register: register(.tombstone, increments: slots))
                        ]))))
        // Slots start after the tombstone register head: 22+8+8+1+8+2+2 + 3+3 + 8+8+1+1 + 2 = 77; 25 bytes each.
        let first = Array(unordered[77..<102])
        let second = Array(unordered[102..<127])
        #expect(first[7] == 1 && second[7] == 2)
        unordered[77..<127] = (second + first)[...]
        #expect(failure(unordered) == .malformed, "slots out of order")
        var duplicate = unordered
        duplicate[77..<127] = (first + first)[...]
        #expect(failure(duplicate) == .malformed, "duplicate slot origin")
        var flag = RandomEnvelopes.encoded(
            envelope(
                .delta(
                    Delta(
                        after: 0, through: 0,
                        entries: [
                            DeltaEntry(store: "s", key: "k", register: register(.tombstone, increments: [a: slots[a]!]))
                        ]))))
        flag[flag.count - 1] = 7
        #expect(failure(flag) == .malformed, "after-expiry flag 7")
    }

    @Test func errorsDescribeThemselvesWithTheirLabel() {
        var bytes = pingBytes
        bytes[4] = 9
        var buffer = ByteBuffer(bytes: bytes)
        #expect(throws: WireError.self) { try buffer.readStarlingEnvelope() }
        do {
            _ = try buffer.readStarlingEnvelope()
        } catch {
            #expect(error.reason.label == "unsupportedVersion")
            #expect(error.description.hasPrefix("unsupportedVersion: "))
            #expect(error.description.contains("9"))
        }
        let labels: [WireError.Reason] = [
            .badMagic, .unsupportedVersion, .truncated, .unknownMessageType, .invalidUTF8, .limitExceeded,
            .trailingBytes, .malformed,
        ]
        #expect(Set(labels.map(\.label)).count == 8)
    }
}
