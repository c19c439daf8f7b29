import StarlingCore

/// The names of the node's values in the `meta` table.
enum MetaName: String {
    /// The node's identity.
    case nodeID = "node_id"
    /// The clock's last stamp, so a restart never issues an earlier one.
    case lastHLC = "last_hlc"
    /// The head of the change feed at the last purge (its row may have been purged).
    case feedHead = "feed_head"
    /// The bound of the last purge.
    case purgeHorizon = "purge_horizon"
    /// The highest sequence number whose row was purged.
    case feedPurgedSeq = "feed_purged_seq"
}

/// The named queries of the node's own state: the `meta` and `stores` tables.
extension SQLiteConnection {
    /// The value of `name`, or nil if it was never set.
    func metaValue(_ name: MetaName) throws(SQLiteError) -> Int64? {
        try statement(StorageSQL.readMeta).withReset { statement throws(SQLiteError) in
            try statement.bind(1, text: name.rawValue)
            return try statement.step() ? statement.int64(0) : nil
        }
    }

    /// Sets `name` to `value`.
    func setMetaValue(_ name: MetaName, _ value: Int64) throws(SQLiteError) {
        let statement = try statement(StorageSQL.writeMeta)
        try statement.bind(1, text: name.rawValue)
        try statement.bind(2, value)
        try statement.run()
    }

    /// Sets ``MetaName/lastHLC``, with a statement of its own: every write batch runs it.
    func saveClock(_ last: HybridTimestamp) throws(SQLiteError) {
        let statement = try statement(StorageSQL.writeLastHLC)
        try statement.bind(1, last.rawValue)
        try statement.run()
    }

    /// Records the identity of a new node; fails if one is recorded.
    func insertNodeID(_ id: NodeID) throws(SQLiteError) {
        let statement = try statement(StorageSQL.insertNodeID)
        try statement.bind(1, id.rawValue)
        try statement.run()
    }

    /// The row id of store `name`, adding its row if it has none; nil only if the row vanished
    /// between the two.
    func registerStore(named name: String) throws(SQLiteError) -> StoreID? {
        let insert = try statement(StorageSQL.insertStore)
        try insert.bind(1, text: name)
        try insert.run()
        return try statement(StorageSQL.storeID).withReset { select throws(SQLiteError) in
            try select.bind(1, text: name)
            return try select.step() ? StoreID(rawValue: select.int64(0)) : nil
        }
    }

    /// The row id of every store with a row, hosted or not, by name.
    func everyStore() throws(SQLiteError) -> [String: StoreID] {
        try statement(StorageSQL.everyStore).withReset { statement throws(SQLiteError) in
            var stores: [String: StoreID] = [:]
            while try statement.step() { stores[statement.text(0)] = StoreID(rawValue: statement.int64(1)) }
            return stores
        }
    }
}
