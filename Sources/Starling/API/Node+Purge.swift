public import StarlingCore

extension Node {
    /// Deletes tombstones that every member has received, so deleted keys stop costing space.
    ///
    /// A tombstone is purged when its sequence number is at most `acknowledgedBy` (every member
    /// holds this node's feed through it) and it died before `deadBeforeMillis` (a grace period
    /// for deliveries still in flight). Range tombstones and counters are kept.
    ///
    /// The node remembers the newest purged stamp as its *purge horizon*: a replicated write for
    /// a key it does not hold, stamped before the horizon, is stale (it was deleted and purged,
    /// or comes from a member gone longer than the horizon) and ``apply(_:)`` drops it.
    /// - Returns: how many tombstones were purged.
    @discardableResult
    public func purgeTombstones(acknowledgedBy maxSeq: Int64, deadBeforeMillis: Int64, limit: Int = 10_000)
        async throws(StoreError) -> Int
    {
        try await writer.write { context throws(StoreError) in
            try context.purgeTombstones(maxSeq: maxSeq, deadBeforeMillis: deadBeforeMillis, limit: limit)
        }
    }

    /// The newest stamp of a purged tombstone, if any was purged.
    public var purgeHorizon: Stamp? { writer.purgeHorizon }
}

extension WriteContext {
    mutating func purgeTombstones(maxSeq: Int64, deadBeforeMillis: Int64, limit: Int) throws(StoreError) -> Int {
        let cutoff = HybridTimestamp(physicalMillis: UInt64(clamping: max(0, deadBeforeMillis)), logical: 0)
        let doomed: [(Int64, [UInt8], Stamp)] = try storage("finding purgeable tombstones") { db throws(SQLiteError) in
            let statement = try db.statement(
                """
                SELECT store, key, hlc, origin FROM entries
                WHERE value IS NULL AND counters IS NULL AND key <> x'' AND seq <= ?1 AND hlc < ?2
                    AND (expires_at IS NULL OR expires_at < ?3)
                LIMIT ?4
                """)
            defer { statement.reset() }
            statement.bind(1, maxSeq)
            statement.bind(2, cutoff.rawValue)
            statement.bind(3, deadBeforeMillis)
            statement.bind(4, Int64(limit))
            var found: [(Int64, [UInt8], Stamp)] = []
            while try statement.step() {
                found.append(
                    (statement.int64(0), statement.blob(1),
                     Stamp(hlc: HybridTimestamp(rawValue: statement.uint64(2)), origin: NodeID(rawValue: statement.uint64(3)))))
            }
            return found
        }
        guard !doomed.isEmpty else { return 0 }
        var horizon = state.purgeHorizon
        try storage("purging tombstones") { db throws(SQLiteError) in
            let delete = try db.statement("DELETE FROM entries WHERE store = ?1 AND key = ?2")
            for (store, key, stamp) in doomed {
                delete.bind(1, store)
                delete.bind(2, blob: key)
                try delete.run()
                if horizon.map({ stamp > $0 }) ?? true { horizon = stamp }
            }
            if let horizon {
                let meta = try db.statement("INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)")
                meta.bind(1, text: "purge_horizon_hlc")
                meta.bind(2, horizon.hlc.rawValue)
                try meta.run()
                meta.bind(1, text: "purge_horizon_origin")
                meta.bind(2, horizon.origin.rawValue)
                try meta.run()
            }
        }
        state.purgeHorizon = horizon
        markWritten()
        return doomed.count
    }
}
