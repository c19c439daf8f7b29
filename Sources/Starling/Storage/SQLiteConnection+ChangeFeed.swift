import StarlingCore

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

/// The named queries of the change feed: the `entries` table in `seq` order, and the purge
/// watermark in `meta`.
extension SQLiteConnection {
    /// The changes after `seq`, in sequence order, at most `limit` of them, with their stores' names.
    /// - Parameter store: only this store's changes, or every store's if nil.
    func changes(after seq: Int64, limit: Int, store: StoreID?) throws(SQLiteError) -> [Change] {
        try statement(store == nil ? StorageSQL.changesAfter : StorageSQL.storeChangesAfter).withReset {
            statement throws(SQLiteError) in
            try statement.bind(1, seq)
            try statement.bind(2, Int64(max(0, limit)))
            if let store { try statement.bind(3, store.rawValue) }
            var changes: [Change] = []
            while try statement.step() {
                changes.append(
                    Change(
                        seq: statement.int64(0), store: statement.text(1), key: statement.string(fromBlob: 2),
                        register: EntryRow.register(from: statement, startingAt: 3),
                        via: statement.int64OrNil(8).map { NodeID(rawValue: UInt64(bitPattern: $0)) }))
            }
            return changes
        }
    }

    /// The rows of `store` after `seq` whose keys are in `[lower, upper)` (bytewise; every key
    /// when `lower` is empty, no upper bound when `upper` is nil) or are its range tombstone, in
    /// sequence order, at most `limit`, and the purge watermark, from one snapshot.
    func feedPage(store: StoreID, after seq: Int64, from lower: [UInt8], below upper: [UInt8]?, limit: Int)
        throws(SQLiteError) -> FeedPage
    {
        try inReadTransaction { () throws(SQLiteError) in
            let sql =
                lower.isEmpty
                ? StorageSQL.storeFeed : upper == nil ? StorageSQL.storeFeedFrom : StorageSQL.storeFeedBetween
            let rows = try statement(sql).withReset { statement throws(SQLiteError) in
                try statement.bind(1, seq)
                try statement.bind(2, store.rawValue)
                try statement.bind(3, Int64(max(1, limit)))
                if !lower.isEmpty {
                    try statement.bind(4, blob: lower)
                    if let upper { try statement.bind(5, blob: upper) }
                }
                var rows: [FeedPage.Row] = []
                while try statement.step() {
                    rows.append(
                        FeedPage.Row(
                            seq: statement.int64(0), store: store, key: statement.string(fromBlob: 1),
                            register: EntryRow.register(from: statement, startingAt: 2)))
                }
                return rows
            }
            return FeedPage(rows: rows, purgedSeq: try purgedSeq())
        }
    }

    /// The rows of every store after `seq`, in sequence order, at most `limit`, and the purge
    /// watermark, from one snapshot.
    func feedPage(after seq: Int64, limit: Int) throws(SQLiteError) -> FeedPage {
        try inReadTransaction { () throws(SQLiteError) in
            let rows = try statement(StorageSQL.feed).withReset { statement throws(SQLiteError) in
                try statement.bind(1, seq)
                try statement.bind(2, Int64(max(1, limit)))
                var rows: [FeedPage.Row] = []
                while try statement.step() {
                    rows.append(
                        FeedPage.Row(
                            seq: statement.int64(0), store: StoreID(rawValue: statement.int64(1)),
                            key: statement.string(fromBlob: 2),
                            register: EntryRow.register(from: statement, startingAt: 3)))
                }
                return rows
            }
            return FeedPage(rows: rows, purgedSeq: try purgedSeq())
        }
    }

    /// The highest sequence number whose row was purged (0 if none).
    func purgedSeq() throws(SQLiteError) -> Int64 {
        try metaValue(.feedPurgedSeq) ?? 0
    }
}
