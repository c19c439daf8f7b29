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

/// One read of the change feed: rows in sequence order and the purge watermark of the same snapshot.
struct FeedPage {
    struct Row {
        var seq: Int64
        var store: StoreID
        var key: String
        var register: Register
    }

    var rows: [Row]
    /// The highest sequence number of a purged row (0 if none was ever purged).
    var purgedSeq: Int64
}

extension Node {
    /// The rows of `store` after `seq` whose keys are in `keys`, in sequence order, at most `limit`,
    /// and the purge watermark, from one snapshot.
    func readFeedPage(store: StoreID, after seq: Int64, keys: FeedKeyRange, limit: Int) throws(StoreError) -> FeedPage {
        feedHub.countRead()
        return try readers.read("reading the change feed") { db in
            try db.execute("BEGIN")
            do {
                let page = try Self.feedPage(db, store: store, after: seq, keys: keys, limit: limit)
                try db.execute("COMMIT")
                return page
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    private static func feedPage(
        _ db: SQLiteConnection, store: StoreID, after seq: Int64, keys: FeedKeyRange, limit: Int
    ) throws(SQLiteError) -> FeedPage
    {
        var sql = "SELECT seq, key, \(EntryRow.registerColumns) FROM entries WHERE seq > ?1 AND store = ?2"
        if !keys.lower.isEmpty {
            sql += keys.upper == nil ? " AND (key = x'' OR key >= ?4)" : " AND (key = x'' OR (key >= ?4 AND key < ?5))"
        }
        sql += " ORDER BY seq LIMIT ?3"
        let statement = try db.statement(sql)
        defer { statement.reset() }
        statement.bind(1, seq)
        statement.bind(2, store.rawValue)
        statement.bind(3, Int64(max(1, limit)))
        if !keys.lower.isEmpty {
            statement.bind(4, blob: keys.lower)
            if let upper = keys.upper { statement.bind(5, blob: upper) }
        }
        var rows: [FeedPage.Row] = []
        while try statement.step() {
            rows.append(
                FeedPage.Row(
                    seq: statement.int64(0), store: store, key: statement.string(fromBlob: 1),
                    register: EntryRow.register(from: statement, startingAt: 2)))
        }
        return FeedPage(rows: rows, purgedSeq: try ChangeFeed.purgedSeq(in: db))
    }

    /// The rows of every store after `seq`, in sequence order, at most `limit`, and the purge
    /// watermark, from one snapshot: what the ``FeedHub`` reads once per commit for all watchers.
    func readFeedRows(after seq: Int64, limit: Int) throws(StoreError) -> FeedPage {
        try readers.read("reading the change feed") { db in
            try db.execute("BEGIN")
            do {
                let page = try Self.feedRows(db, after: seq, limit: limit)
                try db.execute("COMMIT")
                return page
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    private static func feedRows(_ db: SQLiteConnection, after seq: Int64, limit: Int) throws(SQLiteError) -> FeedPage {
        let statement = try db.statement(
            "SELECT seq, store, key, \(EntryRow.registerColumns) FROM entries WHERE seq > ?1 ORDER BY seq LIMIT ?2")
        defer { statement.reset() }
        statement.bind(1, seq)
        statement.bind(2, Int64(max(1, limit)))
        var rows: [FeedPage.Row] = []
        while try statement.step() {
            rows.append(
                FeedPage.Row(
                    seq: statement.int64(0), store: StoreID(rawValue: statement.int64(1)),
                    key: statement.string(fromBlob: 2), register: EntryRow.register(from: statement, startingAt: 3)))
        }
        return FeedPage(rows: rows, purgedSeq: try ChangeFeed.purgedSeq(in: db))
    }

    /// How many storage reads of the change feed were made so far, by the hub that serves every
    /// caught-up watcher and by feeds replaying on their own: tests check one read per commit.
    package var feedReadCount: Int { feedHub.readCount }

    /// How many feeds follow the node's shared feed reader.
    package var feedSubscriberCount: Int { feedHub.subscriberCount }

    /// The highest sequence number whose row was purged, as storage holds it now.
    func feedPurgedSeq() throws(StoreError) -> Int64 {
        try readers.read("reading the change feed") { db in try ChangeFeed.purgedSeq(in: db) }
    }

    /// The highest sequence number a reader can see now. A commit's rows are visible to readers
    /// a moment before ``lastSeq`` moves past them, so a position taken from a feed event can be
    /// ahead of ``lastSeq`` for that moment; this is never behind either.
    func visibleFeedHead() throws(StoreError) -> Int64 {
        let committed = lastSeq
        let stored = try readers.read("reading the change feed") { db in
            try db.scalarInt64("SELECT max(seq) FROM entries") ?? 0
        }
        return max(committed, stored)
    }

    /// How many commit observers are registered: tests check that finished feeds unregister.
    package var commitObserverCount: Int { writer.observerCount }
}

extension ChangeFeed {
    /// The highest sequence number whose row was purged (0 if none).
    static func purgedSeq(in db: SQLiteConnection) throws(SQLiteError) -> Int64 {
        let statement = try db.statement("SELECT value FROM meta WHERE name = ?1")
        defer { statement.reset() }
        statement.bind(1, text: purgedSeqMetaName)
        return try statement.step() ? statement.int64(0) : 0
    }
}
