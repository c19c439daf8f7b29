public import StarlingCore

/// The changes of one store as they commit, from ``Store/watch(prefix:after:)``: an
/// `AsyncSequence` of ``Event``s in sequence order, with no gap and no duplicate.
///
/// A feed first replays what storage holds after its start position, page by page, then follows
/// new commits, local writes and replicated ones alike, until the consumer stops iterating, its
/// task is cancelled, or the node closes (then the sequence ends normally).
///
/// **What a change is.** Each committed write gives its key's row the node's next sequence number
/// (`seq`), overwriting the row in place. A feed therefore reports the *latest* state of each key
/// changed after its position, not every intermediate write: a key set three times while the feed
/// was behind appears once, at its latest `seq`. For a last-writer-wins store that is the state
/// that matters; a consumer that applies events in order holds the store's state at the last
/// `seq` it saw. `seq` numbers are local to a node and have gaps (overwritten rows); resume only
/// on the node that issued them.
///
/// **Expiry** is not a change: no write happens when a value's time runs out, on any peer. The
/// `set` event carries ``Event/expiresAt``; a feed that reads the key after that instant reports
/// it as ``Event/Kind/expired``. A `clear()` is one event (empty key) that stands for every key
/// written before it; the rows it removed are not reported one by one.
///
/// **Memory and cost.** Feeds that keep up share one reader per node: on each commit it reads the
/// new rows once and keeps the latest few thousand in memory, and every feed takes its store's and
/// prefix's rows from there, so a watcher costs no storage read of its own and the writer wakes
/// one reader, however many watchers there are. A feed that falls behind that window (a slow
/// consumer, or one resuming from an old position) reads storage from its position on its own
/// until it catches up: it costs only its lag, never holds up the others, and always catches up.
///
/// **Resuming too late.** Deleted keys' tombstones are eventually purged
/// (``Node/purgeTombstones(before:deadBeforeMillis:limit:)``). A feed positioned before a purged
/// tombstone would silently miss that deletion, so instead it fails with `INVALID` (from
/// ``Store/watch(prefix:after:)``, or from iteration if the purge happens while the consumer lags).
/// Re-read the store (`list`) and watch from now.
public struct ChangeFeed: AsyncSequence, Sendable {
    /// The elements: one per changed key.
    public typealias Element = Event
    /// The error iteration throws.
    public typealias Failure = StoreError

    /// The store watched.
    public let store: Store
    /// Only keys starting with this are reported (the store's `clear()` always is).
    public let prefix: String
    /// The sequence number after which the feed starts: the one passed to `watch`, or the node's
    /// head when the feed was created with `after: nil`.
    public let startSeq: Int64
    /// How many rows one storage read returns at most.
    let pageSize: Int

    init(store: Store, prefix: String, startSeq: Int64, pageSize: Int) {
        self.store = store
        self.prefix = prefix
        self.startSeq = startSeq
        self.pageSize = Swift.max(1, pageSize)
    }

    /// A new iterator positioned at ``startSeq``. Each iterator follows the feed on its own; it
    /// stops observing the node when iteration ends or the iterator is dropped.
    public func makeAsyncIterator() -> Iterator {
        Iterator(feed: self)
    }
}

extension ChangeFeed {
    /// One change: the state of `key` as of sequence number `seq`.
    public struct Event: Sendable, Hashable {
        /// What the change did to the key.
        public enum Kind: String, Sendable, Hashable {
            /// The key holds a value (`set`, `put`, `mset`, `expire`, or a replicated write).
            case set
            /// The key is a counter and its value changed (`incr`, `decr`).
            case incr
            /// The key was deleted.
            case delete
            /// The key's value had expired when the feed read it (`expiresAt` tells when).
            case expired
            /// The store was cleared: every key written before ``Event/version`` is gone. The key is empty.
            case clear
        }

        /// The node-local sequence number of the change; resume after it with `watch(after:)`.
        public var seq: Int64
        /// The key; empty for ``Kind/clear``.
        public var key: String
        /// What happened.
        public var kind: Kind
        /// The value the key holds, for ``Kind/set`` and ``Kind/incr``; nil otherwise.
        public var value: JSONValue?
        /// The key's version after the change, as `entry` reports it.
        public var version: String
        /// When the value expires (or expired, for ``Kind/expired``), in Unix milliseconds.
        public var expiresAt: Int64?

        /// Creates an event.
        public init(seq: Int64, key: String, kind: Kind, value: JSONValue?, version: String, expiresAt: Int64?) {
            self.seq = seq
            self.key = key
            self.kind = kind
            self.value = value
            self.version = version
            self.expiresAt = expiresAt
        }
    }
}

extension ChangeFeed.Event.Kind {
    /// What `register`, read at `nowMillis` as the row of `key`, says happened to the key, and the
    /// value and expiry to report.
    static func classify(key: String, register: Register, nowMillis: Int64)
        -> (kind: Self, value: EncodedValue?, expiresAt: Int64?)
    {
        if key == Register.rangeTombstoneKey { return (.clear, nil, nil) }
        switch register.visibility(at: nowMillis) {
        case .live(let value, let expiresAt):
            return (register.increments.isEmpty ? .set : .incr, value, expiresAt)
        case .absent:
            if case .tombstone = register.content, register.expiresAt == nil { return (.delete, nil, nil) }
            return (.expired, nil, register.expiresAt)
        }
    }
}
