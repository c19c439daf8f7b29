import StarlingCore

/// The recent part of a node's change feed as the ``FeedHub`` read it, shared by every feed that
/// is caught up: one storage read per commit serves them all.
///
/// The window holds every row with a sequence number in `(start, end]` as it was when read
/// (across all stores), its value already decoded, so a feed taking from it costs only the
/// filtering of its store and prefix. A row overwritten by a later one in the window is skipped,
/// as a read of storage would no longer find it: a feed reports the latest state of each key. It keeps at most ``maxRows`` rows and ``maxBytes`` bytes of
/// values: older rows drop off the front (`start` moves up), and a feed positioned before `start`
/// reads storage on its own until it catches up, so a slow feed never holds the window back.
struct FeedWindow {
    /// One row of the feed.
    struct Row {
        var seq: Int64
        var store: StoreID
        var key: String
        /// The key's UTF-8 bytes, for prefix filtering.
        var keyBytes: [UInt8]
        var register: Register
        /// The register's value decoded when the row was read, if it was live then.
        var decoded: JSONValue?
        /// Why the stored value could not be decoded, if it could not.
        var decodeFailure: String?
        /// The bytes this row counts against ``maxBytes``.
        var bytes: Int
    }

    /// A key of a store, which the window's latest row of is tracked for.
    private struct StoreKey: Hashable {
        var store: StoreID
        var key: [UInt8]
    }

    /// What ``take(after:store:keys:limit:)`` found for a feed.
    enum Take {
        /// The feed is before ``start``: it must read storage itself.
        case behind
        /// Nothing after the position yet: wait for the next commit.
        case caughtUp
        /// The matching rows after the position (possibly none), and the position they reach.
        case rows([Row], through: Int64)
    }

    /// Every row after `start` through ``end`` is held (or was overwritten before it was read).
    private(set) var start: Int64
    /// The position the last read reached.
    private(set) var end: Int64
    let maxRows: Int
    let maxBytes: Int
    private var rows: [Row] = []
    /// The sequence number of each key's latest row in the window.
    private var latest: [StoreKey: Int64] = [:]
    /// Rows before this index were trimmed and wait to be compacted away.
    private var first = 0
    private var bytes = 0

    /// An empty window at `head`.
    init(head: Int64, maxRows: Int, maxBytes: Int) {
        start = head
        end = head
        self.maxRows = Swift.max(1, maxRows)
        self.maxBytes = Swift.max(1, maxBytes)
    }

    /// How many rows the window holds.
    var count: Int { rows.count - first }

    /// Appends the rows of one read after ``end`` and moves ``end`` to `through`.
    /// - Parameter purgedSeq: the purge watermark of the read's snapshot. Rows up to it may have
    ///   been purged before the read saw them, so the window then starts after it: feeds
    ///   positioned before it read storage themselves, which refuses them as truncated.
    mutating func append(_ new: [Row], through: Int64, purgedSeq: Int64) {
        if purgedSeq > end {
            rows.removeAll()
            latest.removeAll()
            first = 0
            bytes = 0
            start = Swift.min(purgedSeq, through)
        }
        for row in new where row.seq > end && row.seq > start {
            rows.append(row)
            latest[StoreKey(store: row.store, key: row.keyBytes)] = row.seq
            bytes += row.bytes
        }
        end = Swift.max(end, through)
        trim()
    }

    /// Drops rows off the front until the window fits its bounds.
    private mutating func trim() {
        while count > maxRows || (bytes > maxBytes && count > 0) {
            let dropped = rows[first]
            bytes -= dropped.bytes
            start = dropped.seq
            let key = StoreKey(store: dropped.store, key: dropped.keyBytes)
            if latest[key] == dropped.seq { latest[key] = nil }
            first += 1
        }
        if first > 0, first >= rows.count / 2 {
            rows.removeFirst(first)
            first = 0
        }
    }

    /// Up to `limit` rows of `store` after `position` whose keys are in `keys` (the store's range
    /// tombstone always matches), and the position a feed reaches by taking them.
    func take(after position: Int64, store: StoreID, keys: FeedKeyRange, limit: Int) -> Take {
        if position < start { return .behind }
        if position >= end { return .caughtUp }
        var low = first
        var high = rows.count
        while low < high {
            let middle = (low + high) / 2
            if rows[middle].seq <= position { low = middle + 1 } else { high = middle }
        }
        var taken: [Row] = []
        var index = low
        while index < rows.count, taken.count < limit {
            let row = rows[index]
            if row.store == store, keys.contains(row.keyBytes),
                latest[StoreKey(store: store, key: row.keyBytes)] == row.seq
            {
                taken.append(row)
            }
            index += 1
        }
        // Stopped at the limit: resume after the last row taken; else everything through `end` was seen.
        let through = index < rows.count ? rows[index - 1].seq : end
        return .rows(taken, through: through)
    }
}

extension FeedKeyRange {
    /// Whether a feed with this range reports the key `bytes`: an empty key (the range
    /// tombstone, a `clear`) always, others when they are in `[lower, upper)`.
    func contains(_ bytes: [UInt8]) -> Bool {
        if bytes.isEmpty || lower.isEmpty { return true }
        guard !bytes.lexicographicallyPrecedes(lower) else { return false }
        guard let upper else { return true }
        return bytes.lexicographicallyPrecedes(upper)
    }
}
