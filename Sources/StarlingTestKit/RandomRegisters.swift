public import StarlingCore

/// Random registers for merge properties: values, tombstones, expiries and counters, drawn from
/// small pools of stamps so that equal stamps (the same write seen twice) and ties happen often.
public enum RandomRegisters {
    /// A random register of one key.
    public static func register(using rng: inout SeededGenerator) -> Register {
        let origins = [NodeID(rawValue: 1), NodeID(rawValue: 2), NodeID(rawValue: UInt64.max - 1)]
        let stamp = Stamp(
            hlc: HybridTimestamp(
                physicalMillis: UInt64.random(in: 1_000...1_003, using: &rng),
                logical: UInt16.random(in: 0...1, using: &rng)),
            origin: origins.randomElement(using: &rng)!)
        let content: Register.Content
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: content = .tombstone
        case 1: content = .value(EncodedValue(integer: Int64.random(in: -3...3, using: &rng)))
        case 2: content = .value(EncodedValue(.string(["a", "b"].randomElement(using: &rng)!)))
        default: content = .value(EncodedValue(integer: 7))
        }
        let expiresAt: Int64? = Bool.random(using: &rng) ? nil : Int64.random(in: 1_001...1_004, using: &rng)
        var increments: [NodeID: CounterSlot] = [:]
        for origin in origins where Int.random(in: 0..<3, using: &rng) == 0 {
            increments[origin] = CounterSlot(
                total: Int64.random(in: -5...5, using: &rng),
                hlc: HybridTimestamp(physicalMillis: UInt64.random(in: 1_000...1_006, using: &rng), logical: 0),
                afterExpiry: Bool.random(using: &rng))
        }
        return Register(stamp: stamp, content: content, expiresAt: expiresAt, increments: increments)
    }
}
