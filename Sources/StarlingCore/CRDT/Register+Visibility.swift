/// What a read sees of a register at one instant.
public enum Visibility: Sendable, Hashable {
    /// Missing, deleted or expired.
    case absent
    /// A live value, with the instant it expires (Unix milliseconds) if it does.
    case live(EncodedValue, expiresAt: Int64?)
}

extension Register {
    /// Whether the base is dead at `nowMillis`, and if so whether it died by expiring.
    private func baseState(at nowMillis: Int64) -> BaseState {
        switch content {
        case .tombstone:
            return expiresAt == nil ? .deleted : .expired
        case .value:
            if let expiresAt, nowMillis >= expiresAt { return .expired }
            return .live
        }
    }

    private enum BaseState {
        case live, deleted, expired
    }

    /// The exact sum of the increments that count in the base's current state. It is exact (128
    /// bits hold the sum of any number of 64-bit slots a register can carry), so it does not
    /// depend on the order slots are added in, and every peer computes the same result.
    private func countedIncrements(_ state: BaseState) -> (sum: Int128, any: Bool) {
        var sum: Int128 = 0
        var any = false
        for slot in increments.values where state == .deleted || slot.afterExpiry == (state == .expired) {
            sum += Int128(slot.total)
            any = true
        }
        return (sum, any)
    }

    /// A counter's exact value as a 64-bit integer, saturated at `Int64.min` and `Int64.max`.
    ///
    /// Concurrent increments on different peers can together pass the 64-bit range although
    /// each was accepted locally; after they merge, every peer shows the same saturated value
    /// (never a wrapped one), and a local increment that would leave the range is refused.
    static func saturated(_ exact: Int128) -> Int64 {
        exact > Int128(Int64.max) ? .max : exact < Int128(Int64.min) ? .min : Int64(exact)
    }

    /// What a read at `nowMillis` sees.
    ///
    /// A live base shows its value, plus the increments made while it lived if it is an
    /// integer or a decimal string (``EncodedValue/counterBase``): then it shows the sum, an integer. A dead base is absent unless increments were made after it died: then the key
    /// is a counter counting from zero, with no expiry.
    public func visibility(at nowMillis: Int64) -> Visibility {
        let state = baseState(at: nowMillis)
        let counted = countedIncrements(state)
        switch (state, content) {
        case (.live, .value(let base)):
            guard counted.any, let baseInteger = base.counterBase else {
                return .live(base, expiresAt: expiresAt)
            }
            return .live(
                EncodedValue(integer: Self.saturated(Int128(baseInteger) + counted.sum)), expiresAt: expiresAt)
        default:
            return counted.any ? .live(EncodedValue(integer: Self.saturated(counted.sum)), expiresAt: nil) : .absent
        }
    }

    /// The register after this origin adds `amount` at `hlc`, as seen at `nowMillis`.
    ///
    /// The increment ties to the current base. If the base is alive it must hold an integer.
    /// - Returns: the new register and the counter's new visible value, or nil if the live base
    ///   is not an integer or the result overflows 64 bits.
    public func incremented(by amount: Int64, origin: NodeID, hlc: HybridTimestamp, nowMillis: Int64)
        -> (register: Register, value: Int64)?
    {
        let state = baseState(at: nowMillis)
        var base: Int64 = 0
        if state == .live {
            guard case .value(let encoded) = content, let integer = encoded.counterBase else { return nil }
            base = integer
        }
        let afterExpiry = state == .expired
        let counted = countedIncrements(state)
        var mine: Int64 = 0
        if let slot = increments[origin], state == .deleted || slot.afterExpiry == afterExpiry {
            mine = slot.total
        }
        let (newSlotTotal, slotOverflow) = mine.addingReportingOverflow(amount)
        let exact = Int128(base) + counted.sum + Int128(amount)
        guard !slotOverflow, let value = Int64(exactly: exact) else { return nil }
        var next = self
        next.increments[origin] = CounterSlot(total: newSlotTotal, hlc: hlc, afterExpiry: afterExpiry)
        return (next, value)
    }

    /// The register after the expiry sweep: an expired value becomes a tombstone with the same
    /// stamp and expiry, so its bytes are freed but an older copy still cannot resurrect it.
    /// - Returns: nil if the base is not an expired value at `nowMillis`.
    public func sweptIfExpired(at nowMillis: Int64) -> Register? {
        guard case .value = content, let expiresAt, nowMillis >= expiresAt else { return nil }
        var swept = self
        swept.content = .tombstone
        return swept
    }
}
