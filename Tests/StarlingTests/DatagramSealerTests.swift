import Crypto
import Foundation
import NIOCore
import Starling
import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct DatagramSealerTests {
    let keyA = SymmetricKey(size: .bits256)
    let keyB = SymmetricKey(size: .bits256)

    var plaintext: ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(
            Envelope(
                clusterID: 1, sender: NodeID(rawValue: 2), message: .deltaAck(DeltaAck(through: 99))))
        return buffer
    }

    /// Opens `datagram` and returns the refusal's reason, or nil if it opened.
    func refusal(_ sealer: DatagramSealer, _ datagram: ByteBuffer) -> SealError.Reason? {
        do {
            _ = try sealer.open(datagram).plaintext
            return nil
        } catch {
            return error.reason
        }
    }

    func base64(_ key: SymmetricKey) -> String {
        key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    @Test func sealedDatagramsOpenToThePlaintext() throws {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: keyA))
        let sealed = sealer.seal(plaintext)
        #expect(sealed.readableBytes == plaintext.readableBytes + DatagramSealer.overhead)
        #expect(DatagramSealer.overhead == 60)
        #expect(sealed.getInteger(at: sealed.readerIndex, as: UInt32.self) == DatagramSealer.magic)
        #expect(sealed.getInteger(at: sealed.readerIndex + 4, as: UInt32.self) == ClusterKeyring.keyID(of: keyA))
        #expect(!sealed.readableBytesView.elementsEqual(plaintext.readableBytesView))
        var opened = try sealer.open(sealed).plaintext
        #expect(opened == plaintext)
        #expect(try opened.readStarlingEnvelope().message == .deltaAck(DeltaAck(through: 99)))
        // Fresh nonces: sealing twice gives different datagrams.
        #expect(sealer.seal(plaintext) != sealed)
        // An empty plaintext seals and opens too.
        #expect(try sealer.open(sealer.seal(ByteBuffer())).plaintext.readableBytes == 0)
    }

    @Test func withoutAKeyringDatagramsPassThrough() throws {
        let sealer = DatagramSealer(keyring: nil)
        #expect(sealer.seal(plaintext) == plaintext)
        #expect(try sealer.open(plaintext).plaintext == plaintext)
        #expect(try sealer.open(ByteBuffer()).plaintext == ByteBuffer())
    }

    @Test func aWrongKeyIsRefused() {
        let sealed = DatagramSealer(keyring: ClusterKeyring(primary: keyA)).seal(plaintext)
        #expect(refusal(DatagramSealer(keyring: ClusterKeyring(primary: keyB)), sealed) == .unknownKey)
    }

    @Test func everyTamperedByteIsRefused() {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: keyA))
        let sealed = sealer.seal(plaintext)
        for offset in 0..<sealed.readableBytes {
            var tampered = sealed
            let byte = tampered.getInteger(at: offset, as: UInt8.self)!
            tampered.setInteger(byte ^ 0x01, at: offset)
            let expected: SealError.Reason = (4..<8).contains(offset) ? .unknownKey : .unauthenticated
            #expect(refusal(sealer, tampered) == expected, "byte \(offset)")
        }
    }

    @Test func truncatedDatagramsAreRefused() {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: keyA))
        let sealed = sealer.seal(plaintext)
        for length in [0, 3] + Array(4..<DatagramSealer.overhead) {
            #expect(refusal(sealer, sealed.getSlice(at: 0, length: length)!) == .truncated, "length \(length)")
        }
        // Long enough for the fixed parts, but ciphertext is missing: the tag cannot verify.
        #expect(refusal(sealer, sealed.getSlice(at: 0, length: sealed.readableBytes - 1)!) == .unauthenticated)
    }

    @Test func plaintextIsRefusedWhenAKeyIsConfigured() {
        let sealer = DatagramSealer(keyring: ClusterKeyring(primary: keyA))
        #expect(refusal(sealer, plaintext) == .unauthenticated)
    }

    @Test func sealedDatagramsAreRefusedWithoutAKey() {
        let sealed = DatagramSealer(keyring: ClusterKeyring(primary: keyA)).seal(plaintext)
        #expect(refusal(DatagramSealer(keyring: nil), sealed) == .unexpectedSealed)
    }

    @Test func rotationOpensWithEveryKeyAndSealsWithThePrimary() throws {
        let old = DatagramSealer(keyring: ClusterKeyring(primary: keyA))
        let transition = DatagramSealer(keyring: ClusterKeyring(primary: keyB, others: [keyA]))
        let new = DatagramSealer(keyring: ClusterKeyring(primary: keyB))

        #expect(try transition.open(old.seal(plaintext)).plaintext == plaintext, "the old key still opens")
        let sealed = transition.seal(plaintext)
        #expect(sealed.getInteger(at: 4, as: UInt32.self) == ClusterKeyring.keyID(of: keyB), "the primary seals")
        #expect(try new.open(sealed).plaintext == plaintext)
        #expect(refusal(old, sealed) == .unknownKey, "a peer without the new key cannot open")
        #expect(refusal(new, old.seal(plaintext)) == .unknownKey, "a removed key no longer opens")
    }

    @Test func keyringsDeduplicateAndListTheirKeys() {
        let ring = ClusterKeyring(primary: keyA, others: [keyB, keyA, keyB])
        #expect(ring.keyIDs == [ClusterKeyring.keyID(of: keyA), ClusterKeyring.keyID(of: keyB)])
        #expect(ring.primaryKeyID == ClusterKeyring.keyID(of: keyA))
        // The id is the first four bytes of SHA-256 of the key.
        let zero = SymmetricKey(data: [UInt8](repeating: 0, count: 32))
        // SHA-256 of 32 zero bytes starts 66 68 7a ad.
        #expect(ClusterKeyring.keyID(of: zero) == 0x6668_7AAD)
    }

    @Test func keyFilesParseWithCommentsAndBlankLines() throws {
        let file = """
            # Starling cluster keys: first line seals.

            \(base64(keyB))   # new primary
            \t\(base64(keyA))\r
            # retired soon
            """
        let ring = try ClusterKeyring(keyFileContents: file)
        #expect(ring.primaryKeyID == ClusterKeyring.keyID(of: keyB))
        #expect(ring.keyIDs == [ClusterKeyring.keyID(of: keyB), ClusterKeyring.keyID(of: keyA)])
        let sealed = DatagramSealer(keyring: ClusterKeyring(primary: keyA)).seal(plaintext)
        #expect(try DatagramSealer(keyring: ring).open(sealed).plaintext == plaintext)
        #expect(!"\(ring)".contains(base64(keyA)) && "\(ring)".hasPrefix("ClusterKeyring("))
    }

    @Test func windowsLineEndingsCountLinesRight() {
        let file = "# keys\r\n\(base64(keyA))\r\n\r\nnot-a-key\r\n"
        #expect(throws: ClusterKeyring.KeyFileError.invalidBase64(line: 4)) {
            try ClusterKeyring(keyFileContents: file)
        }
    }

    @Test func badKeyFilesNameTheBadLine() {
        let good = base64(keyA)
        let secret = base64(SymmetricKey(size: .bits128))
        let cases: [(String, ClusterKeyring.KeyFileError)] = [
            ("\(good)\n\n not base64!\n", .invalidBase64(line: 3)),
            ("# comment\n\(secret)\n", .wrongKeyLength(line: 2, bytes: 16)),
            ("\(good)\n\(good.dropLast(4))$$$$\n", .invalidBase64(line: 2)),
            ("", .noKeys),
            ("# only a comment\n\n   \n", .noKeys),
        ]
        for (contents, expected) in cases {
            #expect(throws: expected) { try ClusterKeyring(keyFileContents: contents) }
        }
        do {
            _ = try ClusterKeyring(keyFileContents: "# comment\n\(secret)\n")
            Issue.record("a 128-bit key was accepted")
        } catch {
            #expect(error.line == 2)
            #expect(error.reason == "wrongKeyLength")
            #expect(error.description.contains("line 2"))
            #expect(!error.description.contains(secret), "errors never echo key material")
        }
    }

    @Test func sealErrorsCarryTheirLabel() {
        let reasons: [SealError.Reason] = [.unauthenticated, .unknownKey, .truncated, .unexpectedSealed]
        #expect(reasons.map(\.label) == ["unauthenticated", "unknownKey", "truncated", "unexpectedSealed"])
        let error = SealError(.unknownKey, "key id 01020304")
        #expect(error.description == "unknownKey: key id 01020304")
    }
}
