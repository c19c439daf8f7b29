import PropertyBased
import StarlingCore
import StarlingTestKit
import Testing

/// The merge is a join-semilattice: commutative, associative, idempotent.
@Suite(.showsLogsOnFailure) struct RegisterMergeTests {
    @Test func mergeIsCommutativeAssociativeAndIdempotent() async {
        await propertyCheck(count: 2_000, input: Gen.uint64()) { seed in
            var rng = SeededGenerator(seed: seed)
            let a = RandomRegisters.register(using: &rng)
            let b = RandomRegisters.register(using: &rng)
            let c = RandomRegisters.register(using: &rng)
            #expect(a.merged(with: b) == b.merged(with: a), "commutative, seed \(seed)")
            #expect(a.merged(with: b).merged(with: c) == a.merged(with: b.merged(with: c)), "associative, seed \(seed)")
            #expect(a.merged(with: a) == a, "idempotent, seed \(seed)")
            #expect(a.merged(with: b).merged(with: b) == a.merged(with: b), "absorbs duplicates, seed \(seed)")
        }
    }

    @Test func applyingInAnyOrderUnderRangeTombstonesGivesTheSameState() async {
        await propertyCheck(count: 1_000, input: Gen.uint64()) { seed in
            var rng = SeededGenerator(seed: seed)
            let writes = (0..<6).map { _ in RandomRegisters.register(using: &rng) }
            let clear: Stamp? = Bool.random(using: &rng) ? writes.randomElement(using: &rng)!.stamp : nil
            func replay(_ order: [Register]) -> Register? {
                var state: Register?
                for write in order {
                    if case .replace(let next) = Register.apply(write, to: state, clearedBefore: clear) { state = next }
                }
                return state
            }
            let forward = replay(writes)
            let shuffled = replay((writes + writes.prefix(2)).shuffled(using: &rng))
            #expect(forward == shuffled, "seed \(seed)")
        }
    }

    @Test func laterBaseWinsWithItsIncrementsAndResetsOlderOnes() {
        let origin = NodeID(rawValue: 5)
        let old = Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: 10), origin: origin), content: .value(EncodedValue(integer: 1)),
            increments: [origin: CounterSlot(total: 4, hlc: HybridTimestamp(rawValue: 20))])
        let set = Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: 11), origin: origin), content: .value(EncodedValue(integer: 0)))
        #expect(old.merged(with: set) == set)
        #expect(set.merged(with: old) == set)
    }

    @Test func sameWriteSeenAsValueAndAsSweptTombstoneMergesToTheTombstone() {
        let value = Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: 10), origin: NodeID(rawValue: 1)),
            content: .value(EncodedValue(.string("x"))), expiresAt: 50)
        let swept = value.sweptIfExpired(at: 50)!
        #expect(value.sweptIfExpired(at: 49) == nil)
        #expect(value.merged(with: swept) == swept)
        #expect(swept.merged(with: value) == swept)
    }

    @Test func applyDropsWritesOlderThanTheRangeTombstone() {
        let clear = Stamp(hlc: HybridTimestamp(rawValue: 100), origin: NodeID(rawValue: 1))
        let older = Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: 99), origin: NodeID(rawValue: 9)), content: .tombstone)
        let newer = Register(
            stamp: Stamp(hlc: HybridTimestamp(rawValue: 101), origin: NodeID(rawValue: 9)), content: .tombstone)
        #expect(Register.apply(older, to: nil, clearedBefore: clear) == .unchanged)
        #expect(Register.apply(newer, to: nil, clearedBefore: clear) == .replace(newer))
        #expect(Register.apply(newer, to: newer, clearedBefore: clear) == .unchanged)
    }
}
