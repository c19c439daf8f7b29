import NIOCore

// The replication messages: delta (with its entries and registers), deltaAck, digest, and the
// fragments that carry messages larger than one datagram.

extension ByteBuffer {
    mutating func writeDelta(_ delta: Delta) {
        writeInteger(delta.after, endianness: .big)
        writeInteger(delta.through, endianness: .big)
        writeWireBool(delta.repair)
        writeInteger(delta.clock.rawValue, endianness: .big)
        writeWireCount(delta.claims.count, "delta claims")
        for claim in delta.claims {
            writeInteger(claim.origin.rawValue, endianness: .big)
            writeInteger(claim.clock.rawValue, endianness: .big)
        }
        writeWireCount(delta.entries.count, "delta entries")
        for entry in delta.entries {
            writeWireString(entry.store)
            writeWireString(entry.key)
            writeRegister(entry.register)
        }
    }

    mutating func writeRegister(_ register: Register) {
        writeInteger(register.stamp.hlc.rawValue, endianness: .big)
        writeInteger(register.stamp.origin.rawValue, endianness: .big)
        switch register.content {
        case .tombstone:
            writeInteger(0 as UInt8)
        case .value(let value):
            guard value.bytes.count <= WireFormat.maxValueBytes, let length = UInt32(exactly: value.bytes.count) else {
                preconditionFailure("value of \(value.bytes.count) bytes exceeds the wire limit")
            }
            writeInteger(1 as UInt8)
            writeInteger(length, endianness: .big)
            writeBytes(value.bytes)
        }
        if let expiresAt = register.expiresAt {
            writeInteger(1 as UInt8)
            writeInteger(expiresAt, endianness: .big)
        } else {
            writeInteger(0 as UInt8)
        }
        writeWireCount(register.increments.count, "counter slots")
        for (origin, slot) in register.increments.sorted(by: { $0.key < $1.key }) {
            writeInteger(origin.rawValue, endianness: .big)
            writeInteger(slot.hlc.rawValue, endianness: .big)
            writeInteger(slot.total, endianness: .big)
            writeWireBool(slot.afterExpiry)
        }
    }

    mutating func writeDigest(_ digest: Digest) {
        writeWireBool(digest.reply)
        writeWireCount(digest.hashes.count, "digest hashes")
        for hash in digest.hashes {
            writeInteger(hash, endianness: .big)
        }
    }

    mutating func writeFragment(_ fragment: Fragment) {
        writeInteger(fragment.messageID, endianness: .big)
        writeInteger(fragment.index, endianness: .big)
        writeInteger(fragment.count, endianness: .big)
        writeWireCount(fragment.payload.count, "fragment payload")
        writeBytes(fragment.payload)
    }
}

extension WireReader {
    /// The smallest encoded entry: two empty strings and a tombstone register.
    private static let minEntryBytes = 2 + 2 + 8 + 8 + 1 + 1 + 2

    mutating func delta() throws(WireError) -> Delta {
        let after = try i64("after")
        let through = try i64("through")
        let repair = try bool("repair")
        let clock = HybridTimestamp(rawValue: try u64("clock"))
        let claims = try array("delta claims", minElementBytes: WireFormat.claimBytes) { reader throws(WireError) in
            HeldClaim(
                origin: NodeID(rawValue: try reader.u64("claim origin")),
                clock: HybridTimestamp(rawValue: try reader.u64("claim clock")))
        }
        let entries = try array("delta entries", minElementBytes: Self.minEntryBytes) { reader throws(WireError) in
            try reader.deltaEntry()
        }
        return Delta(after: after, through: through, entries: entries, repair: repair, clock: clock, claims: claims)
    }

    mutating func deltaEntry() throws(WireError) -> DeltaEntry {
        let store = try string("store")
        let key = try string("key")
        return DeltaEntry(store: store, key: key, register: try register())
    }

    mutating func register() throws(WireError) -> Register {
        let hlc = HybridTimestamp(rawValue: try u64("register hlc"))
        let origin = NodeID(rawValue: try u64("register origin"))
        let content: Register.Content
        switch try u8("content tag") {
        case 0:
            content = .tombstone
        case 1:
            let length = try u32("value length")
            guard length <= WireFormat.maxValueBytes else {
                throw WireError(.limitExceeded, "value of \(length) bytes exceeds \(WireFormat.maxValueBytes)")
            }
            content = .value(EncodedValue(canonicalBytes: try bytes(Int(length), "value")))
        case let tag:
            throw WireError(.malformed, "content tag \(tag) is unknown")
        }
        var expiresAt: Int64?
        if try bool("expiry flag") {
            expiresAt = try i64("expires at")
        }
        let slots = try array("counter slots", minElementBytes: WireFormat.slotBytes) {
            reader throws(WireError) -> (NodeID, CounterSlot) in
            let origin = NodeID(rawValue: try reader.u64("slot origin"))
            let hlc = HybridTimestamp(rawValue: try reader.u64("slot hlc"))
            let total = try reader.i64("slot total")
            let afterExpiry = try reader.bool("slot after-expiry flag")
            return (origin, CounterSlot(total: total, hlc: hlc, afterExpiry: afterExpiry))
        }
        var increments: [NodeID: CounterSlot] = [:]
        increments.reserveCapacity(slots.count)
        var previous: NodeID?
        for (slotOrigin, slot) in slots {
            if let previous, slotOrigin <= previous {
                throw WireError(.malformed, "counter slots are not in strictly ascending origin order")
            }
            previous = slotOrigin
            increments[slotOrigin] = slot
        }
        return Register(
            stamp: Stamp(hlc: hlc, origin: origin), content: content, expiresAt: expiresAt, increments: increments)
    }

    mutating func digest() throws(WireError) -> Digest {
        let reply = try bool("reply")
        let hashes = try array("digest hashes", minElementBytes: 8) { reader throws(WireError) in
            try reader.u64("digest hash")
        }
        return Digest(hashes: hashes, reply: reply)
    }

    mutating func fragment() throws(WireError) -> Fragment {
        let messageID = try u32("message id")
        let index = try u16("fragment index")
        let count = try u16("fragment count")
        guard index < count else {
            throw WireError(.malformed, "fragment index \(index) is not below its count \(count)")
        }
        let length = Int(try u16("fragment payload length"))
        let payload = try bytes(length, "fragment payload")
        return Fragment(messageID: messageID, index: index, count: count, payload: payload)
    }
}
