/// Every statement the store runs on its tables, in one place: the named queries of
/// `SQLiteConnection+*.swift` run them, and `starling-bench local` runs the very same hot-path
/// statements on raw SQLite for its baseline (hence those are `package`). The schema's other
/// migrations are ``Schema/migrations``; the connection PRAGMAs stay in ``StorageOpener`` and
/// ``ReaderPool``, each beside the SQLite documentation it follows.
package enum StorageSQL {
    /// The `entries` table and its indexes (created by schema migration 1).
    package static let entriesTable = """
        -- One row per (store, key): the key's register. `value` NULL is a tombstone.
        -- The empty key holds the store's clear() range tombstone.
        -- WITHOUT ROWID clusters rows in key order: `list` and range digests scan ~10x faster,
        -- at the price of slower random inserts (measured in Design.md).
        CREATE TABLE entries (
            store      INTEGER NOT NULL,
            key        BLOB    NOT NULL,
            hlc        INTEGER NOT NULL,
            origin     INTEGER NOT NULL,
            value      BLOB,
            expires_at INTEGER,
            counters   BLOB,
            seq        INTEGER NOT NULL,
            PRIMARY KEY (store, key)
        ) WITHOUT ROWID;

        -- The change feed: every applied change gets the next local sequence number.
        CREATE UNIQUE INDEX entries_by_seq ON entries (seq);

        -- Live values with a TTL, for the expiry sweep.
        CREATE INDEX entries_by_expiry ON entries (expires_at)
            WHERE expires_at IS NOT NULL AND value IS NOT NULL;
        """

    /// The column migration 4 adds to `entries`.
    package static let entriesViaColumn = """
        -- The member a row's register was received from, when the row holds exactly what it sent
        -- (NULL for local writes, merges and rows written before version 4): replication never
        -- sends a row back to the member it came from.
        ALTER TABLE entries ADD COLUMN via INTEGER;
        """

    // MARK: Registers (`entries`)

    /// Writes a key's register with its new sequence number: parameters store, key, the five
    /// ``EntryRow/registerColumns``, seq, via (the member it came from, or NULL).
    package static let upsertEntry = """
        INSERT INTO entries (store, key, \(EntryRow.registerColumns), seq, via)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
        ON CONFLICT (store, key) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin,
            value = excluded.value, expires_at = excluded.expires_at,
            counters = excluded.counters, seq = excluded.seq, via = excluded.via
        """

    /// Reads one key's register: parameters store, key.
    package static let readEntry = "SELECT \(EntryRow.registerColumns) FROM entries WHERE store = ?1 AND key = ?2"

    /// A store's keys and registers in key order from a lower bound and after a cursor:
    /// parameters store, lower, after.
    static let scanStore =
        "SELECT key, \(EntryRow.registerColumns) FROM entries WHERE store = ?1 AND key >= ?2 AND key > ?3 ORDER BY key"

    /// ``scanStore`` below an upper bound: parameters store, lower, after, upper.
    static let scanStoreBelow =
        "SELECT key, \(EntryRow.registerColumns) FROM entries WHERE store = ?1 AND key >= ?2 AND key > ?3"
        + " AND key < ?4 ORDER BY key"

    /// Every store's name, key and register, in no particular order.
    static let everyEntry =
        "SELECT s.name, e.key, \(EntryRow.registerColumns) FROM entries e JOIN stores s ON s.id = e.store"

    /// ``everyEntry`` ordered by store name, then key.
    static let everyEntryInOrder = everyEntry + " ORDER BY s.name, e.key"

    /// Live values that expire at or before a time, oldest expiry first: parameters now, limit.
    static let expiredEntries = """
        SELECT store, key, \(EntryRow.registerColumns) FROM entries
        WHERE expires_at IS NOT NULL AND value IS NOT NULL AND expires_at <= ?1
        ORDER BY expires_at LIMIT ?2
        """

    /// Frees an expired value, keeping its row: parameters store, key.
    static let freeValue = "UPDATE entries SET value = NULL WHERE store = ?1 AND key = ?2"

    /// Deletes a store's registers stamped before a clear's timestamp: parameters store, hlc.
    static let deleteStampedBefore = "DELETE FROM entries WHERE store = ?1 AND key <> x'' AND hlc < ?2"

    /// The keys and origins of a store's registers stamped at a clear's timestamp: parameters store, hlc.
    static let stampedAt = "SELECT key, origin FROM entries WHERE store = ?1 AND key <> x'' AND hlc = ?2"

    /// Deletes one register: parameters store, key.
    static let deleteEntry = "DELETE FROM entries WHERE store = ?1 AND key = ?2"

    /// Deletes up to a limit of tombstones stamped before a bound and dead before a time, never
    /// a range tombstone nor a counter, returning their sequence numbers: parameters bound,
    /// dead-before, limit. `entries_tombstones` (a partial index) finds them without scanning live rows.
    static let purgeTombstones = """
        DELETE FROM entries WHERE (store, key) IN (
            SELECT store, key FROM entries
            WHERE value IS NULL AND counters IS NULL AND hlc < ?1 AND key <> x''
                AND (expires_at IS NULL OR expires_at < ?2)
            LIMIT ?3)
        RETURNING seq
        """

    /// Every store's range tombstone (the register of the empty key).
    static let rangeTombstones = "SELECT store, \(EntryRow.registerColumns) FROM entries WHERE key = x''"

    // MARK: The change feed (`entries` by `seq`)

    /// The columns of a change: seq, store name, key, the register and via.
    private static let changeColumns =
        "e.seq, s.name, e.key, e.hlc, e.origin, e.value, e.expires_at, e.counters, e.via"

    /// Every store's changes after a sequence number: parameters seq, limit.
    static let changesAfter =
        "SELECT \(changeColumns) FROM entries e JOIN stores s ON s.id = e.store WHERE e.seq > ?1"
        + " ORDER BY e.seq LIMIT ?2"

    /// One store's changes after a sequence number: parameters seq, limit, store.
    static let storeChangesAfter =
        "SELECT \(changeColumns) FROM entries e JOIN stores s ON s.id = e.store WHERE e.seq > ?1 AND e.store = ?3"
        + " ORDER BY e.seq LIMIT ?2"

    /// One store's feed rows after a sequence number: parameters seq, store, limit.
    static let storeFeed =
        "SELECT seq, key, \(EntryRow.registerColumns) FROM entries WHERE seq > ?1 AND store = ?2 ORDER BY seq LIMIT ?3"

    /// ``storeFeed`` of the keys from a lower bound, and the range tombstone: parameters seq,
    /// store, limit, lower.
    static let storeFeedFrom =
        "SELECT seq, key, \(EntryRow.registerColumns) FROM entries WHERE seq > ?1 AND store = ?2"
        + " AND (key = x'' OR key >= ?4) ORDER BY seq LIMIT ?3"

    /// ``storeFeed`` of the keys in `[lower, upper)`, and the range tombstone: parameters seq,
    /// store, limit, lower, upper.
    static let storeFeedBetween =
        "SELECT seq, key, \(EntryRow.registerColumns) FROM entries WHERE seq > ?1 AND store = ?2"
        + " AND (key = x'' OR (key >= ?4 AND key < ?5)) ORDER BY seq LIMIT ?3"

    /// Every store's feed rows after a sequence number: parameters seq, limit.
    static let feed =
        "SELECT seq, store, key, \(EntryRow.registerColumns) FROM entries WHERE seq > ?1 ORDER BY seq LIMIT ?2"

    /// The highest sequence number a row holds.
    static let maxSeq = "SELECT max(seq) FROM entries"

    // MARK: Stores (`stores`)

    /// Adds a store's row unless it has one: parameter name.
    static let insertStore = "INSERT OR IGNORE INTO stores (name) VALUES (?1)"

    /// A store's row id: parameter name.
    static let storeID = "SELECT id FROM stores WHERE name = ?1"

    /// Every store's name and row id.
    static let everyStore = "SELECT name, id FROM stores"

    // MARK: Node state (`meta`)

    /// One value: parameter name.
    static let readMeta = "SELECT value FROM meta WHERE name = ?1"

    /// Sets one value: parameters name, value.
    static let writeMeta = "INSERT OR REPLACE INTO meta (name, value) VALUES (?1, ?2)"

    /// Sets the persisted clock, once per write batch: parameter hlc.
    static let writeLastHLC = "INSERT OR REPLACE INTO meta (name, value) VALUES ('last_hlc', ?1)"

    /// Records the node's identity, once: parameter node id.
    static let insertNodeID = "INSERT INTO meta (name, value) VALUES ('node_id', ?1)"

    // MARK: Replication progress (`peers`)

    /// Every member's progress, by node id.
    static let everyPeer = "SELECT node_id, address, acked, received, last_seen FROM peers ORDER BY node_id"

    /// Sets one member's progress: parameters node id, address, acked, received, last seen.
    static let upsertPeer = """
        INSERT INTO peers (node_id, address, acked, received, last_seen) VALUES (?1, ?2, ?3, ?4, ?5)
        ON CONFLICT (node_id) DO UPDATE SET address = excluded.address, acked = excluded.acked,
            received = excluded.received, last_seen = excluded.last_seen
        """

    // MARK: Transactions

    /// A deferred transaction: a reader's snapshot starts at its first read.
    static let begin = "BEGIN"

    /// A write transaction, taking the write lock at once.
    static let beginImmediate = "BEGIN IMMEDIATE"

    static let commit = "COMMIT"

    static let rollback = "ROLLBACK"
}
