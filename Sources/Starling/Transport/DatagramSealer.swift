import Crypto
import Foundation
package import NIOCore
package import StarlingCore
import Synchronization

/// Why a datagram was refused before decoding: a ``reason`` usable as a metrics label and a
/// message for logs. The datagram is dropped and counted; it never reaches the store.
package struct SealError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of refusal. New reasons may be added, so switch with a `default`.
    package struct Reason: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case unauthenticated
            case unknownKey
            case truncated
            case unexpectedSealed
            case sealVersion
        }

        private let code: Code

        private init(_ code: Code) {
            self.code = code
        }

        /// The tag does not verify (a wrong key or a tampered datagram), or a plaintext datagram
        /// arrived while a cluster key is configured.
        package static let unauthenticated = Reason(.unauthenticated)
        /// The datagram is sealed with a key id this peer's keyring does not hold.
        package static let unknownKey = Reason(.unknownKey)
        /// The datagram is shorter than a sealed datagram's fixed parts.
        package static let truncated = Reason(.truncated)
        /// A sealed datagram arrived at a peer with no cluster key configured.
        package static let unexpectedSealed = Reason(.unexpectedSealed)

        /// The datagram is sealed in a format this peer no longer reads (format 1, from a
        /// Starling before anti-replay sequence numbers).
        package static let sealVersion = Reason(.sealVersion)

        /// The metrics label of the reason, such as `unauthenticated`.
        package var label: String { code.rawValue }

        /// The label.
        package var description: String { label }
    }

    /// What kind of refusal it is.
    package var reason: Reason
    /// What was wrong, for logs.
    package var message: String

    /// Creates an error.
    package init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    /// `reason: message`.
    package var description: String { "\(reason.label): \(message)" }
}

/// Authenticates and encrypts datagrams with the cluster keyring (ChaCha20-Poly1305), or passes
/// them through unchanged when no keyring is configured.
///
/// A sealed datagram (sealed format 2) is
/// `magic:u32 = 0x53544C32 ("STL2")  keyID:u32  sender:u64  session:u64  counter:u64  nonce:12
/// ciphertext  tag:16`, where the ciphertext is the whole encoded envelope and the 32 header
/// bytes are the authenticated data. `session` grows with every start of the sender and
/// `counter` with every datagram it seals in that session, so a receiver's ``ReplayWindow``
/// drops a datagram it has already accepted (as WireGuard and IPsec do). Nonces are random
/// (96 bits), so a key should be rotated well before 2^32 datagrams have been sealed with it.
///
/// Sealed format 1 (`"STLS"`, no sender, session or counter) is refused as `sealVersion`.
package final class DatagramSealer: Sendable {
    /// The first four bytes of a sealed datagram: "STL2".
    package static let magic: UInt32 = 0x53_54_4C_32
    /// The magic of sealed format 1, "STLS", refused with a reason that names it.
    package static let formatOneMagic: UInt32 = 0x53_54_4C_53
    /// The bytes sealing adds to a datagram: header, nonce and tag (60). Budget
    /// `maxDatagram - overhead` for the envelope, also without a keyring, so that enabling a
    /// key never changes packing.
    package static let overhead = headerBytes + nonceBytes + tagBytes

    static let headerBytes = 32
    private static let nonceBytes = 12
    private static let tagBytes = 16

    /// The keys, or nil to send and accept plaintext.
    package let keyring: ClusterKeyring?
    /// The node sealing, named in every header.
    package let sender: NodeID
    /// This start of the sender: greater than every session it used before.
    package let session: UInt64
    /// Datagrams sealed so far in this session; the next one carries this number.
    package var counter: UInt64 { nextCounter.load(ordering: .relaxed) }
    private let nextCounter = Atomic<UInt64>(0)

    /// Creates a sealer.
    /// - Parameters:
    ///   - keyring: the cluster keys, or nil for plaintext datagrams.
    ///   - sender: the node sealing.
    ///   - session: a number greater than any the sender used before (its clock at start).
    package init(keyring: ClusterKeyring?, sender: NodeID = .none, session: UInt64 = 0) {
        self.keyring = keyring
        self.sender = sender
        self.session = session
    }

    /// What ``open(_:)`` found in a datagram.
    package struct Opened: Sendable {
        /// The encoded envelope.
        package var plaintext: ByteBuffer
        /// The sender, session and counter of the sealed header; nil for a plaintext datagram.
        package var sequence: (sender: NodeID, session: UInt64, counter: UInt64)?
    }

    /// Seals an encoded envelope with the primary key, or returns it unchanged without a keyring.
    /// - Parameter plaintext: the encoded envelope (its readable bytes).
    /// - Returns: the datagram to send.
    package func seal(_ plaintext: ByteBuffer) -> ByteBuffer {
        seal(plaintext, nonce: nil)
    }

    /// ``seal(_:)`` with a given nonce instead of a random one, for golden vectors only: a nonce
    /// must never repeat under one key.
    package func seal(_ plaintext: ByteBuffer, nonce: [UInt8]?) -> ByteBuffer {
        guard let keyring else { return plaintext }
        let counter = nextCounter.wrappingAdd(1, ordering: .relaxed).oldValue
        let header = Self.header(keyID: keyring.primaryKeyID, sender: sender, session: session, counter: counter)
        let box: ChaChaPoly.SealedBox
        do {
            let fixed = try nonce.map { try ChaChaPoly.Nonce(data: $0) }
            box = try ChaChaPoly.seal(
                Array(plaintext.readableBytesView), using: keyring.primary, nonce: fixed ?? ChaChaPoly.Nonce(),
                authenticating: header)
        } catch {
            // Only a key or nonce of the wrong size makes sealing fail; ClusterKeyring refuses such keys.
            preconditionFailure("ChaChaPoly.seal failed with a 256-bit key: \(error)")
        }
        var datagram = ByteBuffer()
        datagram.reserveCapacity(plaintext.readableBytes + Self.overhead)
        datagram.writeBytes(header)
        datagram.writeBytes(box.combined)
        return datagram
    }

    /// Opens a received datagram: verifies and decrypts it, or passes it through without a keyring.
    /// Replays are the caller's to drop, with a ``ReplayWindow`` over the returned sequence.
    /// - Parameter datagram: the datagram as received.
    /// - Returns: the encoded envelope and the sealed header's sequence.
    /// - Throws: ``SealError`` with reason `truncated` (shorter than the sealed fixed parts),
    ///   `unauthenticated` (bad tag, or plaintext while a key is configured), `unknownKey`
    ///   (a key id not in the ring), `sealVersion` (sealed format 1), or `unexpectedSealed`
    ///   (sealed, but no key is configured).
    package func open(_ datagram: ByteBuffer) throws(SealError) -> Opened {
        let magic = datagram.getInteger(at: datagram.readerIndex, endianness: .big, as: UInt32.self)
        guard let keyring else {
            if magic == Self.magic || magic == Self.formatOneMagic {
                throw SealError(.unexpectedSealed, "sealed datagram, but this peer has no cluster key")
            }
            return Opened(plaintext: datagram, sequence: nil)
        }
        guard let magic else {
            throw SealError(.truncated, "datagram of \(datagram.readableBytes) bytes")
        }
        guard magic != Self.formatOneMagic else {
            throw SealError(.sealVersion, "sealed format 1 (\"STLS\") from an older Starling; this peer reads format 2")
        }
        guard magic == Self.magic else {
            throw SealError(.unauthenticated, "plaintext datagram, but a cluster key is configured")
        }
        let start = datagram.readerIndex
        guard datagram.readableBytes >= Self.overhead,
            let keyID = datagram.getInteger(at: start + 4, endianness: .big, as: UInt32.self),
            let sender = datagram.getInteger(at: start + 8, endianness: .big, as: UInt64.self),
            let session = datagram.getInteger(at: start + 16, endianness: .big, as: UInt64.self),
            let counter = datagram.getInteger(at: start + 24, endianness: .big, as: UInt64.self)
        else {
            throw SealError(
                .truncated, "sealed datagram of \(datagram.readableBytes) bytes, at least \(Self.overhead) expected")
        }
        guard let key = keyring.key(id: keyID) else {
            throw SealError(.unknownKey, "sealed with key id \(ClusterKeyring.hex(keyID)), not in the keyring")
        }
        let view = datagram.readableBytesView
        let plaintext: Data
        do {
            let box = try ChaChaPoly.SealedBox(combined: Array(view.dropFirst(Self.headerBytes)))
            plaintext = try ChaChaPoly.open(box, using: key, authenticating: Array(view.prefix(Self.headerBytes)))
        } catch {
            throw SealError(.unauthenticated, "tag does not verify with key id \(ClusterKeyring.hex(keyID))")
        }
        var opened = ByteBuffer()
        opened.writeBytes(plaintext)
        return Opened(plaintext: opened, sequence: (NodeID(rawValue: sender), session, counter))
    }

    private static func header(keyID: UInt32, sender: NodeID, session: UInt64, counter: UInt64) -> [UInt8] {
        var header: [UInt8] = []
        header.reserveCapacity(headerBytes)
        for shift in stride(from: 24, through: 0, by: -8) {
            header.append(UInt8(truncatingIfNeeded: magic >> UInt32(shift)))
        }
        for shift in stride(from: 24, through: 0, by: -8) {
            header.append(UInt8(truncatingIfNeeded: keyID >> UInt32(shift)))
        }
        for value in [sender.rawValue, session, counter] {
            for shift in stride(from: 56, through: 0, by: -8) {
                header.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            }
        }
        return header
    }
}
