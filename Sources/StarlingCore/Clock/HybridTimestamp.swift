/// A 64-bit hybrid logical timestamp: the high 48 bits are physical milliseconds since
/// the Unix epoch, the low 16 bits a logical counter (Kulkarni et al., 2014).
///
/// Timestamps compare as their raw 64-bit value, so a later physical time always
/// orders after an earlier one and the counter orders writes within one millisecond.
public struct HybridTimestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The packed representation: `physicalMillis << 16 | logical`.
    public var rawValue: UInt64

    /// The largest physical time a timestamp can carry (year 10889).
    public static let maxPhysicalMillis: UInt64 = (1 << 48) - 1
    /// The zero timestamp, older than every issued one.
    public static let zero = HybridTimestamp(rawValue: 0)

    /// Creates a timestamp from its packed representation.
    public init(rawValue: UInt64) {
        self.rawValue = rawValue
    }

    /// Creates a timestamp from its parts.
    /// - Parameters:
    ///   - physicalMillis: milliseconds since the Unix epoch, at most ``maxPhysicalMillis``.
    ///   - logical: the counter within that millisecond.
    public init(physicalMillis: UInt64, logical: UInt16) {
        precondition(physicalMillis <= Self.maxPhysicalMillis, "physical time beyond 48 bits")
        self.rawValue = physicalMillis << 16 | UInt64(logical)
    }

    /// Milliseconds since the Unix epoch.
    public var physicalMillis: UInt64 { rawValue >> 16 }

    /// The counter within ``physicalMillis``.
    public var logical: UInt16 { UInt16(truncatingIfNeeded: rawValue) }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    public var description: String { "\(physicalMillis).\(logical)" }
}
