package import StarlingCore

extension Node {
    /// Deletes tombstones that every member has received, so deleted keys stop costing space.
    ///
    /// A tombstone is purged when it is stamped before `horizon` — the stable horizon: every
    /// member holds every write stamped before it — and died before `deadBeforeMillis` (a grace
    /// period for deliveries still in flight). Range tombstones and counters are kept.
    ///
    /// The node remembers the bound it purged at as its *purge horizon*: a replicated write for
    /// a key it does not hold, stamped before it, is stale (deleted and purged, or from a member
    /// forgotten since) and ``apply(_:)`` drops it.
    /// - Returns: how many tombstones were purged.
    @discardableResult
    package func purgeTombstones(before horizon: HybridTimestamp, deadBeforeMillis: Int64, limit: Int = 10_000)
        async throws(StoreError) -> Int
    {
        try await writer.write { context throws(StoreError) in
            try context.purgeTombstones(before: horizon, deadBeforeMillis: deadBeforeMillis, limit: limit)
        }
    }

    /// Issues and commits a stamp at the current wall time, so ``committedPosition`` proves that
    /// everything this node stamped before now is in its feed (batches commit in stamp order).
    /// Replication calls it before heartbeats, so the stable horizon advances while idle.
    package func advanceClock() async throws(StoreError) {
        try await writer.write { context throws(StoreError) in _ = try context.freshStamp() }
    }

    /// The bound of the last purge, if any: replicated writes of absent keys stamped before it are stale.
    package var purgeHorizon: HybridTimestamp? { writer.purgeHorizon }
}

extension WriteContext {
    mutating func purgeTombstones(before horizon: HybridTimestamp, deadBeforeMillis: Int64, limit: Int)
        throws(StoreError) -> Int
    {
        let deadBefore = max(0, min(deadBeforeMillis, Int64(HybridTimestamp.maxPhysicalMillis)))
        let bound = min(horizon, HybridTimestamp(physicalMillis: UInt64(deadBefore), logical: 0))
        let newHorizon = max(state.purgeHorizon ?? .zero, bound)
        let head = state.nextSeq - 1
        let purged: Int = try storage("purging tombstones") { db throws(SQLiteError) in
            // `entries_tombstones` (a partial index) finds them without scanning live rows.
            let delete = try db.statement(
                """
                DELETE FROM entries WHERE (store, key) IN (
                    SELECT store, key FROM entries
                    WHERE value IS NULL AND counters IS NULL AND hlc < ?1 AND key <> x''
                        AND (expires_at IS NULL OR expires_at < ?2)
                    LIMIT ?3)
                RETURNING seq
                """)
            delete.bind(1, bound.rawValue)
            delete.bind(2, deadBefore)
            delete.bind(3, Int64(max(1, limit)))
            var count = 0
            var purgedSeq: Int64 = 0
            while try delete.step() {
                count += 1
                purgedSeq = max(purgedSeq, delete.int64(0))
            }
            delete.reset()
            let meta = try db.statement("INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)")
            if count > 0 {
                // A watcher resuming before a purged tombstone would miss that deletion: remember the
                // highest purged sequence number, so the change feed refuses such a resume (`watch`).
                meta.bind(1, text: ChangeFeed.purgedSeqMetaName)
                meta.bind(2, max(purgedSeq, try ChangeFeed.purgedSeq(in: db)))
                try meta.run()
            }
            meta.bind(1, text: "purge_horizon")
            meta.bind(2, newHorizon.rawValue)
            try meta.run()
            // Purging may delete the row that holds the head of the feed; remember the head, or a
            // restart would reissue sequence numbers members already acknowledged.
            meta.bind(1, text: "feed_head")
            meta.bind(2, head)
            try meta.run()
            return count
        }
        state.purgeHorizon = newHorizon
        markWritten()
        return purged
    }
}
