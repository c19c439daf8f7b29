/// The replicated state of one key: a last-writer-wins register with an optional counter.
///
/// A register is the unit that is stored, merged and replicated. Its **base** is the last
/// LWW write (`set`, `delete`, `expire`, or the implicit zero base of a counter on a missing
/// key): ``stamp``, ``content`` and ``expiresAt``. Its ``increments`` are the per-origin
/// counter slots (a PN-counter) tied to that base: a later base write resets them.
///
/// Registers form a join-semilattice under ``merged(with:)``: the merge is commutative,
/// associative and idempotent, so peers that have seen the same writes hold the same state
/// whatever the order, duplication or grouping of deliveries.
public struct Register: Sendable, Hashable {
    /// What the base write stored.
    public enum Content: Sendable, Hashable {
        /// A JSON value in its canonical encoding.
        case value(EncodedValue)
        /// No value: a deletion, an expired value after the sweep, or the zero base of a counter.
        case tombstone
    }

    /// The stamp of the base write.
    public var stamp: Stamp
    /// What the base write stored.
    public var content: Content
    /// When the base write expires, in Unix milliseconds, or nil if it never does.
    public var expiresAt: Int64?
    /// Counter increments tied to this base, one slot per origin peer.
    public var increments: [NodeID: CounterSlot]

    /// Creates a register.
    public init(stamp: Stamp, content: Content, expiresAt: Int64? = nil, increments: [NodeID: CounterSlot] = [:]) {
        self.stamp = stamp
        self.content = content
        self.expiresAt = expiresAt
        self.increments = increments
    }

    /// The key under which a store keeps its `clear()` range tombstone. User keys are never empty.
    public static let rangeTombstoneKey = ""

    /// The base of a counter on a key that has no register: a tombstone at `stamp`, which is
    /// the store's latest `clear()` stamp, or ``Stamp/zero`` if it was never cleared. Peers that
    /// increment a missing key concurrently tie to the same base, so no increment is lost.
    public static func zeroBase(at stamp: Stamp) -> Register {
        Register(stamp: stamp, content: .tombstone)
    }

    /// The latest stamp of any write folded into this register (base or increment):
    /// the `version` that the store API reports.
    public var latestStamp: Stamp {
        var latest = stamp
        for (origin, slot) in increments {
            let slotStamp = Stamp(hlc: slot.hlc, origin: origin)
            if slotStamp > latest { latest = slotStamp }
        }
        return latest
    }
}

/// One origin's contribution to a counter: the running total of its increments (negative
/// for decrements) and the timestamp of its latest one. Only the origin writes its own slot,
/// so the slot with the later timestamp is the newer one.
public struct CounterSlot: Sendable, Hashable, Comparable {
    /// The sum of this origin's increments tied to the register's base.
    public var total: Int64
    /// When this origin last incremented.
    public var hlc: HybridTimestamp
    /// True if the increments were made after the base had expired: they count from zero
    /// once the base is dead, and are ignored while it is alive.
    public var afterExpiry: Bool

    /// Creates a slot.
    public init(total: Int64, hlc: HybridTimestamp, afterExpiry: Bool = false) {
        self.total = total
        self.hlc = hlc
        self.afterExpiry = afterExpiry
    }

    /// Newer slots order later; the remaining fields only make the order total for merges.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.hlc, !lhs.afterExpiry ? 0 : 1, lhs.total) < (rhs.hlc, !rhs.afterExpiry ? 0 : 1, rhs.total)
    }
}
