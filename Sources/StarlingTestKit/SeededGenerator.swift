public import StarlingCore

/// The seeded generator tests use: the same SplitMix64 as the state machines, so a failing
/// randomised test replays exactly from the seed it prints.
public typealias SeededGenerator = SplitMix64
