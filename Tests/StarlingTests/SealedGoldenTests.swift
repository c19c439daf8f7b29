import Crypto
import Foundation
import NIOCore
import StarlingCore
import StarlingTestKit
import Testing

@testable import Starling

/// The golden datagram of sealed format 2 (`Fixtures/wire/v3/sealed.hex`): a fixed key, sender,
/// session, counter and nonce seal the golden `deltaAck` envelope to exactly these bytes, and the
/// bytes open to it. Regenerate on purpose only: `STARLING_WRITE_FIXTURES=1 swift test --filter SealedGolden`.
@Suite(.showsLogsOnFailure) struct SealedGoldenTests {
    static var key: SymmetricKey { SymmetricKey(data: Array(0..<32).map { UInt8($0) }) }
    static let nonce: [UInt8] = Array(100..<112).map { UInt8($0) }
    static let sender = NodeID(rawValue: 0x1111_2222_3333_4444)

    static var plaintext: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(
            Envelope(
                clusterID: 0x0123_4567_89AB_CDEF, sender: sender,
                message: .deltaAck(DeltaAck(through: 104, horizon: HybridTimestamp(rawValue: 42), covers: 7))))
        return buffer
    }

    @Test func theGoldenSealedDatagramMatchesBothWays() throws {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: Self.key), sender: Self.sender, session: 7)
        let sealed = Array(sealer.seal(Self.plaintext, nonce: Self.nonce).readableBytesView)
        let path = Fixtures.path("wire/v3/sealed.hex")
        if ProcessInfo.processInfo.environment["STARLING_WRITE_FIXTURES"] == "1" {
            try Fixtures.hex(sealed).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let golden = try Fixtures.bytes(hex: String(contentsOfFile: path, encoding: .utf8))
        #expect(sealed == golden, "sealing no longer gives Fixtures/wire/v3/sealed.hex")
        #expect(Array(golden.prefix(4)) == Array("STL2".utf8))
        let opened = try DatagramSealer(keyring: ClusterKeyring(primary: Self.key)).open(ByteBuffer(bytes: golden))
        #expect(opened.plaintext == Self.plaintext)
        #expect(opened.sequence?.sender == Self.sender)
        #expect(opened.sequence?.session == 7)
        #expect(opened.sequence?.counter == 0)
    }
}
