import StarlingCore

/// The keys a feed reports: those in `[lower, upper)` (bytewise), plus the store's range tombstone.
struct FeedKeyRange: Sendable {
    /// The prefix's bytes; empty for every key.
    var lower: [UInt8]
    /// The first byte string after every key with the prefix, or nil if there is none.
    var upper: [UInt8]?

    init(prefix: String) {
        lower = Array(prefix.utf8)
        upper = Store.prefixUpperBound(lower)
    }
}

extension Node {
    /// The rows of `store` after `seq` whose keys are in `keys`, in sequence order, at most `limit`,
    /// and the purge watermark, from one snapshot.
    func readFeedPage(store: StoreID, after seq: Int64, keys: FeedKeyRange, limit: Int) throws(StoreError) -> FeedPage {
        feedHub.countRead()
        return try readers.read("reading the change feed") { db in
            try db.feedPage(store: store, after: seq, from: keys.lower, below: keys.upper, limit: limit)
        }
    }

    /// The rows of every store after `seq`, in sequence order, at most `limit`, and the purge
    /// watermark, from one snapshot: what the ``FeedHub`` reads once per commit for all watchers.
    func readFeedRows(after seq: Int64, limit: Int) throws(StoreError) -> FeedPage {
        try readers.read("reading the change feed") { db in try db.feedPage(after: seq, limit: limit) }
    }

    /// How many storage reads of the change feed were made so far, by the hub that serves every
    /// caught-up watcher and by feeds replaying on their own: tests check one read per commit.
    package var feedReadCount: Int { feedHub.readCount }

    /// How many feeds follow the node's shared feed reader.
    package var feedSubscriberCount: Int { feedHub.subscriberCount }

    /// The highest sequence number whose row was purged, as storage holds it now.
    func feedPurgedSeq() throws(StoreError) -> Int64 {
        try readers.read("reading the change feed") { db in try db.purgedSeq() }
    }

    /// The highest sequence number a reader can see now. A commit's rows are visible to readers
    /// a moment before ``lastSeq`` moves past them, so a position taken from a feed event can be
    /// ahead of ``lastSeq`` for that moment; this is never behind either.
    func visibleFeedHead() throws(StoreError) -> Int64 {
        let committed = lastSeq
        let stored = try readers.read("reading the change feed") { db in try db.maxSeq() }
        return max(committed, stored)
    }

    /// How many commit observers are registered: tests check that finished feeds unregister.
    package var commitObserverCount: Int { writer.observerCount }
}
