import Crypto
import Foundation
import NIOCore
@testable import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// The golden datagram of sealed format 2 (`Fixtures/wire/v2/sealed.hex`): a fixed key, sender,
/// session, counter and nonce seal the golden `deltaAck` envelope to exactly these bytes, and the
/// bytes open to it. Regenerate on purpose only: `STARLING_WRITE_FIXTURES=1 swift test --filter SealedGolden`.
@Suite struct SealedGoldenTests {
    static var key: SymmetricKey { SymmetricKey(data: Array(0..<32).map { UInt8($0) }) }
    static let nonce: [UInt8] = Array(100..<112).map { UInt8($0) }
    static let sender = NodeID(rawValue: 0x1111_2222_3333_4444)

    static var plaintext: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(Envelope(
            clusterID: 0x0123_4567_89AB_CDEF, sender: sender,
            message: .deltaAck(DeltaAck(through: 104, completeThrough: HybridTimestamp(rawValue: 42)))))
        return buffer
    }

    static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() + "\n"
    }

    @Test func theGoldenSealedDatagramMatchesBothWays() throws {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: Self.key), sender: Self.sender, session: 7)
        let sealed = Array(sealer.seal(Self.plaintext, nonce: Self.nonce).readableBytesView)
        let path = Fixtures.path("wire/v2/sealed.hex")
        if ProcessInfo.processInfo.environment["STARLING_WRITE_FIXTURES"] == "1" {
            try Self.hex(sealed).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let text = try String(contentsOfFile: path, encoding: .utf8).filter { !$0.isWhitespace }
        let golden = stride(from: 0, to: text.count, by: 2).map { offset -> UInt8 in
            let start = text.index(text.startIndex, offsetBy: offset)
            return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16) ?? 0
        }
        #expect(sealed == golden, "sealing no longer gives Fixtures/wire/v2/sealed.hex")
        #expect(Array(golden.prefix(4)) == Array("STL2".utf8))
        let opened = try DatagramSealer(keyring: ClusterKeyring(primary: Self.key)).open(ByteBuffer(bytes: golden))
        #expect(opened.plaintext == Self.plaintext)
        #expect(opened.sequence?.sender == Self.sender)
        #expect(opened.sequence?.session == 7)
        #expect(opened.sequence?.counter == 0)
    }
}
