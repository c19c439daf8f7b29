import StarlingCore

/// The column layout of a register in the `entries` table, shared by every query that
/// reads or writes one, so there is one place that knows it.
package enum EntryRow {
    /// The columns a register is read from, in this order, starting at column 0.
    package static let registerColumns = "hlc, origin, value, expires_at, counters"

    /// Decodes the register whose ``registerColumns`` start at `first`.
    static func register(from row: SQLiteStatement, startingAt first: Int32 = 0) -> Register {
        let stamp = Stamp(
            hlc: HybridTimestamp(rawValue: row.uint64(first)),
            origin: NodeID(rawValue: row.uint64(first + 1)))
        let content: Register.Content =
            row.blobOrNil(first + 2).map { .value(EncodedValue(canonicalBytes: $0)) }
            ?? .tombstone
        let increments = row.blobOrNil(first + 4).map(decodeIncrements) ?? [:]
        return Register(stamp: stamp, content: content, expiresAt: row.int64OrNil(first + 3), increments: increments)
    }

    /// Binds a register to five consecutive parameters starting at `first`, in ``registerColumns`` order.
    static func bind(_ register: Register, to statement: SQLiteStatement, startingAt first: Int32) throws(SQLiteError) {
        try statement.bind(first, register.stamp.hlc.rawValue)
        try statement.bind(first + 1, register.stamp.origin.rawValue)
        switch register.content {
        case .value(let value): try statement.bind(first + 2, blob: value.bytes)
        case .tombstone: try statement.bind(first + 2, blob: nil)
        }
        try statement.bind(first + 3, register.expiresAt)
        try statement.bind(first + 4, blob: register.increments.isEmpty ? nil : encodeIncrements(register.increments))
    }

    private static let slotBytes = 25

    /// Counter slots as 25-byte records sorted by origin: origin, hlc, total (big-endian), flag.
    static func encodeIncrements(_ increments: [NodeID: CounterSlot]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(increments.count * slotBytes)
        for (origin, slot) in increments.sorted(by: { $0.key < $1.key }) {
            appendBigEndian(origin.rawValue, to: &bytes)
            appendBigEndian(slot.hlc.rawValue, to: &bytes)
            appendBigEndian(UInt64(bitPattern: slot.total), to: &bytes)
            bytes.append(slot.afterExpiry ? 1 : 0)
        }
        return bytes
    }

    /// Decodes ``encodeIncrements(_:)``; a truncated trailing record is ignored.
    static func decodeIncrements(_ bytes: [UInt8]) -> [NodeID: CounterSlot] {
        var increments: [NodeID: CounterSlot] = [:]
        var offset = 0
        while offset + slotBytes <= bytes.count {
            let origin = readBigEndian(bytes, at: offset)
            let hlc = readBigEndian(bytes, at: offset + 8)
            let total = Int64(bitPattern: readBigEndian(bytes, at: offset + 16))
            increments[NodeID(rawValue: origin)] = CounterSlot(
                total: total, hlc: HybridTimestamp(rawValue: hlc), afterExpiry: bytes[offset + 24] != 0)
            offset += slotBytes
        }
        return increments
    }

    private static func appendBigEndian(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 56, through: 0, by: -8) {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
        }
    }

    private static func readBigEndian(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in offset..<offset + 8 {
            value = value << 8 | UInt64(bytes[index])
        }
        return value
    }
}
