public import NIOCore
import Crypto
import Foundation

/// Why a datagram was refused before decoding: a ``reason`` usable as a metrics label and a
/// message for logs. The datagram is dropped and counted; it never reaches the store.
public struct SealError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal. New reasons may be added, so switch with a `default`.
    public struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case unauthenticated
            case unknownKey
            case truncated
            case unexpectedSealed
        }

        private let code: Code

        private init(_ code: Code) {
            self.code = code
        }

        /// The tag does not verify (a wrong key or a tampered datagram), or a plaintext datagram
        /// arrived while a cluster key is configured.
        public static let unauthenticated = Reason(.unauthenticated)
        /// The datagram is sealed with a key id this peer's keyring does not hold.
        public static let unknownKey = Reason(.unknownKey)
        /// The datagram is shorter than a sealed datagram's fixed parts.
        public static let truncated = Reason(.truncated)
        /// A sealed datagram arrived at a peer with no cluster key configured.
        public static let unexpectedSealed = Reason(.unexpectedSealed)

        /// The metrics label of the reason, such as `unauthenticated`.
        public var label: String { code.rawValue }

        /// The label.
        public var description: String { label }
    }

    /// What kind of refusal it is.
    public var reason: Reason
    /// What was wrong, for logs.
    public var message: String

    /// Creates an error.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    public var description: String { "\(reason.label): \(message)" }
}

/// Authenticates and encrypts datagrams with the cluster keyring (ChaCha20-Poly1305), or passes
/// them through unchanged when no keyring is configured.
///
/// A sealed datagram is
/// `magic:u32 = 0x53544C53 ("STLS")  keyID:u32  nonce:12  ciphertext  tag:16`,
/// where the ciphertext is the whole encoded envelope and the magic and key id are the
/// authenticated data. Nonces are random (96 bits), so a key should be rotated well before
/// 2^32 datagrams have been sealed with it.
public struct DatagramSealer: Sendable {
    /// The first four bytes of a sealed datagram: "STLS".
    public static let magic: UInt32 = 0x53_54_4C_53
    /// The bytes sealing adds to a datagram: magic, key id, nonce and tag (36). Budget
    /// `maxDatagram - overhead` for the envelope, also without a keyring, so that enabling a
    /// key never changes packing.
    public static let overhead = headerBytes + nonceBytes + tagBytes

    private static let headerBytes = 8
    private static let nonceBytes = 12
    private static let tagBytes = 16

    /// The keys, or nil to send and accept plaintext.
    public let keyring: ClusterKeyring?

    /// Creates a sealer.
    /// - Parameter keyring: the cluster keys, or nil for plaintext datagrams.
    public init(keyring: ClusterKeyring?) {
        self.keyring = keyring
    }

    /// Seals an encoded envelope with the primary key, or returns it unchanged without a keyring.
    /// - Parameter plaintext: the encoded envelope (its readable bytes).
    /// - Returns: the datagram to send.
    public func seal(_ plaintext: ByteBuffer) -> ByteBuffer {
        guard let keyring else { return plaintext }
        let header = Self.header(keyID: keyring.primaryKeyID)
        let box: ChaChaPoly.SealedBox
        do {
            let bytes = Array(plaintext.readableBytesView)
            box = try ChaChaPoly.seal(bytes, using: keyring.primary, authenticating: header)
        } catch {
            // Only a key of the wrong size makes sealing fail, and ClusterKeyring refuses those.
            preconditionFailure("ChaChaPoly.seal failed with a 256-bit key: \(error)")
        }
        var datagram = ByteBuffer()
        datagram.reserveCapacity(plaintext.readableBytes + Self.overhead)
        datagram.writeBytes(header)
        datagram.writeBytes(box.combined)
        return datagram
    }

    /// Opens a received datagram: verifies and decrypts it, or passes it through without a keyring.
    /// - Parameter datagram: the datagram as received.
    /// - Returns: the encoded envelope.
    /// - Throws: ``SealError`` with reason `truncated` (shorter than the sealed fixed parts),
    ///   `unauthenticated` (bad tag, or plaintext while a key is configured), `unknownKey`
    ///   (a key id not in the ring), or `unexpectedSealed` (sealed, but no key is configured).
    public func open(_ datagram: ByteBuffer) throws(SealError) -> ByteBuffer {
        let magic = datagram.getInteger(at: datagram.readerIndex, endianness: .big, as: UInt32.self)
        guard let keyring else {
            if magic == Self.magic {
                throw SealError(.unexpectedSealed, "sealed datagram, but this peer has no cluster key")
            }
            return datagram
        }
        guard let magic else {
            throw SealError(.truncated, "datagram of \(datagram.readableBytes) bytes")
        }
        guard magic == Self.magic else {
            throw SealError(.unauthenticated, "plaintext datagram, but a cluster key is configured")
        }
        guard datagram.readableBytes >= Self.overhead,
              let keyID = datagram.getInteger(at: datagram.readerIndex + 4, endianness: .big, as: UInt32.self)
        else {
            throw SealError(
                .truncated, "sealed datagram of \(datagram.readableBytes) bytes, at least \(Self.overhead) expected")
        }
        guard let key = keyring.key(id: keyID) else {
            throw SealError(.unknownKey, "sealed with key id \(ClusterKeyring.hex(keyID)), not in the keyring")
        }
        let header = Array(datagram.readableBytesView.prefix(Self.headerBytes))
        let combined = Array(datagram.readableBytesView.dropFirst(Self.headerBytes))
        let plaintext: Data
        do {
            let box = try ChaChaPoly.SealedBox(combined: combined)
            plaintext = try ChaChaPoly.open(box, using: key, authenticating: header)
        } catch {
            throw SealError(.unauthenticated, "tag does not verify with key id \(ClusterKeyring.hex(keyID))")
        }
        var opened = ByteBuffer()
        opened.writeBytes(plaintext)
        return opened
    }

    private static func header(keyID: UInt32) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(headerBytes)
        for value in [magic, keyID] {
            for shift in stride(from: 24, through: 0, by: -8) {
                header.append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
            }
        }
        return header
    }
}
