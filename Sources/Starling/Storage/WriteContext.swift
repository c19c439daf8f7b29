import StarlingCore

/// A store's row id in the `stores` table.
struct StoreID: Hashable, Sendable {
    var rawValue: Int64
}

/// What one write request sees and changes inside the writer's open transaction.
///
/// A request reads and validates first, then writes with ``merge(_:into:store:key:)``,
/// ``mergeFresh(_:store:key:)`` or ``clear(store:at:)``; writes are visible to its later reads
/// and to later requests of the batch. A request MUST throw only before its first write: a
/// request that fails before writing changes nothing while the rest of its batch commits, and
/// one that fails after writing fails its whole batch (rolled back) rather than half-apply.
struct WriteContext {
    let connection: SQLiteConnection
    var state: WriterState
    let wallClock: any WallClock
    /// Set when the batch must roll back: a storage failure, or a request that broke the contract.
    var batchFailure: StoreError?
    /// How many rows this batch has written, to detect a request that throws after writing.
    private(set) var writes = 0
    /// The member the changes being merged were received from; nil for local writes. Rows that
    /// end up holding exactly its register record it (`via`).
    var source: NodeID?

    init(connection: SQLiteConnection, state: WriterState, wallClock: any WallClock) {
        self.connection = connection
        self.state = state
        self.wallClock = wallClock
    }

    /// The wall clock now, in Unix milliseconds.
    func nowMillis() -> Int64 { wallClock.nowMillis() }

    /// Issues a fresh stamp from this node's clock: later than every stamp written or observed.
    /// - Throws: `UNAVAILABLE` (detail ``StoreError/Detail/clockAhead``) while the clock is more
    ///   than `maxClockOffset` ahead of the wall clock: other peers would refuse the stamp, so
    ///   the write must not be acknowledged.
    mutating func freshStamp() throws(StoreError) -> Stamp {
        let wall = UInt64(clamping: wallClock.nowMillis())
        let ahead = state.clock.millisAhead(ofWall: wall)
        guard ahead <= state.clock.maxOffsetMillis else {
            var error = StoreError.unavailable(
                "this node's clock is \(ahead) ms ahead of its wall clock (its last stamp is "
                    + "\(state.clock.last.physicalMillis) ms, the wall clock reads \(wall) ms), beyond max_clock_offset "
                    + "(\(state.clock.maxOffsetMillis) ms): other peers would refuse its writes. Fix the wall clock; writes "
                    + "resume once it catches up (see the operations guide)")
            error.detail = .clockAhead(millis: Int64(clamping: ahead))
            throw error
        }
        let hlc = state.clock.now(wallMillis: wall)
        return Stamp(hlc: hlc, origin: state.nodeID)
    }

    /// The row id of store `name`, creating the row for a store this node does not host yet:
    /// its replicated entries are kept, so declaring the store later finds them.
    mutating func storeID(named name: String) throws(StoreError) -> StoreID {
        if let id = state.stores[name] { return id }
        let registered = try storage("registering store \(name)") { db throws(SQLiteError) in
            try db.registerStore(named: name)
        }
        guard let id = registered else {
            let failure = StoreError.internal("store \(name) vanished while registering it — please report this")
            batchFailure = batchFailure ?? failure
            throw failure
        }
        state.stores[name] = id
        writes += 1
        return id
    }

    /// The store's latest `clear()` stamp, if it was ever cleared.
    func clearStamp(_ store: StoreID) -> Stamp? { state.clearStamps[store] }

    /// The register stored for `key`, including this batch's writes.
    mutating func register(_ store: StoreID, _ key: String) throws(StoreError) -> Register? {
        try storage("reading \(key)") { db throws(SQLiteError) in try db.readRegister(store: store, key: key) }
    }

    /// Merges `incoming` into `key`, whose stored register is `current`, through
    /// ``Register/apply(_:to:clearedBefore:)``: the one merge path of local and remote writes.
    /// - Returns: the register the key now holds, or nil if `incoming` changed nothing.
    @discardableResult
    mutating func merge(_ incoming: Register, into current: Register?, store: StoreID, key: String)
        throws(StoreError) -> Register?
    {
        switch Register.apply(incoming, to: current, clearedBefore: clearStamp(store)) {
        case .unchanged:
            return nil
        case .replace(let merged):
            // The row came from `source` only if it holds exactly what `source` sent.
            try upsert(merged, store: store, key: Array(key.utf8), via: merged == incoming ? source : nil)
            return merged
        }
    }

    /// Writes a register stamped by ``freshStamp()`` in this batch. A fresh stamp is later than
    /// every stamp stored or observed, so its merge with whatever is stored yields `incoming`:
    /// the stored register need not be read.
    mutating func mergeFresh(_ incoming: Register, store: StoreID, key: String) throws(StoreError) {
        try merge(incoming, into: nil, store: store, key: key)
    }

    /// A `clear()` at `stamp`: the store's range tombstone moves to `stamp`, and every register
    /// with an older base is deleted, now and whenever one arrives later.
    /// - Returns: false if the store already had a later clear.
    @discardableResult
    mutating func clear(store: StoreID, at stamp: Stamp) throws(StoreError) -> Bool {
        if let existing = state.clearStamps[store], existing >= stamp { return false }
        try upsert(Register(stamp: stamp, content: .tombstone), store: store, key: [], via: source)
        state.clearStamps[store] = stamp
        try storage("clearing a store") { db throws(SQLiteError) in
            try db.deleteRegisters(store: store, clearedAt: stamp)
        }
        return true
    }

    /// Writes `register` as `key`'s row with the next sequence number, received from `via`.
    mutating func upsert(_ register: Register, store: StoreID, key: [UInt8], via: NodeID?) throws(StoreError) {
        let seq = state.nextSeq
        try storage("writing a change") { db throws(SQLiteError) in
            try db.upsertRegister(register, store: store, key: key, seq: seq, via: via)
        }
        state.nextSeq += 1
        writes += 1
    }

    /// Frees an expired value's bytes, keeping its row, stamp and sequence number: the tombstone
    /// form of the same write, which every peer reaches on its own, so it is not replicated again.
    mutating func sweepInPlace(store: StoreID, key: [UInt8]) throws(StoreError) {
        try storage("sweeping an expired entry") { db throws(SQLiteError) in try db.freeValue(store: store, key: key) }
        writes += 1
    }

    /// Counts a write made outside ``upsert(_:store:key:via:)``, for the throw-after-write check.
    mutating func markWritten() { writes += 1 }

    /// Runs a storage action; a failure fails the whole batch.
    mutating func storage<T>(_ action: String, _ body: (SQLiteConnection) throws(SQLiteError) -> T)
        throws(StoreError) -> T
    {
        do {
            return try body(connection)
        } catch {
            let failure = StoreError(error, while: action)
            batchFailure = batchFailure ?? failure
            throw failure
        }
    }
}

/// The writer's in-memory state, snapshotted at the start of each batch and restored if the
/// batch's transaction fails, so memory never runs ahead of the database.
struct WriterState {
    var nodeID: NodeID
    var clock: HybridLogicalClock
    var nextSeq: Int64
    var clearStamps: [StoreID: Stamp]
    /// Every store with a row in `stores`, hosted or not.
    var stores: [String: StoreID]
    /// The stable horizon at the last purge: every member then held every write stamped before
    /// it, so a replicated write of an absent key stamped before it is stale.
    var purgeHorizon: HybridTimestamp?
}

extension WriteContext {
    /// Up to `limit` live values whose expiry is at or before `nowMillis`, oldest first.
    mutating func expiredRegisters(before nowMillis: Int64, limit: Int) throws(StoreError)
        -> [(StoreID, [UInt8], Register)]
    {
        try storage("finding expired entries") { db throws(SQLiteError) in
            try db.expiredRegisters(before: nowMillis, limit: limit)
        }
    }
}
