import Foundation
import NIOCore
import StarlingCore
import StarlingTestKit
import Testing

/// Random envelopes of every message type, for codec round trips and fuzzing.
enum RandomEnvelopes {
    static let strings = [
        "", "a", "default", "user:42", "caf\u{E9}", "e\u{301}",
        "\u{65E5}\u{672C}\u{8A9E}", "\u{1F426}\u{200D}\u{1F525}",
    ]

    static func string(using rng: inout SeededGenerator) -> String {
        if Bool.random(using: &rng) { return strings.randomElement(using: &rng)! }
        let length = Int.random(in: 0...24, using: &rng)
        return String(
            String.UnicodeScalarView(
                (0..<length).map { _ in
                    let ranges: [ClosedRange<UInt32>] = [0x20...0x7E, 0xA0...0x24F, 0x4E00...0x4FFF, 0x1F300...0x1F64F]
                    return Unicode.Scalar(UInt32.random(in: ranges.randomElement(using: &rng)!, using: &rng))!
                }))
    }

    static func int64(using rng: inout SeededGenerator) -> Int64 {
        if Bool.random(using: &rng) { return [Int64.min, .max, 0, -1, 1].randomElement(using: &rng)! }
        return Int64.random(in: .min ... .max, using: &rng)
    }

    /// A numeric address, IPv4 or IPv6 (the only kind the format carries).
    static func address(using rng: inout SeededGenerator) -> PeerAddress {
        let host: String
        if Bool.random(using: &rng) {
            host = (0..<4).map { _ in String(UInt8.random(in: 0 ... .max, using: &rng)) }.joined(separator: ".")
        } else {
            host = (0..<8).map { _ in String(UInt16.random(in: 0 ... .max, using: &rng), radix: 16) }.joined(
                separator: ":")
        }
        return PeerAddress(host: host, port: UInt16.random(in: 0 ... .max, using: &rng))
    }

    static func gossip(using rng: inout SeededGenerator) -> [MemberUpdate] {
        (0..<Int.random(in: 0...4, using: &rng)).map { _ in
            MemberUpdate(
                id: NodeID(rawValue: rng.next()), address: address(using: &rng), incarnation: rng.next(),
                status: MemberStatus.allCases.randomElement(using: &rng)!)
        }
    }

    static func register(using rng: inout SeededGenerator) -> Register {
        let content: Register.Content
        switch Int.random(in: 0..<3, using: &rng) {
        case 0: content = .tombstone
        case 1: content = .value(EncodedValue(integer: int64(using: &rng)))
        default:
            content = .value(
                EncodedValue(
                    canonicalBytes: (0..<Int.random(in: 0...64, using: &rng)).map { _ in
                        UInt8.random(in: 0 ... .max, using: &rng)
                    }))
        }
        var increments: [NodeID: CounterSlot] = [:]
        for _ in 0..<Int.random(in: 0...3, using: &rng) {
            increments[NodeID(rawValue: rng.next())] = CounterSlot(
                total: int64(using: &rng), hlc: HybridTimestamp(rawValue: rng.next()),
                afterExpiry: Bool.random(using: &rng))
        }
        return Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: rng.next()), origin: NodeID(rawValue: rng.next())),
            content: content, expiresAt: Bool.random(using: &rng) ? int64(using: &rng) : nil, increments: increments)
    }

    static func entry(using rng: inout SeededGenerator) -> DeltaEntry {
        DeltaEntry(store: string(using: &rng), key: string(using: &rng), register: register(using: &rng))
    }

    static func message(using rng: inout SeededGenerator) -> Message {
        switch Int.random(in: 0..<7, using: &rng) {
        case 0:
            return .ping(
                Ping(
                    probeID: rng.next(), senderAddress: address(using: &rng), senderIncarnation: rng.next(),
                    gossip: gossip(using: &rng)))
        case 1:
            return .pingRequest(
                PingRequest(
                    probeID: rng.next(), target: NodeID(rawValue: rng.next()), targetAddress: address(using: &rng),
                    senderAddress: address(using: &rng), senderIncarnation: rng.next(), gossip: gossip(using: &rng)))
        case 2:
            return .ack(
                Ack(
                    probeID: rng.next(), target: NodeID(rawValue: rng.next()), targetIncarnation: rng.next(),
                    senderAddress: address(using: &rng), gossip: gossip(using: &rng)))
        case 3:
            return .delta(
                Delta(
                    after: int64(using: &rng), through: int64(using: &rng),
                    entries: (0..<Int.random(in: 0...4, using: &rng)).map { _ in entry(using: &rng) },
                    repair: Bool.random(using: &rng), clock: HybridTimestamp(rawValue: rng.next()),
                    claims: (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                        HeldClaim(origin: NodeID(rawValue: rng.next()), clock: HybridTimestamp(rawValue: rng.next()))
                    }))
        case 4:
            return .deltaAck(
                DeltaAck(
                    through: int64(using: &rng), horizon: HybridTimestamp(rawValue: rng.next()), covers: rng.next()))
        case 5:
            return .digest(
                Digest(
                    hashes: (0..<Int.random(in: 0...16, using: &rng)).map { _ in rng.next() },
                    reply: Bool.random(using: &rng)))
        default:
            let count = UInt16.random(in: 1 ... .max, using: &rng)
            return .fragment(
                Fragment(
                    messageID: UInt32.random(in: 0 ... .max, using: &rng),
                    index: UInt16.random(in: 0..<count, using: &rng),
                    count: count,
                    payload: bytes(Int.random(in: 0...64, using: &rng), using: &rng)))
        }
    }

    static func bytes(_ count: Int, using rng: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0 ... .max, using: &rng) }
    }

    static func envelope(using rng: inout SeededGenerator) -> Envelope {
        Envelope(clusterID: rng.next(), sender: NodeID(rawValue: rng.next()), message: message(using: &rng))
    }

    static func encoded(_ envelope: Envelope) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(envelope)
        return Array(buffer.readableBytesView)
    }
}

/// The decoder never traps, whatever arrives, and what it accepts is canonical: it re-encodes
/// to the same bytes and decodes again to the same envelope.
@Suite(.showsLogsOnFailure) struct WireFuzzTests {
    /// The base seed; override with `STARLING_FUZZ_SEED=<n>` to explore, and quote it to replay.
    static let seed: UInt64 =
        ProcessInfo.processInfo.environment["STARLING_FUZZ_SEED"].flatMap { UInt64($0) }
        ?? 0x5EED_F022_57A2_1146

    /// Inputs per fuzz test: 10,000 in the default suite; the soak sets
    /// `STARLING_FUZZ_ITERATIONS=1000000` (tools/soak/README.md).
    static let iterations =
        ProcessInfo.processInfo.environment["STARLING_FUZZ_ITERATIONS"].flatMap { Int($0) } ?? 10_000

    /// Decodes `bytes`; if that succeeds, checks the canonical round trip. Returns whether it decoded.
    @discardableResult
    static func check(_ bytes: [UInt8], _ context: @autoclosure () -> String) -> Bool {
        var buffer = ByteBuffer(bytes: bytes)
        let envelope: Envelope
        do {
            envelope = try buffer.readStarlingEnvelope()
        } catch {
            if buffer.readableBytes != bytes.count {
                Issue.record("a failed decode moved the reader index (\(context()))")
            }
            return false
        }
        let reencoded = RandomEnvelopes.encoded(envelope)
        if reencoded != bytes {
            Issue.record("accepted bytes do not re-encode identically (\(context()))")
        }
        var again = ByteBuffer(bytes: reencoded)
        if (try? again.readStarlingEnvelope()) != envelope {
            Issue.record("re-encoded bytes do not decode to the same envelope (\(context()))")
        }
        return true
    }

    /// A header of a plausible envelope, then bytes biased toward 0 and 1 so that lengths and
    /// counts are small and decoding gets deep into bodies.
    static func randomDatagram(using rng: inout SeededGenerator) -> [UInt8] {
        if Int.random(in: 0..<4, using: &rng) == 0 {
            return (0..<Int.random(in: 0...48, using: &rng)).map { _ in UInt8.random(in: 0 ... .max, using: &rng) }
        }
        var buffer = ByteBuffer()
        buffer.writeInteger(WireFormat.magic)
        buffer.writeInteger(Int.random(in: 0..<20, using: &rng) == 0 ? UInt8(2) : WireFormat.version)
        buffer.writeInteger(rng.next())
        buffer.writeInteger(rng.next())
        buffer.writeInteger(UInt8.random(in: 0...8, using: &rng))
        var bytes = Array(buffer.readableBytesView)
        for _ in 0..<Int.random(in: 0...160, using: &rng) {
            switch Int.random(in: 0..<4, using: &rng) {
            case 0, 1: bytes.append(0)
            case 2: bytes.append(UInt8.random(in: 0...3, using: &rng))
            default: bytes.append(UInt8.random(in: 0 ... .max, using: &rng))
            }
        }
        return bytes
    }

    static func mutate(_ original: [UInt8], using rng: inout SeededGenerator) -> [UInt8] {
        var bytes = original
        let position = Int.random(in: 0..<max(1, bytes.count), using: &rng)
        switch Int.random(in: 0..<6, using: &rng) {
        case 0:  // bit flips
            for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 1 << UInt8.random(in: 0...7, using: &rng)
            }
        case 1:  // truncation
            guard !bytes.isEmpty else { break }
            bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
        case 2:  // insertion
            let inserted = RandomEnvelopes.bytes(Int.random(in: 1...8, using: &rng), using: &rng)
            bytes.insert(contentsOf: inserted, at: min(position, bytes.count))
        case 3:  // deletion inside
            bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...4, using: &rng)))
        case 4:  // u16 length-field corruption: nudge or replace
            guard position + 1 < bytes.count else { break }
            let old = UInt16(bytes[position]) << 8 | UInt16(bytes[position + 1])
            let new: UInt16 = [0, 1, .max, old &+ 1, old &- 1, old &+ 7].randomElement(using: &rng)!
            bytes[position] = UInt8(new >> 8)
            bytes[position + 1] = UInt8(truncatingIfNeeded: new)
        default:  // u32 length-field corruption
            guard position + 3 < bytes.count else { break }
            let new: UInt32 = [0, 1, .max, UInt32(WireFormat.maxValueBytes), UInt32(WireFormat.maxValueBytes) + 1]
                .randomElement(using: &rng)!
            for offset in 0..<4 {
                bytes[position + offset] = UInt8(truncatingIfNeeded: new >> (24 - 8 * UInt32(offset)))
            }
        }
        return bytes
    }

    @Test func randomDatagramsNeverTrap() {
        var rng = SeededGenerator(seed: Self.seed)
        var decoded = 0
        for iteration in 0..<Self.iterations {
            let bytes = Self.randomDatagram(using: &rng)
            if Self.check(bytes, "random datagram, seed \(Self.seed), iteration \(iteration)") { decoded += 1 }
        }
        // Bodies biased toward zeros decode now and then (an empty ack, a deltaAck); the
        // point is that nothing traps, and what decodes is canonical.
        #expect(decoded > 0, "no random datagram decoded at all; seed \(Self.seed)")
    }

    @Test func mutatedEncodingsNeverTrap() {
        var rng = SeededGenerator(seed: Self.seed ^ 0xA5A5_A5A5)
        var decoded = 0
        for iteration in 0..<Self.iterations {
            let original = RandomEnvelopes.encoded(RandomEnvelopes.envelope(using: &rng))
            var mutated = Self.mutate(original, using: &rng)
            if Int.random(in: 0..<4, using: &rng) == 0 { mutated = Self.mutate(mutated, using: &rng) }
            if Self.check(mutated, "mutation, seed \(Self.seed ^ 0xA5A5_A5A5), iteration \(iteration)") {
                decoded += 1
            }
        }
        #expect(decoded > 0, "no mutation decoded at all; seed \(Self.seed ^ 0xA5A5_A5A5)")
    }

    @Test func randomEnvelopesRoundTrip() {
        var rng = SeededGenerator(seed: Self.seed &+ 1)
        for iteration in 0..<2_000 {
            let envelope = RandomEnvelopes.envelope(using: &rng)
            var buffer = ByteBuffer(bytes: RandomEnvelopes.encoded(envelope))
            let decoded = try? buffer.readStarlingEnvelope()
            #expect(decoded == envelope, "seed \(Self.seed &+ 1), iteration \(iteration)")
        }
    }
}
