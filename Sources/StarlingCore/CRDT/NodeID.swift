/// The 64-bit identity of a peer: random, created on first start and persisted.
/// It is the `origin` of every write the peer makes and breaks ties between equal timestamps.
public struct NodeID: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The identity's raw bits.
    public var rawValue: UInt64

    /// Creates an identity from its raw bits.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Creates a random identity from `generator` (never zero, which is reserved for "nobody").
    public static func random(using generator: inout some RandomNumberGenerator) -> NodeID {
        NodeID(rawValue: UInt64.random(in: 1...UInt64.max, using: &generator))
    }

    /// The reserved identity of no peer, used by the implicit zero base of counters.
    public static let none = NodeID(rawValue: 0)

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Sixteen lowercase hex digits.
    public var description: String { hex16(rawValue) }
}

/// Formats `value` as sixteen lowercase hex digits (one allocation: it is on the read path).
package func hex16(_ value: UInt64) -> String {
    String(unsafeUninitializedCapacity: 16) { buffer in
        writeHex16(value, into: buffer, at: 0)
        return 16
    }
}

/// Writes `value` as sixteen lowercase hex digits into `buffer` starting at `offset`.
package func writeHex16(_ value: UInt64, into buffer: UnsafeMutableBufferPointer<UInt8>, at offset: Int) {
    for index in 0..<16 {
        let nibble = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * index)) & 0xF
        buffer[offset + index] = nibble < 10 ? 0x30 + nibble : 0x57 + nibble
    }
}
