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
            try db.purgeTombstones(
                stampedBefore: bound, deadBefore: deadBefore, limit: limit, horizon: newHorizon, feedHead: head)
        }
        state.purgeHorizon = newHorizon
        markWritten()
        return purged
    }
}
