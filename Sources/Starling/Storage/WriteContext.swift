import StarlingCore

/// A store's row id in the `stores` table.
struct StoreID: Hashable, Sendable {
    var rawValue: Int64
}

/// What one write request sees and changes inside the writer's open transaction.
///
/// A request first reads and validates, then stages its changes with ``merge(_:store:key:)``
/// or ``clear(store:at:)``. It MUST throw before it stages anything it does not want written:
/// the writer applies staged changes only when the request returns normally, so a failed
/// request changes nothing while the other requests of its batch still commit.
struct WriteContext {
    let connection: SQLiteConnection
    var state: WriterState
    let wallClock: any WallClock
    /// The first storage failure seen by a read; it fails the whole batch.
    var storageFailure: SQLiteError?
    var staged: [StagedChange] = []

    enum StagedChange {
        case upsert(StoreID, key: [UInt8], Register)
        case deleteCleared(StoreID, before: Stamp)
    }

    /// The wall clock now, in Unix milliseconds.
    func nowMillis() -> Int64 { wallClock.nowMillis() }

    /// Issues a fresh stamp from this node's clock: later than every stamp written or observed.
    mutating func freshStamp() -> Stamp {
        let hlc = state.clock.now(wallMillis: UInt64(clamping: wallClock.nowMillis()))
        return Stamp(hlc: hlc, origin: state.nodeID)
    }

    /// This node's identity.
    var nodeID: NodeID { state.nodeID }

    /// The store's latest `clear()` stamp, if it was ever cleared.
    func clearStamp(_ store: StoreID) -> Stamp? { state.clearStamps[store] }

    /// The register stored for `key`, including changes staged earlier in this batch.
    mutating func register(_ store: StoreID, _ key: String) throws(StoreError) -> Register? {
        do {
            let statement = try connection.statement(
                "SELECT \(EntryRow.registerColumns) FROM entries WHERE store = ?1 AND key = ?2")
            defer { statement.reset() }
            statement.bind(1, store.rawValue)
            statement.bind(2, blob: key.utf8)
            return try statement.step() ? EntryRow.register(from: statement) : nil
        } catch {
            storageFailure = storageFailure ?? error
            throw StoreError(error, while: "reading \(key)")
        }
    }

    /// Stages the merge of `incoming` into `key`'s stored register `current` through
    /// ``Register/apply(_:to:clearedBefore:)``, the one merge path of local and remote writes.
    /// - Returns: the register the key will hold, or nil if `incoming` changed nothing.
    @discardableResult
    mutating func merge(_ incoming: Register, into current: Register?, store: StoreID, key: String) -> Register? {
        switch Register.apply(incoming, to: current, clearedBefore: clearStamp(store)) {
        case .unchanged:
            return nil
        case .replace(let merged):
            staged.append(.upsert(store, key: Array(key.utf8), merged))
            return merged
        }
    }

    /// Stages a register stamped by ``freshStamp()`` in this batch. A fresh stamp is later than
    /// every stamp stored or observed, so the merge with whatever is stored yields `incoming`:
    /// the stored register need not be read.
    mutating func mergeFresh(_ incoming: Register, store: StoreID, key: String) {
        merge(incoming, into: nil, store: store, key: key)
    }

    /// Stages a `clear()` at `stamp`: the store's range tombstone moves to `stamp`, and every
    /// register with an older base is deleted, now and whenever one arrives later.
    mutating func clear(store: StoreID, at stamp: Stamp) {
        if let existing = state.clearStamps[store], existing >= stamp { return }
        staged.append(.upsert(store, key: [], Register(stamp: stamp, content: .tombstone)))
        staged.append(.deleteCleared(store, before: stamp))
    }
}

/// The writer's in-memory state, snapshotted at the start of each batch and restored if the
/// batch's transaction fails, so memory never runs ahead of the database.
struct WriterState {
    var nodeID: NodeID
    var clock: HybridLogicalClock
    var nextSeq: Int64
    var clearStamps: [StoreID: Stamp]
}

extension WriteContext {
    /// Up to `limit` live values whose expiry is at or before `nowMillis`, oldest first.
    mutating func expiredRegisters(before nowMillis: Int64, limit: Int) throws(StoreError)
        -> [(StoreID, [UInt8], Register)]
    {
        do {
            let statement = try connection.statement(
                """
                SELECT store, key, \(EntryRow.registerColumns) FROM entries
                WHERE expires_at IS NOT NULL AND value IS NOT NULL AND expires_at <= ?1
                ORDER BY expires_at LIMIT ?2
                """)
            defer { statement.reset() }
            statement.bind(1, nowMillis)
            statement.bind(2, Int64(limit))
            var found: [(StoreID, [UInt8], Register)] = []
            while try statement.step() {
                found.append(
                    (StoreID(rawValue: statement.int64(0)), statement.blob(1),
                     EntryRow.register(from: statement, startingAt: 2)))
            }
            return found
        } catch {
            storageFailure = storageFailure ?? error
            throw StoreError(error, while: "finding expired entries")
        }
    }

    /// Stages the sweep of an expired value. The tombstone is the same write in its dead form
    /// (it merges as such everywhere), so it takes a new sequence number only to keep the change
    /// feed complete; peers that receive it change nothing visible.
    mutating func stageSweep(_ swept: Register, store: StoreID, key: [UInt8]) {
        staged.append(.upsert(store, key: key, swept))
    }
}
