public import StarlingCore

extension Node {
    /// What ``apply(_:)`` did with a batch of changes from another peer.
    public struct ApplyReport: Sendable, Hashable {
        /// Changes that altered local state (each got a local sequence number).
        public var applied = 0
        /// Changes already covered by local state (duplicates, or superseded).
        public var unchanged = 0
        /// Changes refused as malformed (a faulty peer), with the reason: an unparsable value, an
        /// empty store id, a size beyond any limit. The rest of the batch is applied.
        public var invalid: [String] = []
        /// Stale changes dropped: keys this node does not hold, stamped before its purge horizon
        /// (deleted and purged here, or from a member forgotten since).
        public var stale = 0
        /// For each stale change that was live: a tombstone at the horizon, to send back to its
        /// sender so that it deletes its copy too.
        public var staleAnswers: [DeltaEntry] = []
    }

    /// Merges changes received from another peer (its change feed) into local state, through the
    /// same merge rule as local writes, in one transaction. Loss, duplication and reordering are
    /// harmless: the merge is commutative, associative and idempotent.
    ///
    /// The local clock advances past every received stamp, so later local writes supersede them.
    /// - Throws: `INVALID` (nothing applied) if a stamp is more than `maxClockOffsetMillis` ahead
    ///   of local wall time: one peer with a broken clock must not win every conflict forever;
    ///   `UNAVAILABLE` if storage failed.
    @discardableResult
    public func apply(_ changes: [Change]) async throws(StoreError) -> ApplyReport {
        let limits = settings.limits
        return try await writer.write { context throws(StoreError) in
            try Self.merge(changes, into: &context, limits: limits)
        }
    }

    /// Merges several batches of changes, each received from a peer, in one transaction. Each
    /// batch is checked on its own, as ``apply(_:)-([Change])`` checks its changes: a batch
    /// stamped too far ahead is refused (its result is that `INVALID` error) while the others
    /// are applied. Rows that end up holding exactly what a peer sent remember it (`via`), so
    /// replication does not send them back.
    /// - Returns: one result per batch, in order.
    /// - Throws: `UNAVAILABLE` if storage failed (nothing of any batch is applied).
    package func apply(batches: [(from: NodeID, entries: [DeltaEntry])]) async throws(StoreError)
        -> [Result<ApplyReport, StoreError>]
    {
        let limits = settings.limits
        return try await writer.write { context throws(StoreError) in
            var results: [Result<ApplyReport, StoreError>] = []
            defer { context.source = nil }
            for batch in batches {
                let changes = batch.entries.map { Change(seq: 0, store: $0.store, key: $0.key, register: $0.register) }
                context.source = batch.from
                do throws(StoreError) {
                    results.append(.success(try Self.merge(changes, into: &context, limits: limits)))
                } catch  where error.detail == .clockOffset {
                    results.append(.failure(error))
                }
            }
            return results
        }
    }

    /// Merges changes from another peer inside the writer's transaction.
    /// - Throws: `INVALID` with detail `clockOffset`, before writing anything, if a stamp is too
    ///   far ahead; storage failures.
    private static func merge(_ changes: [Change], into context: inout WriteContext, limits: Settings.Limits)
        throws(StoreError) -> ApplyReport
    {
        var report = ApplyReport()
        let wall = UInt64(clamping: context.nowMillis())
        for change in changes {
            do {
                try context.state.clock.observe(change.register.latestStamp.hlc, wallMillis: wall)
            } catch {
                var refusal = StoreError.invalid("refused changes from another peer: \(error)")
                refusal.detail = .clockOffset
                throw refusal
            }
        }
        for change in changes {
            guard let problem = invalidity(of: change, limits: limits) else {
                let storeID = try context.storeID(named: change.store)
                try merge(change, storeID: storeID, into: &context, report: &report)
                continue
            }
            report.invalid.append(problem)
        }
        return report
    }

    /// Why a replicated change cannot be stored (a faulty peer), or nil if it can.
    static func invalidity(of change: Change, limits: Settings.Limits) -> String? {
        if change.store.isEmpty { return "an empty store id" }
        if change.key.utf8.count > max(limits.maxKeyBytes, 65_535) { return "a key beyond any limit" }
        if case .value(let value) = change.register.content {
            if value.bytes.count > max(limits.maxValueBytes, WireFormat.maxValueBytes) {
                return "a value beyond any limit"
            }
            if (try? value.decoded()) == nil { return "a value that is not JSON (key \(change.key))" }
        }
        return nil
    }

    private static func merge(
        _ change: Change, storeID: StoreID, into context: inout WriteContext, report: inout ApplyReport
    )
        throws(StoreError)
    {
        if change.key.isEmpty {
            if try context.clear(store: storeID, at: change.register.stamp) {
                report.applied += 1
            } else {
                report.unchanged += 1
            }
            return
        }
        let current = try context.register(storeID, change.key)
        if current == nil, let horizon = context.state.purgeHorizon, change.register.latestStamp.hlc < horizon {
            // Stale: every member held every write before the horizon when it was purged here. A
            // stale tombstone changes nothing; a stale live write is answered with a tombstone just
            // after it, so its sender deletes its copy too.
            report.stale += 1
            if isLiveState(change.register) {
                report.staleAnswers.append(
                    DeltaEntry(
                        store: change.store, key: change.key,
                        register: Register(stamp: Stamp(hlc: horizon, origin: .none), content: .tombstone)))
            }
            return
        }
        if try context.merge(change.register, into: current, store: storeID, key: change.key) != nil {
            report.applied += 1
        } else {
            report.unchanged += 1
        }
    }

    /// Merges entries received from another peer; see ``apply(_:)-([Change])``.
    @discardableResult
    package func apply(_ entries: [DeltaEntry]) async throws(StoreError) -> ApplyReport {
        try await apply(entries.map { Change(seq: 0, store: $0.store, key: $0.key, register: $0.register) })
    }

    /// Whether a register holds anything live in any state: a value, or counter increments.
    static func isLiveState(_ register: Register) -> Bool {
        if case .value = register.content { return true }
        return !register.increments.isEmpty
    }

    /// A digest of every store's replicated state as of `nowMillis`: equal on two peers exactly
    /// when they hold the same registers. Expired values count as their swept tombstones, so a
    /// peer that has swept and one that has not yet agree.
    package func stateDigest(at nowMillis: Int64) throws(StoreError) -> String {
        var hash = StableHash()
        try readers.read("computing the state digest") { db in
            try db.everyRegister(ordered: true) { store, key, register in
                hash.combine(Array(store.utf8))
                hash.combine(key)
                hash.combine(register.sweptIfExpired(at: nowMillis) ?? register)
            }
        }
        return hash.hexDigest
    }
}
