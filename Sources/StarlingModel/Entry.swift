/// A live key as `entry`, `put` and `list` return it.
public struct Entry: Sendable, Hashable {
    /// The key.
    public var key: String
    /// The value (a copy: changing it never changes the store).
    public var value: JSONValue
    /// An opaque string that changes with every write to the key, derived from `(hlc, origin)`.
    public var version: String
    /// When the key expires, in Unix milliseconds, or nil if it never does.
    public var expiresAt: Int64?

    /// Creates an entry.
    public init(key: String, value: JSONValue, version: String, expiresAt: Int64?) {
        self.key = key
        self.value = value
        self.version = version
        self.expiresAt = expiresAt
    }
}

/// One page of `list`.
public struct ListPage: Sendable, Hashable {
    /// The live entries, in bytewise UTF-8 key order.
    public var items: [Entry]
    /// Pass as `after` to get the next page; nil when there is none.
    public var cursor: String?
    /// Whether more entries follow.
    public var hasMore: Bool

    /// Creates a page.
    public init(items: [Entry], cursor: String?, hasMore: Bool) {
        self.items = items
        self.cursor = cursor
        self.hasMore = hasMore
    }
}

/// Options of `put`. Conditional writes need a linearizable store, so on this backend
/// `onlyIfAbsent` and `ifVersion` are refused with `INVALID`.
///
/// At most one way of expiring may be given: ``ttl`` (seconds), ``ttlMillis``, ``expiresAt`` or
/// ``keepTTL``. With none, the key never expires.
public struct PutOptions: Sendable, Hashable {
    /// Seconds until the key expires; 0 (the default) for never.
    public var ttl: Int64 = 0
    /// Milliseconds until the key expires; 0 (the default) for never.
    public var ttlMillis: Int64 = 0
    /// When the key expires, in Unix milliseconds; nil (the default) for no set instant. An
    /// instant already past writes a value that is expired at once.
    public var expiresAt: Int64?
    /// Keep the expiry the key has now (none if it is absent or has none), as Redis's `KEEPTTL`.
    public var keepTTL = false
    /// Write only if the key is absent. Refused on `kv.crdt`.
    public var onlyIfAbsent = false
    /// Write only if the key's version is this. Refused on `kv.crdt`.
    public var ifVersion: String?

    /// Creates options.
    public init(
        ttl: Int64 = 0, ttlMillis: Int64 = 0, expiresAt: Int64? = nil, keepTTL: Bool = false,
        onlyIfAbsent: Bool = false, ifVersion: String? = nil
    ) {
        self.ttl = ttl
        self.ttlMillis = ttlMillis
        self.expiresAt = expiresAt
        self.keepTTL = keepTTL
        self.onlyIfAbsent = onlyIfAbsent
        self.ifVersion = ifVersion
    }
}

/// What a store promises, as `info()` reports it.
public struct StoreInfo: Sendable, Hashable {
    /// The store id.
    public var id: String
    /// Always `kv.crdt`.
    public var backend = "kv.crdt"
    /// Always `eventual`: reads see local state; peers converge once they can talk.
    public var consistency = "eventual"
    /// Always true: an acknowledged write is on disk.
    public var durable = true
    /// Always true: `list` is supported.
    public var list = true
    /// Always true: entries carry versions.
    public var versioned = true
    /// Always false: conditional writes are refused.
    public var conditionalPut = false
    /// Always true: keys may expire.
    public var ttl = true

    /// The info of store `id`.
    public init(id: String) {
        self.id = id
    }
}

/// Counts of a store's keys at one instant.
public struct StoreStats: Sendable, Hashable {
    /// Keys holding a value, live or expired but not yet swept: `activeKeys + expiredKeys`.
    public var totalKeys = 0
    /// Keys a read sees.
    public var activeKeys = 0
    /// Keys whose expiry passed, awaiting the sweep that turns them into tombstones.
    public var expiredKeys = 0
    /// Live keys with an expiry.
    public var keysWithTTL = 0
    /// Deleted keys kept so that older copies cannot resurrect them.
    public var tombstones = 0
    /// Live keys that are counters (carry increments).
    public var counters = 0
    /// The bytes of the live values' canonical encodings.
    public var valueBytes = 0

    /// Creates empty stats.
    public init() {}
}
