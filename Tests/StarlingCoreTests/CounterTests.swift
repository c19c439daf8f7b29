import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct CounterTests {
    let a = NodeID(rawValue: 1)
    let b = NodeID(rawValue: 2)

    func hlc(_ millis: UInt64) -> HybridTimestamp { HybridTimestamp(physicalMillis: millis, logical: 0) }

    func value(_ register: Register, at now: Int64 = 0) -> Int64? {
        guard case .live(let value, _) = register.visibility(at: now) else { return nil }
        return value.integerValue
    }

    @Test func concurrentIncrementsOnAMissingKeyAllCount() throws {
        let base = Register.zeroBase(at: .zero)
        let onA = try #require(base.incremented(by: 2, origin: a, hlc: hlc(10), nowMillis: 10))
        let onB = try #require(base.incremented(by: 3, origin: b, hlc: hlc(11), nowMillis: 11))
        #expect(onA.value == 2 && onB.value == 3)
        #expect(value(onA.register.merged(with: onB.register)) == 5)
        let again = try #require(onA.register.incremented(by: 1, origin: a, hlc: hlc(12), nowMillis: 12))
        #expect(value(again.register.merged(with: onB.register)) == 6)
    }

    @Test func incrementOfALiveIntegerAddsToItAndRefusesNonIntegers() throws {
        let base = Register(stamp: Stamp(hlc: hlc(5), origin: a), content: .value(EncodedValue(integer: 40)))
        let next = try #require(base.incremented(by: 2, origin: b, hlc: hlc(6), nowMillis: 6))
        #expect(next.value == 42)
        let text = Register(stamp: Stamp(hlc: hlc(5), origin: a), content: .value(EncodedValue(.string("x"))))
        #expect(text.incremented(by: 1, origin: a, hlc: hlc(6), nowMillis: 6) == nil)
        let big = Register(stamp: Stamp(hlc: hlc(5), origin: a), content: .value(EncodedValue(integer: .max)))
        #expect(big.incremented(by: 1, origin: a, hlc: hlc(6), nowMillis: 6) == nil)
    }

    @Test func incrementsMadeBeforeExpiryDieWithTheKeyAndLaterOnesCountFromZero() throws {
        let base = Register(
            stamp: Stamp(hlc: hlc(5), origin: a), content: .value(EncodedValue(integer: 10)), expiresAt: 100)
        let before = try #require(base.incremented(by: 5, origin: a, hlc: hlc(50), nowMillis: 50))
        #expect(before.value == 15)
        #expect(value(before.register, at: 99) == 15)
        #expect(before.register.visibility(at: 100) == .absent)
        let after = try #require(before.register.incremented(by: 1, origin: a, hlc: hlc(120), nowMillis: 120))
        #expect(after.value == 1)
        #expect(value(after.register, at: 130) == 1)
    }

    @Test func aLaterSetResetsTheCounter() throws {
        let base = Register.zeroBase(at: .zero)
        let counted = try #require(base.incremented(by: 9, origin: a, hlc: hlc(10), nowMillis: 10))
        let set = Register(stamp: Stamp(hlc: hlc(11), origin: b), content: .value(EncodedValue(integer: 1)))
        #expect(value(counted.register.merged(with: set)) == 1)
    }

    @Test func concurrentIncrementsPastTheRangeSaturateAlikeOnEveryPeerInsteadOfWrapping() throws {
        // Two partitioned peers each add 9e18, accepted locally; after the heal the sum once
        // wrapped to -446744073709551616 on both.
        let base = Register.zeroBase(at: .zero)
        let onA = try #require(base.incremented(by: 9_000_000_000_000_000_000, origin: a, hlc: hlc(10), nowMillis: 10))
        let onB = try #require(base.incremented(by: 9_000_000_000_000_000_000, origin: b, hlc: hlc(11), nowMillis: 11))
        let ab = onA.register.merged(with: onB.register)
        let ba = onB.register.merged(with: onA.register)
        #expect(value(ab) == .max)
        #expect(value(ba) == .max)
        // A further increment that cannot be shown is refused; one back into range is taken.
        #expect(ab.incremented(by: 1, origin: a, hlc: hlc(12), nowMillis: 12) == nil)
        let back = try #require(ab.incremented(by: -9_000_000_000_000_000_000, origin: a, hlc: hlc(13), nowMillis: 13))
        #expect(back.value == 9_000_000_000_000_000_000)
        // The same below the range, on a live integer base.
        let low = Register(stamp: Stamp(hlc: hlc(5), origin: a), content: .value(EncodedValue(integer: -5)))
        let downA = try #require(low.incremented(by: .min + 5, origin: a, hlc: hlc(6), nowMillis: 6))
        let downB = try #require(low.incremented(by: -100, origin: b, hlc: hlc(7), nowMillis: 7))
        #expect(value(downA.register.merged(with: downB.register)) == .min)
        #expect(value(downB.register.merged(with: downA.register)) == .min)
    }
}
