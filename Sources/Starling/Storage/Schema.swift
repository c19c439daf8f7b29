/// The database schema and its versioned migrations.
///
/// `PRAGMA user_version` holds the schema version. Each migration moves the schema one
/// version forward inside the opening transaction; `Fixtures/db/` keeps files written by every
/// earlier version and tests open them, so an upgrade never strands a user's data.
enum Schema {
    /// The version this build writes.
    static let currentVersion: Int64 = 4

    /// `migrations[i]` takes a database from version `i` to `i + 1`.
    static let migrations: [String] = [
        """
        CREATE TABLE meta (
            name  TEXT PRIMARY KEY NOT NULL,
            value INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE stores (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );

        """ + StorageSQL.entriesTable,
        """
        -- Replication progress per member, so a restart resumes instead of re-sending everything:
        -- `acked` is how far the member holds this peer's feed, `received` how far this peer holds
        -- the member's feed (both local sequence numbers of the respective feed).
        CREATE TABLE peers (
            node_id   INTEGER PRIMARY KEY,
            address   TEXT    NOT NULL,
            acked     INTEGER NOT NULL,
            received  INTEGER NOT NULL,
            last_seen INTEGER NOT NULL
        );
        """,
        """
        -- Tombstones by stamp, for garbage collection against the stable horizon.
        CREATE INDEX entries_tombstones ON entries (hlc) WHERE value IS NULL AND counters IS NULL;
        """,
        StorageSQL.entriesViaColumn,
    ]

    /// Brings the database to ``currentVersion``.
    /// - Throws: `INTERNAL` if the file was written by a newer Starling; storage errors as mapped.
    static func migrate(_ db: SQLiteConnection, path: String) throws(StoreError) {
        let found: Int64
        do {
            found = try db.scalarInt64("PRAGMA user_version") ?? 0
        } catch {
            throw StoreError(error, while: "reading the schema version of \(path)")
        }
        if found > currentVersion {
            throw StoreError.internal(
                "\(path) has schema version \(found), newer than this build's \(currentVersion): "
                    + "run a newer Starling, or restore a backup")
        }
        do throws(SQLiteError) {
            try db.beginImmediate()
            var version = try db.scalarInt64("PRAGMA user_version") ?? 0
            while version < currentVersion {
                try db.execute(migrations[Int(version)])
                version += 1
                try db.execute("PRAGMA user_version = \(version)")
            }
            try db.commit()
        } catch {
            // Not acted on if it fails: `error` is the one to report, and the opener abandons the
            // connection on it, which rolls back what is left.
            try? db.rollback()
            throw StoreError(error, while: "migrating the schema of \(path)")
        }
    }
}
