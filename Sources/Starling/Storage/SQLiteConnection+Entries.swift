import StarlingCore

/// The named queries of the `entries` table: one register per (store, key).
extension SQLiteConnection {
    /// The register stored for `key` in `store`, or nil if it has none.
    func readRegister(store: StoreID, key: String) throws(SQLiteError) -> Register? {
        try statement(StorageSQL.readEntry).withReset { statement throws(SQLiteError) in
            try statement.bind(1, store.rawValue)
            try statement.bind(2, blob: key.utf8)
            return try statement.step() ? EntryRow.register(from: statement) : nil
        }
    }

    /// Visits the registers of `store` in bytewise key order whose keys are at or after `lower`,
    /// after `after`, and before `upper` (when it is not nil), until `visit` returns false.
    func scanRegisters(
        store: StoreID, from lower: [UInt8], after: [UInt8], below upper: [UInt8]?,
        _ visit: (String, Register) -> Bool
    ) throws(SQLiteError) {
        try statement(upper == nil ? StorageSQL.scanStore : StorageSQL.scanStoreBelow).withReset {
            statement throws(SQLiteError) in
            try statement.bind(1, store.rawValue)
            try statement.bind(2, blob: lower)
            try statement.bind(3, blob: after)
            if let upper { try statement.bind(4, blob: upper) }
            while try statement.step() {
                let key = statement.string(fromBlob: 0)
                guard visit(key, EntryRow.register(from: statement, startingAt: 1)) else { return }
            }
        }
    }

    /// Visits every register of every store, range tombstones included, with its store's name
    /// and its key's bytes: ordered by store name, then key, if `ordered`; else in no order.
    func everyRegister(ordered: Bool, _ visit: (String, [UInt8], Register) -> Void) throws(SQLiteError) {
        try statement(ordered ? StorageSQL.everyEntryInOrder : StorageSQL.everyEntry).withReset {
            statement throws(SQLiteError) in
            while try statement.step() {
                visit(statement.text(0), statement.blob(1), EntryRow.register(from: statement, startingAt: 2))
            }
        }
    }

    /// Up to `limit` live values whose expiry is at or before `nowMillis`, oldest expiry first.
    func expiredRegisters(before nowMillis: Int64, limit: Int) throws(SQLiteError) -> [(StoreID, [UInt8], Register)] {
        try statement(StorageSQL.expiredEntries).withReset { statement throws(SQLiteError) in
            try statement.bind(1, nowMillis)
            try statement.bind(2, Int64(limit))
            var found: [(StoreID, [UInt8], Register)] = []
            while try statement.step() {
                found.append(
                    (
                        StoreID(rawValue: statement.int64(0)), statement.blob(1),
                        EntryRow.register(from: statement, startingAt: 2)
                    ))
            }
            return found
        }
    }

    /// The stamp of every store's range tombstone: its latest `clear()`.
    func rangeTombstoneStamps() throws(SQLiteError) -> [StoreID: Stamp] {
        try statement(StorageSQL.rangeTombstones).withReset { statement throws(SQLiteError) in
            var stamps: [StoreID: Stamp] = [:]
            while try statement.step() {
                stamps[StoreID(rawValue: statement.int64(0))] = EntryRow.register(from: statement, startingAt: 1).stamp
            }
            return stamps
        }
    }

    /// The highest sequence number a row holds (0 if there is none). A purge may have deleted
    /// the row of the feed's head since: the head is in `meta` then (``MetaName/feedHead``).
    func maxSeq() throws(SQLiteError) -> Int64 {
        try scalarInt64(StorageSQL.maxSeq) ?? 0
    }

    /// Writes `register` as the row of `key` in `store`, with sequence number `seq`, received from
    /// `via` (nil: written here).
    func upsertRegister(_ register: Register, store: StoreID, key: [UInt8], seq: Int64, via: NodeID?)
        throws(SQLiteError)
    {
        let statement = try statement(StorageSQL.upsertEntry)
        try statement.bind(1, store.rawValue)
        try statement.bind(2, blob: key)
        try EntryRow.bind(register, to: statement, startingAt: 3)
        try statement.bind(8, seq)
        try statement.bind(9, via.map { Int64(bitPattern: $0.rawValue) })
        try statement.run()
    }

    /// Sets the value of `key` in `store` to NULL, keeping the rest of its row.
    func freeValue(store: StoreID, key: [UInt8]) throws(SQLiteError) {
        let statement = try statement(StorageSQL.freeValue)
        try statement.bind(1, store.rawValue)
        try statement.bind(2, blob: key)
        try statement.run()
    }

    /// Deletes every register of `store` whose base is older than `stamp`, but not its range
    /// tombstone. Origins are unsigned but SQLite integers are signed, so ties on the timestamp
    /// are compared here, not in SQL.
    func deleteRegisters(store: StoreID, clearedAt stamp: Stamp) throws(SQLiteError) {
        let older = try statement(StorageSQL.deleteStampedBefore)
        try older.bind(1, store.rawValue)
        try older.bind(2, stamp.hlc.rawValue)
        try older.run()
        let doomed = try statement(StorageSQL.stampedAt).withReset { ties throws(SQLiteError) in
            try ties.bind(1, store.rawValue)
            try ties.bind(2, stamp.hlc.rawValue)
            var doomed: [[UInt8]] = []
            while try ties.step() {
                if NodeID(rawValue: ties.uint64(1)) < stamp.origin { doomed.append(ties.blob(0)) }
            }
            return doomed
        }
        let delete = try statement(StorageSQL.deleteEntry)
        for key in doomed {
            try delete.bind(1, store.rawValue)
            try delete.bind(2, blob: key)
            try delete.run()
        }
    }

    /// Deletes up to `limit` tombstones stamped before `bound` that died before `deadBefore`
    /// (Unix ms), never a range tombstone nor a counter, and records what a restart and the
    /// change feed must know of it: the highest purged sequence number (a watcher resuming before
    /// a purged tombstone would miss that deletion, so the feed refuses such a resume), the purge
    /// `horizon`, and the head of the feed, `feedHead` (purging may delete the row that holds it,
    /// and a restart must not reissue sequence numbers members already acknowledged).
    /// - Returns: how many tombstones were deleted.
    func purgeTombstones(
        stampedBefore bound: HybridTimestamp, deadBefore: Int64, limit: Int, horizon: HybridTimestamp, feedHead: Int64
    ) throws(SQLiteError) -> Int {
        let (count, purgedSeq) = try statement(StorageSQL.purgeTombstones).withReset { delete throws(SQLiteError) in
            try delete.bind(1, bound.rawValue)
            try delete.bind(2, deadBefore)
            try delete.bind(3, Int64(max(1, limit)))
            var count = 0
            var purgedSeq: Int64 = 0
            while try delete.step() {
                count += 1
                purgedSeq = max(purgedSeq, delete.int64(0))
            }
            return (count, purgedSeq)
        }
        if count > 0 {
            try setMetaValue(.feedPurgedSeq, max(purgedSeq, try self.purgedSeq()))
        }
        try setMetaValue(.purgeHorizon, Int64(bitPattern: horizon.rawValue))
        try setMetaValue(.feedHead, feedHead)
        return count
    }
}
