import StarlingCore

/// FNV-1a over a canonical serialisation: stable across processes and builds (unlike `Hasher`).
struct StableHash {
    private var low: UInt64 = 0xcbf2_9ce4_8422_2325
    private var high: UInt64 = 0x8422_2325_cbf2_9ce4

    mutating func combine(_ bytes: [UInt8]) {
        combine(UInt64(bytes.count))
        for byte in bytes { feed(byte) }
    }

    mutating func combine(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { feed(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func combine(_ register: Register) {
        combine(register.stamp.hlc.rawValue)
        combine(register.stamp.origin.rawValue)
        switch register.content {
        case .value(let value):
            combine(1)
            combine(value.bytes)
        case .tombstone: combine(0)
        }
        combine(register.expiresAt.map { UInt64(bitPattern: $0) } ?? .max)
        combine(EntryRow.encodeIncrements(register.increments))
    }

    private mutating func feed(_ byte: UInt8) {
        low = (low ^ UInt64(byte)) &* 0x100_0000_01b3
        high = (high ^ UInt64(byte ^ 0x5a)) &* 0x100_0000_01b3
    }

    /// The 128-bit digest as 32 hex digits.
    var hexDigest: String { hex(high) + hex(low) }

    /// A 64-bit digest, for bucket choice and per-entry hashes.
    var value64: UInt64 { low ^ (high &* 0x9E37_79B9_7F4A_7C15) }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
