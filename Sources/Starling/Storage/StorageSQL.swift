/// The SQL of the hot paths, in one place: the store runs it, and `starling-bench local` runs
/// the very same statements on raw SQLite for its baseline (hence `package`).
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

    /// Writes a key's register with its new sequence number: parameters store, key, the five
    /// ``EntryRow/registerColumns``, seq.
    package static let upsertEntry = """
        INSERT INTO entries (store, key, \(EntryRow.registerColumns), seq)
        VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
        ON CONFLICT (store, key) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin,
            value = excluded.value, expires_at = excluded.expires_at,
            counters = excluded.counters, seq = excluded.seq
        """

    /// Reads one key's register: parameters store, key.
    package static let readEntry = "SELECT \(EntryRow.registerColumns) FROM entries WHERE store = ?1 AND key = ?2"
}
