extension Store {
    /// The change feed of this store: every change to a key starting with `prefix`, local or
    /// replicated, as it commits, in sequence order, with no gap and no duplicate.
    ///
    /// ```swift
    /// for try await event in try store.watch(prefix: "user:") {
    ///     print(event.seq, event.kind, event.key, event.value ?? "-")
    /// }
    /// ```
    ///
    /// With `after` the feed first replays the changes stored after that sequence number (the
    /// latest state of each key changed since, once), then follows new commits; remember the last
    /// ``ChangeFeed/Event/seq`` you handled to resume there after a restart. See ``ChangeFeed``.
    /// - Parameters:
    ///   - prefix: only keys starting with it; `clear()` is always reported. Default: every key.
    ///   - after: the sequence number to resume after; 0 replays everything stored; nil (the
    ///     default) starts at the node's current head: only changes committed from now on.
    /// - Returns: the feed; iterating it throws `INVALID` if the position is overtaken by a purge.
    /// - Throws: `INVALID` for a released handle, a negative `after`, an `after` beyond this node's
    ///   head (a position from another node, or from data since lost), or an `after` older than
    ///   what storage can still answer (tombstones after it were purged); `UNAVAILABLE` if storage failed.
    public func watch(prefix: String = "", after: Int64? = nil) throws(StoreError) -> ChangeFeed {
        try watch(prefix: prefix, after: after, pageSize: 256)
    }

    /// ``watch(prefix:after:)`` reading at most `pageSize` rows per storage read (tests use small pages).
    package func watch(prefix: String = "", after: Int64?, pageSize: Int) throws(StoreError) -> ChangeFeed {
        try checkUsable()
        let head = node.lastSeq
        guard let after else { return ChangeFeed(store: self, prefix: prefix, startSeq: head, pageSize: pageSize) }
        guard after >= 0 else { throw .invalid("after must be a sequence number of 0 or more, not \(after)") }
        // Rows are visible a moment before the head moves past them: check storage before refusing.
        let visibleHead = after <= head ? head : try node.visibleFeedHead()
        guard after <= visibleHead else {
            throw .invalid(
                "after \(after) is beyond this node's change feed head \(visibleHead): sequence numbers are per node, "
                    + "so resume only on the node that issued them")
        }
        let purgedSeq = try node.feedPurgedSeq()
        if after > 0, purgedSeq > after { throw ChangeFeed.truncated(position: after, purgedSeq: purgedSeq) }
        return ChangeFeed(store: self, prefix: prefix, startSeq: after, pageSize: pageSize)
    }
}
