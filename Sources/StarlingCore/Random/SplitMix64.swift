/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny seeded generator, so every random
/// choice of the state machines replays exactly from its seed. Bounded values and shuffles are
/// computed here rather than by the standard library, whose algorithms may change between
/// releases.
public struct SplitMix64: Sendable, Hashable, RandomNumberGenerator {
    private var state: UInt64

    /// Creates a generator; the same seed gives the same sequence on every machine.
    public init(seed: UInt64) {
        state = seed
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in `0..<bound` by multiply-shift (Lemire); 0 when `bound` is not positive.
    /// The bias, below `bound / 2^64`, does not matter here.
    public mutating func next(below bound: Int) -> Int {
        guard bound > 1 else { return 0 }
        return Int(next().multipliedFullWidth(by: UInt64(bound)).high)
    }

    /// Shuffles `array` in place (Fisher-Yates).
    public mutating func shuffle<Element>(_ array: inout [Element]) {
        guard array.count > 1 else { return }
        for index in stride(from: array.count - 1, to: 0, by: -1) {
            array.swapAt(index, next(below: index + 1))
        }
    }

    /// Up to `count` distinct elements of `items`, chosen at random (partial Fisher-Yates).
    public mutating func sample<Element>(_ items: [Element], count: Int) -> [Element] {
        var pool = items
        let taken = min(max(0, count), pool.count)
        for index in 0..<taken {
            pool.swapAt(index, index + next(below: pool.count - index))
        }
        return Array(pool.prefix(taken))
    }
}
