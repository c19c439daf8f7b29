extension Register {
    /// The join of two states of the same key: the one function that decides every merge,
    /// local or remote.
    ///
    /// The base with the greater stamp wins, with its increments. For equal stamps (the same
    /// write seen twice) a tombstone beats a value — the expiry sweep turns an expired value into
    /// a tombstone with the same stamp — and increments merge per origin, newer slot winning.
    /// - Returns: the merged register; commutative, associative and idempotent.
    public func merged(with other: Register) -> Register {
        if stamp != other.stamp {
            return stamp > other.stamp ? self : other
        }
        var result = Self.preferredBase(self, other)
        for (origin, slot) in other.increments {
            if let mine = result.increments[origin], mine >= slot { continue }
            result.increments[origin] = slot
        }
        for (origin, slot) in increments {
            if let theirs = result.increments[origin], theirs >= slot { continue }
            result.increments[origin] = slot
        }
        return result
    }

    /// Of two bases with equal stamps, the one a merge keeps: the dead one, else a
    /// deterministic choice (equal stamps with different values only come from a faulty peer).
    private static func preferredBase(_ a: Register, _ b: Register) -> Register {
        switch (a.content, b.content) {
        case (.tombstone, .value):
            return a
        case (.value, .tombstone):
            return b
        case (.tombstone, .tombstone):
            return (a.expiresAt ?? .min) >= (b.expiresAt ?? .min) ? a : b
        case (.value(let x), .value(let y)):
            if x != y { return x.bytes.lexicographicallyPrecedes(y.bytes) ? b : a }
            return (a.expiresAt ?? .max) <= (b.expiresAt ?? .max) ? a : b
        }
    }
}

/// What applying a register to a store changes.
public enum MergeOutcome: Sendable, Hashable {
    /// The incoming state was already covered: nothing to store.
    case unchanged
    /// Store this register (the join of the current and incoming states).
    case replace(Register)
}

extension Register {
    /// Applies `incoming` to a key's current state under the store's range tombstone.
    ///
    /// Every change to a key, local or replicated, goes through here.
    /// - Parameters:
    ///   - incoming: the state to fold in.
    ///   - current: the key's stored register, if any.
    ///   - clearedBefore: the store's latest `clear()` stamp; bases older than it are deleted.
    /// - Returns: whether the stored state changes, and to what.
    public static func apply(_ incoming: Register, to current: Register?, clearedBefore: Stamp?) -> MergeOutcome {
        if let clearedBefore, incoming.stamp < clearedBefore {
            return .unchanged
        }
        guard let current, clearedBefore.map({ current.stamp >= $0 }) ?? true else {
            return .replace(incoming)
        }
        let merged = current.merged(with: incoming)
        return merged == current ? .unchanged : .replace(merged)
    }
}
