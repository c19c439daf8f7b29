import Foundation
import NIOCore
import StarlingCore
import StarlingTestKit
import Testing

/// Golden byte vectors of wire format version 2, one per message type, in `Fixtures/wire/v2/`;
/// the vectors of version 1 in `Fixtures/wire/v1/` must be refused, naming their version.
///
/// Guards the wire format against accidental change: a peer of an older build must keep reading
/// what a newer one sends. Regenerate on purpose only (with a new format version):
/// `STARLING_WRITE_FIXTURES=1 swift test --filter WireGoldenTests`.
@Suite(.showsLogsOnFailure) struct WireGoldenTests {
    static let clusterID: UInt64 = 0x0123_4567_89AB_CDEF
    static let sender = NodeID(rawValue: 0x1111_2222_3333_4444)
    static let peerB = NodeID(rawValue: 0xBBBB_0000_0000_000B)
    static let peerC = NodeID(rawValue: 0xCCCC_0000_0000_000C)

    static func hlc(_ millis: UInt64, _ logical: UInt16 = 0) -> HybridTimestamp {
        HybridTimestamp(physicalMillis: millis, logical: logical)
    }

    static func json(_ text: String) -> Register.Content { .value(EncodedValue(canonicalBytes: Array(text.utf8))) }

    static let gossip = [
        MemberUpdate(
            id: peerB, address: PeerAddress(host: "192.0.2.7", port: 7947), incarnation: 1, status: .suspect),
        MemberUpdate(id: peerC, address: PeerAddress(host: "::1", port: 7948), incarnation: 0, status: .alive),
    ]

    /// The fixed envelope of each vector, by file name.
    static let vectors: [String: Message] = [
        "ping": .ping(
            Ping(
                probeID: 42, senderAddress: PeerAddress(host: "10.0.0.1", port: 7946), senderIncarnation: 3,
                gossip: gossip)),
        "pingRequest": .pingRequest(
            PingRequest(
                probeID: 43, target: peerB, targetAddress: PeerAddress(host: "10.0.0.2", port: 7946),
                senderAddress: PeerAddress(host: "10.0.0.1", port: 7946), senderIncarnation: 3,
                gossip: [
                    MemberUpdate(
                        id: peerC, address: PeerAddress(host: "10.0.0.3", port: 7946), incarnation: 9, status: .dead)
                ])),
        "ack": .ack(
            Ack(
                probeID: 42, target: peerB, targetIncarnation: 5,
                senderAddress: PeerAddress(host: "10.0.0.2", port: 7946),
                gossip: [])),
        "delta": .delta(
            Delta(
                after: 100, through: 104,
                entries: [
                    // A value with an expiry.
                    DeltaEntry(
                        store: "default", key: "user:1",
                        register: Register(
                            stamp: Stamp(hlc: hlc(1_700_000_000_000, 1), origin: sender),
                            content: json(#"{"name":"Ada"}"#),
                            expiresAt: 1_700_000_060_000)),
                    // A tombstone.
                    DeltaEntry(
                        store: "default", key: "gone",
                        register: Register(
                            stamp: Stamp(hlc: hlc(1_700_000_000_001), origin: peerB), content: .tombstone)),
                    // A counter: a base value and two origins' increments.
                    DeltaEntry(
                        store: "default", key: "visits",
                        register: Register(
                            stamp: Stamp(hlc: hlc(1_700_000_000_002), origin: sender), content: json("10"),
                            increments: [
                                peerC: CounterSlot(total: -2, hlc: hlc(1_700_000_000_010), afterExpiry: true),
                                peerB: CounterSlot(total: 5, hlc: hlc(1_700_000_000_005, 2)),
                            ])),
                    // The store's range tombstone (clear), under the empty key.
                    DeltaEntry(
                        store: "default", key: Register.rangeTombstoneKey,
                        register: Register(
                            stamp: Stamp(hlc: hlc(1_699_999_999_000), origin: peerC), content: .tombstone)),
                    // A Unicode key.
                    DeltaEntry(
                        store: "caf\u{E9}", key: "cl\u{E9}-\u{65E5}\u{672C}-\u{1F426}",
                        register: Register(
                            stamp: Stamp(hlc: hlc(1_700_000_000_003), origin: peerB), content: json(#""bird""#))),
                ], clock: hlc(1_700_000_000_020, 3),
                claims: [
                    HeldClaim(origin: peerB, clock: hlc(1_700_000_000_012, 1)),
                    HeldClaim(origin: peerC, clock: hlc(1_700_000_000_010)),
                ])),
        "deltaAck": .deltaAck(
            DeltaAck(through: 104, horizon: hlc(1_700_000_000_015), covers: 0x0F1E_2D3C_4B5A_6978)),
        "digest": .digest(Digest(hashes: [0, 1, 0xDEAD_BEEF_CAFE_BABE, .max], reply: true)),
        "fragment": .fragment(
            Fragment(
                messageID: 7, index: 1, count: 3, payload: Array("STLG fragment payload".utf8))),
    ]

    static func envelope(_ name: String) throws -> Envelope {
        let message = try #require(vectors[name], "no golden vector \(name)")
        return Envelope(clusterID: clusterID, sender: sender, message: message)
    }

    static func encode(_ envelope: Envelope) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(envelope)
        return Array(buffer.readableBytesView)
    }

    @Test(arguments: ["ping", "pingRequest", "ack", "delta", "deltaAck", "digest", "fragment"])
    func goldenVectorMatchesBothWays(name: String) throws {
        let envelope = try Self.envelope(name)
        let path = Fixtures.path("wire/v3/\(name).hex")
        let encoded = Self.encode(envelope)
        if ProcessInfo.processInfo.environment["STARLING_WRITE_FIXTURES"] == "1" {
            try FileManager.default.createDirectory(
                atPath: Fixtures.path("wire/v3"), withIntermediateDirectories: true)
            try Fixtures.hex(encoded).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try Fixtures.bytes(hex: String(contentsOfFile: path, encoding: .utf8))
        #expect(encoded == golden, "encoding \(name) no longer gives Fixtures/wire/v3/\(name).hex")
        var buffer = ByteBuffer(bytes: golden)
        #expect(try buffer.readStarlingEnvelope() == envelope, "decoding Fixtures/wire/v3/\(name).hex")
        #expect(buffer.readableBytes == 0)
    }

    /// Every golden vector of an earlier version (1: names in addresses; 2: before the tree's
    /// claims and aggregated horizon) is refused with `unsupportedVersion`, naming its version.
    @Test(
        arguments: [1, 2].flatMap { version in
            ["ping", "pingRequest", "ack", "delta", "deltaAck", "digest", "fragment"].map { (version, $0) }
        })
    func earlierVersionVectorsAreRefusedNamingTheirVersion(version: Int, name: String) throws {
        let golden = try Fixtures.bytes(
            hex: String(contentsOfFile: Fixtures.path("wire/v\(version)/\(name).hex"), encoding: .utf8))
        var buffer = ByteBuffer(bytes: golden)
        #expect(golden[4] == UInt8(version))
        do {
            _ = try buffer.readStarlingEnvelope()
            Issue.record("a version \(version) \(name) was read")
        } catch {
            #expect(error.reason == .unsupportedVersion)
            #expect(error.message.contains("format version \(version)"), "\(error.message)")
        }
    }

    @Test func everyMessageTypeHasAVector() {
        let names = Set(
            Self.vectors.values.map { message -> String in
                switch message {
                case .ping: "ping"
                case .pingRequest: "pingRequest"
                case .ack: "ack"
                case .delta: "delta"
                case .deltaAck: "deltaAck"
                case .digest: "digest"
                case .fragment: "fragment"
                }
            })
        #expect(names == Set(Self.vectors.keys))
        #expect(names.count == 7)
    }
}
