import Logging
import StarlingCore

/// Reads a node's change feed forward in chunks and packs it into deltas for one member, so a
/// run of deltas costs one read per ``ReplicationEngine/changesPerRead`` changes.
struct FeedCursor {
    /// The feed head and clock when the cursor was made: a delta that reaches the end of the feed
    /// as of `head` proves everything this node had stamped up to `clock`.
    private let head: Int64
    private let clock: HybridTimestamp
    private var buffered: ArraySlice<Change> = []
    private var readAfter: Int64
    /// The last read returned fewer changes than asked: the feed ended there.
    private var reachedEnd = false

    /// Rows one delta may pass over because the member holds them: a delta of nothing but held
    /// rows ends there, so that a stream to a member holding nearly everything (a new edge of the
    /// tree) never reads the whole feed in one turn of the engine.
    static let maxRowsPerDelta = 16 * ReplicationEngine.changesPerRead

    /// A cursor after `after`, reading with whatever ``nextDelta(after:budget:logger:holds:read:)``
    /// is given; `node` only supplies the committed position the end-of-feed claim rests on.
    init(node: Node, after: Int64) {
        (head, clock) = node.committedPosition
        readAfter = after
    }

    /// The next delta `(after, through]` for one member, with as many entries as fit in `budget`
    /// bytes, and the bytes its entries take; nil if the feed holds nothing after `after` (or
    /// cannot be read now).
    /// - Parameter read: reads up to `limit` changes after a sequence number (the node's feed,
    ///   or a cache of it).
    /// - Parameter holds: whether the member holds a change already (it is then left out, its
    ///   sequence number still covered).
    mutating func nextDelta(
        after: Int64, budget: Int, logger: Logger, holds: (Change) -> Bool,
        read: (_ after: Int64, _ limit: Int) throws(StoreError) -> [Change]
    ) -> (delta: Delta, size: Int)? {
        var entries: [DeltaEntry] = []
        var size = 0
        var through = after
        var rows = 0
        while rows < Self.maxRowsPerDelta {
            if buffered.isEmpty, !reachedEnd, !refill(logger: logger, read: read) { return nil }
            guard let change = buffered.first else { break }
            rows += 1
            if holds(change) {
                through = change.seq
                buffered.removeFirst()
                continue
            }
            let entry = DeltaEntry(store: change.store, key: change.key, register: change.register)
            let entrySize = WireFormat.encodedSize(of: entry)
            if !entries.isEmpty, size + entrySize > budget { break }
            entries.append(entry)
            size += entrySize
            through = change.seq
            buffered.removeFirst()
            if size >= budget { break }
        }
        var endClock = HybridTimestamp.zero
        if buffered.isEmpty, reachedEnd, through <= head {
            through = max(through, head)
            endClock = clock
        }
        guard through > after else { return nil }
        return (Delta(after: after, through: through, entries: entries, clock: endClock), size)
    }

    /// Reads the next chunk of the feed.
    /// - Returns: false if the feed could not be read.
    private mutating func refill(logger: Logger, read: (Int64, Int) throws(StoreError) -> [Change]) -> Bool {
        do {
            let changes = try read(readAfter, ReplicationEngine.changesPerRead)
            reachedEnd = changes.count < ReplicationEngine.changesPerRead
            buffered = changes[...]
            if let last = changes.last { readAfter = last.seq }
            return true
        } catch {
            logger.warning("could not read the change feed", metadata: ["error": "\(error)"])
            return false
        }
    }
}
