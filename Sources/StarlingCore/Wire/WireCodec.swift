public import NIOCore

/// The Starling wire format, version 3: its constants, its size arithmetic, and (this comment)
/// its specification.
///
/// One UDP datagram carries exactly one envelope (after `DatagramSealer` has opened it, when a
/// cluster key is configured). Integers are fixed width and big-endian; signed integers are
/// two's complement. Nothing is aligned or padded.
///
/// ```
///     envelope    = magic:u32 version:u8 clusterID:u64 sender:u64 type:u8 body
///                   magic = 0x53544C47 ("STLG"), version = 3; the header is 22 bytes
///     type        = 1 ping | 2 pingRequest | 3 ack | 4 delta | 5 deltaAck | 6 digest | 7 fragment
///
///     string      = length:u16 bytes            UTF-8, validated on decode
///     bool        = u8                          0 or 1; any other value is malformed
///     array<T>    = count:u16 T{count}
///     address     = host:string port:u16        host: an IPv4 or IPv6 literal, never a name
///     member      = id:u64 address incarnation:u64 status:u8
///                   status = 0 alive | 1 suspect | 2 dead | 3 left
///
///     ping        = probeID:u64 senderAddress:address senderIncarnation:u64 gossip:array<member>
///     pingRequest = probeID:u64 target:u64 targetAddress:address senderAddress:address
///                   senderIncarnation:u64 gossip:array<member>
///     ack         = probeID:u64 target:u64 targetIncarnation:u64 senderAddress:address
///                   gossip:array<member>
///     delta       = after:i64 through:i64 repair:bool clock:u64 claims:array<claim>
///                   entries:array<entry>
///     claim       = origin:u64 clock:u64              the sender holds every write of origin
///                                                     stamped up to clock
///     entry       = store:string key:string register          key "" = the range tombstone
///     register    = hlc:u64 origin:u64 content expiry increments:array<slot>
///     content     = 0                                         tombstone
///                 | 1 length:u32 bytes                        canonical JSON, opaque to the codec,
///                                                             length <= 16 MiB
///     expiry      = 0 | 1 expiresAt:i64                       never expires | Unix milliseconds
///     slot        = origin:u64 hlc:u64 total:i64 afterExpiry:bool
///                   slots are in strictly ascending origin order (so each origin appears once)
///     deltaAck    = through:i64 horizon:u64 covers:u64
///     digest      = reply:bool hashes:array<u64>
///     fragment    = messageID:u32 index:u16 count:u16 payload:(length:u16 bytes)
///                   1 <= count, index < count; the payloads of indexes 0..<count, concatenated,
///                   are one encoded envelope
/// ```
///
/// Decoding is strict: the envelope must end exactly where its body ends (else `trailingBytes`),
/// and every accepted datagram re-encodes to the same bytes. A reader that does not know the
/// version refuses the datagram (`unsupportedVersion`); a new version gets a new number.
///
/// Version 3 (dissemination along a tree) added a delta's `claims` (what else its sender holds)
/// and turned the acknowledgement's `completeThrough` into the tree-aggregated `horizon` with
/// the fingerprint of the members it `covers`; version 2's golden vectors stay in
/// `Fixtures/wire/v2/`, refused with `unsupportedVersion`.
///
/// Version 2 (Starling's security hardening) made addresses numeric: a host name in any address
/// field is refused (`hostName`), so no datagram can make a peer resolve a name. Version 1 had
/// the same layout and accepted names; its golden vectors stay in `Fixtures/wire/v1/`, refused.
public enum WireFormat {
    /// The first four bytes of every plaintext envelope: "STLG".
    public static let magic: UInt32 = 0x53_54_4C_47
    /// The format version this codec writes and reads.
    public static let version: UInt8 = 3
    /// The largest encoded value a register may carry on the wire: 16 MiB.
    public static let maxValueBytes = 16 << 20

    /// The bytes of the envelope header: magic, version, cluster id, sender, message type.
    static let headerBytes = 4 + 1 + 8 + 8 + 1

    /// The bytes of a delta envelope without its entries and claims (22 header bytes plus
    /// `after`, `through`, `repair`, `clock`, the claim count and the entry count: 51). A delta
    /// of entries `e` and claims `c` encodes to
    /// `envelopeOverhead + c.count * claimBytes + e.map(encodedSize(of:)).reduce(0, +)` bytes,
    /// so a sender can pack entries greedily under a datagram budget.
    public static let envelopeOverhead = headerBytes + 8 + 8 + 1 + 8 + 2 + 2

    /// The bytes of one ``HeldClaim``.
    public static let claimBytes = 8 + 8

    /// The bytes of a fragment envelope without its payload.
    static let fragmentOverhead = headerBytes + 4 + 2 + 2 + 2

    /// The encoded size of one delta entry.
    /// - Parameter entry: the entry.
    /// - Returns: the number of bytes it adds to a delta envelope.
    public static func encodedSize(of entry: DeltaEntry) -> Int {
        wireSize(of: entry.store) + wireSize(of: entry.key) + encodedSize(of: entry.register)
    }

    /// The encoded size of a register.
    static func encodedSize(of register: Register) -> Int {
        var size = 8 + 8 + 1 + 1 + 2
        if case .value(let value) = register.content { size += 4 + value.bytes.count }
        if register.expiresAt != nil { size += 8 }
        return size + register.increments.count * slotBytes
    }

    /// The bytes of one counter slot.
    static let slotBytes = 8 + 8 + 8 + 1
}

/// The message type byte.
enum MessageType: UInt8 {
    case ping = 1
    case pingRequest = 2
    case ack = 3
    case delta = 4
    case deltaAck = 5
    case digest = 6
    case fragment = 7
}

extension ByteBuffer {
    /// Appends `envelope` in the Starling wire format.
    ///
    /// - Parameter envelope: the envelope to encode.
    /// - Precondition: every string is at most 65,535 UTF-8 bytes, every array at most 65,535
    ///   elements, every value at most ``WireFormat/maxValueBytes`` and every fragment payload
    ///   at most 65,535 bytes. The store and the replication settings enforce tighter limits,
    ///   so only a programming error can break them.
    public mutating func writeStarlingEnvelope(_ envelope: Envelope) {
        writeInteger(WireFormat.magic, endianness: .big)
        writeInteger(WireFormat.version)
        writeInteger(envelope.clusterID, endianness: .big)
        writeInteger(envelope.sender.rawValue, endianness: .big)
        switch envelope.message {
        case .ping(let ping):
            writeInteger(MessageType.ping.rawValue)
            writePing(ping)
        case .pingRequest(let request):
            writeInteger(MessageType.pingRequest.rawValue)
            writePingRequest(request)
        case .ack(let ack):
            writeInteger(MessageType.ack.rawValue)
            writeAck(ack)
        case .delta(let delta):
            writeInteger(MessageType.delta.rawValue)
            writeDelta(delta)
        case .deltaAck(let ack):
            writeInteger(MessageType.deltaAck.rawValue)
            writeInteger(ack.through, endianness: .big)
            writeInteger(ack.horizon.rawValue, endianness: .big)
            writeInteger(ack.covers, endianness: .big)
        case .digest(let digest):
            writeInteger(MessageType.digest.rawValue)
            writeDigest(digest)
        case .fragment(let fragment):
            writeInteger(MessageType.fragment.rawValue)
            writeFragment(fragment)
        }
    }

    /// Reads one envelope that fills all the readable bytes (one datagram).
    ///
    /// On success the reader index moves past the envelope; on failure it does not move.
    /// Never traps on any input.
    /// - Returns: the decoded envelope.
    /// - Throws: ``WireError`` with reason `badMagic`, `unsupportedVersion`, `truncated`,
    ///   `unknownMessageType`, `invalidUTF8`, `limitExceeded`, `trailingBytes` or `malformed`.
    public mutating func readStarlingEnvelope() throws(WireError) -> Envelope {
        var reader = WireReader(self)
        let envelope = try reader.envelope()
        guard reader.remaining == 0 else {
            throw WireError(.trailingBytes, "\(reader.remaining) bytes follow the message")
        }
        self = reader.buffer
        return envelope
    }
}

extension WireReader {
    /// Reads the header and the body of one envelope.
    mutating func envelope() throws(WireError) -> Envelope {
        guard remaining >= 4 else {
            throw WireError(.truncated, "datagram of \(remaining) bytes is shorter than the magic")
        }
        let magic = try u32("magic")
        guard magic == WireFormat.magic else {
            throw WireError(.badMagic, "magic is 0x\(String(magic, radix: 16)), not a Starling datagram")
        }
        let version = try u8("version")
        guard version == WireFormat.version else {
            throw WireError(.unsupportedVersion, "format version \(version), this peer reads \(WireFormat.version)")
        }
        let clusterID = try u64("cluster id")
        let sender = NodeID(rawValue: try u64("sender"))
        let typeByte = try u8("message type")
        guard let type = MessageType(rawValue: typeByte) else {
            throw WireError(.unknownMessageType, "message type \(typeByte)")
        }
        let message: Message
        switch type {
        case .ping: message = .ping(try ping())
        case .pingRequest: message = .pingRequest(try pingRequest())
        case .ack: message = .ack(try ack())
        case .delta: message = .delta(try delta())
        case .deltaAck:
            message = .deltaAck(
                DeltaAck(
                    through: try i64("through"), horizon: HybridTimestamp(rawValue: try u64("horizon")),
                    covers: try u64("covers")))
        case .digest: message = .digest(try digest())
        case .fragment: message = .fragment(try fragment())
        }
        return Envelope(clusterID: clusterID, sender: sender, message: message)
    }
}
