/// The identity and order of one write: its hybrid timestamp, then its origin peer.
///
/// Write A supersedes write B iff `(A.hlc, A.origin) > (B.hlc, B.origin)`. Because every
/// peer issues strictly increasing timestamps, a stamp is unique per write and the order is total.
public struct Stamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// When the write happened.
    public var hlc: HybridTimestamp
    /// Which peer made it.
    public var origin: NodeID

    /// Creates a stamp.
    public init(hlc: HybridTimestamp, origin: NodeID) {
        self.hlc = hlc
        self.origin = origin
    }

    /// Older than every real write: the base of a counter on a key that never existed.
    public static let zero = Stamp(hlc: .zero, origin: .none)

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.hlc, lhs.origin) < (rhs.hlc, rhs.origin)
    }

    /// The opaque `version` string of the store API: 32 lowercase hex digits.
    public var version: String {
        String(unsafeUninitializedCapacity: 32) { buffer in
            writeHex16(hlc.rawValue, into: buffer, at: 0)
            writeHex16(origin.rawValue, into: buffer, at: 16)
            return 32
        }
    }

    /// Parses a ``version`` string back into a stamp, or returns nil if it is not one.
    public init?(version: String) {
        let utf8 = Array(version.utf8)
        guard utf8.count == 32,
            let hlc = UInt64(String(decoding: utf8[0..<16], as: UTF8.self), radix: 16),
            let origin = UInt64(String(decoding: utf8[16..<32], as: UTF8.self), radix: 16)
        else { return nil }
        self.init(hlc: HybridTimestamp(rawValue: hlc), origin: NodeID(rawValue: origin))
    }

    public var description: String { "\(hlc)@\(origin)" }
}
