import Logging
import StarlingCore

/// Opens the writer connection of a data directory: connection settings, schema migration,
/// the node's identity and clock, its stores, and where the change feed stands.
enum StorageOpener {
    struct Opened {
        var writer: SQLiteConnection
        var state: WriterState
        var storeIDs: [String: StoreID]
    }

    /// Opens the database of `directory`, creating it (and the identity file) in a new one.
    ///
    /// With `settings.storage.reinitialize`, a directory refused for its files (missing, empty
    /// or orphaned database files, a foreign identity, corruption) has them moved aside and is
    /// opened as a new one; both the refusal and the move are logged.
    /// - Throws: `UNAVAILABLE` for a damaged directory or a corrupt database (naming the file and
    ///   the ways to recover) and for storage that cannot be opened; `INTERNAL` for a newer schema.
    static func open(
        _ directory: DataDirectory, settings: Node.Settings, clock: any WallClock, logger: Logger
    ) throws(StoreError) -> Opened {
        guard settings.storage.reinitialize else {
            return try openInPlace(directory, settings: settings, verify: settings.storage.checkOnOpen, logger: logger)
        }
        do throws(StoreError) {
            let opened = try openInPlace(directory, settings: settings, verify: true, logger: logger)
            logger.notice(
                "reinitialize is set, but the data directory opened as it is: nothing was moved",
                metadata: ["directory": "\(directory.path)"])
            return opened
        } catch let error where error.detail == .damagedDataDirectory || error.detail == .corruptDatabase {
            logger.warning(
                "re-initialising the data directory",
                metadata: ["directory": "\(directory.path)", "reason": "\(error.message)"])
            let moved = try directory.moveAside(stamp: DataDirectory.stamp(millis: clock.nowMillis()))
            for file in moved {
                logger.warning("moved aside", metadata: ["file": "\(file.from)", "to": "\(file.to)"])
            }
            let opened = try openInPlace(directory, settings: settings, verify: false, logger: logger)
            logger.warning(
                "re-initialised the data directory: the node starts empty under a new id",
                metadata: ["directory": "\(directory.path)", "node": "\(opened.state.nodeID)"])
            return opened
        }
    }

    /// Opens `directory` as its files are, refusing a damaged one.
    private static func openInPlace(
        _ directory: DataDirectory, settings: Node.Settings, verify: Bool, logger: Logger
    ) throws(StoreError) -> Opened {
        let condition = try directory.inspect()
        let path = directory.database
        let db: SQLiteConnection
        do {
            db = try SQLiteConnection(path: path, readOnly: false, create: condition == .new)
        } catch {
            throw StoreError(error, while: "opening \(path)")
        }
        do {
            try configure(db, settings: settings.storage)
        } catch {
            abandon(db)
            throw StoreError(error, while: "configuring \(path)")
        }
        do {
            if verify, condition != .new { try quickCheck(db) }
            if case .existing(let recorded?) = condition { try checkIdentity(db, directory, recorded) }
            try Schema.migrate(db, path: path)
            let opened = try loadState(db, settings: settings)
            try recordIdentity(opened.state.nodeID, directory, condition, logger: logger)
            return opened
        } catch let error as StoreError {
            abandon(db)
            throw error
        } catch {
            abandon(db)
            throw .internal("opening \(path): \(error)")
        }
    }

    /// Closes the connection of an open that failed. A failure to close is not acted on: the
    /// open's error is the one to report, and closing rolls back a transaction that a failed
    /// ROLLBACK left open ("If an sqlite3 object is destroyed while a transaction is open, the
    /// transaction is automatically rolled back", https://sqlite.org/c3ref/close.html).
    private static func abandon(_ db: SQLiteConnection) {
        try? db.close()
    }

    /// `PRAGMA synchronous` for a durability, on every connection that writes the database (the
    /// writer, and the checkpointer, whose checkpoints sync by it).
    static func synchronous(_ durability: Node.Settings.Storage.Durability) -> String {
        switch durability {
        case .process:
            // "In WAL mode when synchronous is NORMAL (1), the WAL file is synchronized before each
            // checkpoint ... A transaction committed in WAL mode with synchronous=NORMAL might roll
            // back following a power loss or system crash", but survives a crash of the process.
            "NORMAL"
        case .power:
            // "With synchronous=FULL in WAL mode, an additional sync operation of the WAL file
            // happens after each transaction commit", so a commit survives power loss.
            "FULL"
        }
    }

    /// The bytes of the database file every connection reads through a memory map (1 GiB; the
    /// rest of a larger file is read with `pread`, as without a map).
    static let mmapBytes = 1 << 30

    /// Connection settings, each from the SQLite documentation (https://sqlite.org/pragma.html).
    private static func configure(_ db: SQLiteConnection, settings: Node.Settings.Storage) throws(SQLiteError) {
        // "The WAL journaling mode uses a write-ahead log instead of a rollback journal ...
        // WAL provides more concurrency as readers do not block writers and a writer does not
        // block readers." The mode is persistent: it is stored in the database file.
        try db.execute("PRAGMA journal_mode = WAL")
        try db.execute("PRAGMA synchronous = \(synchronous(settings.durability))")
        // The writer is the only writer in the process; a busy timeout covers external tools
        // (a backup reading with `sqlite3 .backup`) holding brief locks.
        try db.execute("PRAGMA busy_timeout = 5000")
        // "cache_size: ... the suggested maximum number of database disk pages that SQLite will hold
        // in memory at once per open database file" (negative: KiB). The default 2 MB spills in the
        // middle of a batch of random upserts on a large table; 64 MiB for the one writer does not.
        try db.execute("PRAGMA cache_size = -65536")
        // "temp_store = MEMORY": temporary tables and indices are kept in memory.
        try db.execute("PRAGMA temp_store = MEMORY")
        // "mmap_size: ... the maximum number of bytes of the database file that will be accessed
        // using memory-mapped I/O": pages are read from the map rather than copied in by `pread`.
        try db.execute("PRAGMA mmap_size = \(mmapBytes)")
        if let maxBytes = settings.maxDatabaseBytes {
            let pageSize = try db.scalarInt64("PRAGMA page_size") ?? 4096
            // "Query or set the maximum number of pages in the database file." Writes past it fail
            // with SQLITE_FULL, which the store reports as UNAVAILABLE.
            try db.execute("PRAGMA max_page_count = \(max(16, maxBytes / pageSize))")
        }
    }

    private static func loadState(_ db: SQLiteConnection, settings: Node.Settings) throws -> Opened {
        try db.beginImmediate()
        do {
            let nodeID =
                try db.metaValue(.nodeID).map { NodeID(rawValue: UInt64(bitPattern: $0)) }
                ?? createNodeID(db, settings.initialNodeID)
            let lastHLC = try db.metaValue(.lastHLC).map { HybridTimestamp(rawValue: UInt64(bitPattern: $0)) }
            var storeIDs: [String: StoreID] = [:]
            for name in Set(settings.stores + ["default"]) {
                guard let id = try db.registerStore(named: name) else {
                    throw StoreError.internal("store \(name) vanished while opening")
                }
                storeIDs[name] = id
            }
            let allStores = try db.everyStore()
            let clearStamps = try db.rangeTombstoneStamps()
            // The feed head is the last row's sequence number, unless that row was purged since.
            let maxSeq = max(try db.maxSeq(), try db.metaValue(.feedHead) ?? 0)
            let purgeHorizon = try db.metaValue(.purgeHorizon).map { HybridTimestamp(rawValue: UInt64(bitPattern: $0)) }
            try db.commit()
            var clock = HybridLogicalClock(maxOffsetMillis: settings.maxClockOffsetMillis)
            if let lastHLC { clock.advance(to: lastHLC) }
            let state = WriterState(
                nodeID: nodeID, clock: clock, nextSeq: maxSeq + 1, clearStamps: clearStamps, stores: allStores,
                purgeHorizon: purgeHorizon)
            return Opened(writer: db, state: state, storeIDs: storeIDs)
        } catch {
            // Not acted on if it fails: `error` is the one to report, and the caller abandons the
            // connection, which rolls back what is left.
            try? db.rollback()
            if let error = error as? SQLiteError { throw StoreError(error, while: "loading the node state") }
            throw error
        }
    }

    private static func createNodeID(_ db: SQLiteConnection, _ chosen: NodeID?) throws -> NodeID {
        var generator = SystemRandomNumberGenerator()
        let id = chosen ?? NodeID.random(using: &generator)
        try db.insertNodeID(id)
        return id
    }
}
