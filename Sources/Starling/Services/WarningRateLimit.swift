/// Keeps a flood of one kind of event from flooding the log: at most one warning per key per
/// interval, each saying how many were left unlogged since the last one. Callers count every
/// event in metrics either way.
struct WarningRateLimit<Key: Hashable & Sendable>: Sendable {
    /// The least time between two warnings of one key, in milliseconds.
    let intervalMillis: Int64
    private var last: [Key: (millis: Int64, unlogged: Int)] = [:]

    /// A limit of one warning per key per `intervalMillis`. Default 10 s.
    init(intervalMillis: Int64 = 10_000) {
        self.intervalMillis = intervalMillis
    }

    /// Records an event of `key` at `nowMillis`.
    /// - Returns: the number of events of `key` left unlogged since its last warning when this
    ///   one should be logged, or nil to stay quiet.
    mutating func admit(_ key: Key, nowMillis: Int64) -> Int? {
        if let previous = last[key], nowMillis - previous.millis < intervalMillis {
            last[key]?.unlogged += 1
            return nil
        }
        defer { last[key] = (nowMillis, 0) }
        return last[key]?.unlogged ?? 0
    }
}
