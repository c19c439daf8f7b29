import CStarlingSQLite
import Starling

/// The raw SQLite ceiling: one connection through the C API, prepared statements, the same
/// `entries` table and indexes as `Schema.swift` (created by migration 1) and the same pragmas as
/// `StorageOpener`. Nothing of Starling runs here: no HLC, no encoding, no tasks.
///
/// Not thread-safe: one owner, used from one task at a time.
final class BenchRawSQLite {
    /// The store's own `entries` table and indexes, with the columns later migrations added.
    static let schema = StorageSQL.entriesTable + "\n" + StorageSQL.entriesViaColumn

    /// The upsert the store's writer runs.
    static let upsertSQL = StorageSQL.upsertEntry

    /// The point read `Store.get` runs.
    static let getSQL = StorageSQL.readEntry

    /// A key-ordered range scan of 100 rows from a start key.
    static let listSQL = """
        SELECT key, hlc, origin, value, expires_at, counters FROM entries
        WHERE store = ?1 AND key >= ?2 ORDER BY key LIMIT 100
        """

    /// The store id the rows carry (Starling's `default` store is the first row of `stores`).
    static let storeID: Int64 = 1
    private static let origin: Int64 = 0x5354_4152

    private var handle: OpaquePointer?
    private var upsert: OpaquePointer?
    private var get: OpaquePointer?
    private var list: OpaquePointer?
    private var begin: OpaquePointer?
    private var commit: OpaquePointer?
    private var nextSeq: Int64 = 1
    private var nextHLC: Int64 = 1 << 16

    /// Creates the database at `path` with the schema and pragmas, and prepares the statements.
    /// - Parameter fullSync: `synchronous = FULL` (`--durability power`) instead of `NORMAL`.
    /// - Throws: ``BenchFailure`` with SQLite's message; the connection is closed on failure.
    init(path: String, fullSync: Bool) throws(BenchFailure) {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        handle = db
        guard rc == SQLITE_OK, db != nil else {
            let failure = failure(rc, "opening \(path)")
            close()
            throw failure
        }
        do throws(BenchFailure) {
            // The pragmas of StorageOpener.configure, for the same reasons (quoted there).
            try execute("PRAGMA journal_mode = WAL")
            try execute(fullSync ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            try execute("PRAGMA busy_timeout = 5000")
            try execute("PRAGMA temp_store = MEMORY")
            try execute(Self.schema)
            upsert = try prepare(Self.upsertSQL)
            get = try prepare(Self.getSQL)
            list = try prepare(Self.listSQL)
            begin = try prepare("BEGIN IMMEDIATE")
            commit = try prepare("COMMIT")
        } catch {
            close()
            throw error
        }
    }

    deinit {
        close()
    }

    /// Finalizes the statements and closes the connection. Idempotent.
    func close() {
        for statement in [upsert, get, list, begin, commit] { sqlite3_finalize(statement) }
        (upsert, get, list, begin, commit) = (nil, nil, nil, nil, nil)
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Upserts `keys` (each with `value`) in transactions of `perTransaction` rows.
    func load(_ keys: [String], value: [UInt8], perTransaction: Int) throws(BenchFailure) {
        var index = 0
        while index < keys.count {
            let end = min(keys.count, index + perTransaction)
            try run(begin, "BEGIN")
            for key in keys[index..<end] { try upsertRow(key, value) }
            try run(commit, "COMMIT")
            index = end
        }
    }

    /// One upsert of `key`, in a transaction of its own when `ownTransaction` is true.
    func upsert(_ key: String, _ value: [UInt8], ownTransaction: Bool) throws(BenchFailure) {
        if ownTransaction { try run(begin, "BEGIN") }
        try upsertRow(key, value)
        if ownTransaction { try run(commit, "COMMIT") }
    }

    /// Opens a transaction for a batch of ``upsert(_:_:ownTransaction:)`` calls.
    func beginBatch() throws(BenchFailure) { try run(begin, "BEGIN") }

    /// Commits the batch opened by ``beginBatch()``.
    func commitBatch() throws(BenchFailure) { try run(commit, "COMMIT") }

    /// Adds 1 to the integer value of `key` (read, then upsert with a one-slot counter blob, as
    /// an `incr` does), in a transaction of its own when `ownTransaction` is true.
    /// - Returns: the new value.
    @discardableResult
    func increment(_ key: String, ownTransaction: Bool) throws(BenchFailure) -> Int64 {
        if ownTransaction { try run(begin, "BEGIN") }
        let statement = get
        sqlite3_bind_int64(statement, 1, Self.storeID)
        bindKey(statement, 2, key)
        let rc = sqlite3_step(statement)
        var current: Int64 = 0
        if rc == SQLITE_ROW, let bytes = sqlite3_column_blob(statement, 2) {
            let count = Int(sqlite3_column_bytes(statement, 2))
            let text = String(decoding: UnsafeRawBufferPointer(start: bytes, count: count), as: UTF8.self)
            current = Int64(text) ?? 0
        }
        sqlite3_reset(statement)
        guard rc == SQLITE_ROW || rc == SQLITE_DONE else { throw failure(rc, "reading \(key)") }
        let next = current &+ 1
        var slot: [UInt8] = []
        slot.reserveCapacity(25)
        for field in [UInt64(bitPattern: Self.origin), UInt64(bitPattern: nextHLC), UInt64(bitPattern: next)] {
            for shift in stride(from: 56, through: 0, by: -8) {
                slot.append(UInt8(truncatingIfNeeded: field >> UInt64(shift)))
            }
        }
        slot.append(0)
        try upsertRow(key, Array(String(next).utf8), counters: slot)
        if ownTransaction { try run(commit, "COMMIT") }
        return next
    }

    /// Reads the register of `key`, touching every column as a caller would.
    /// - Returns: the value's size in bytes, or -1 if the key is absent.
    @discardableResult
    func read(_ key: String) throws(BenchFailure) -> Int {
        let statement = get
        defer { sqlite3_reset(statement) }
        sqlite3_bind_int64(statement, 1, Self.storeID)
        bindKey(statement, 2, key)
        let rc = sqlite3_step(statement)
        if rc == SQLITE_DONE { return -1 }
        guard rc == SQLITE_ROW else { throw failure(rc, "reading \(key)") }
        return Self.touchRow(statement, from: 0)
    }

    /// Scans 100 rows in key order from `start`, touching every column.
    /// - Returns: the rows read.
    @discardableResult
    func scan(from start: String) throws(BenchFailure) -> Int {
        let statement = list
        defer { sqlite3_reset(statement) }
        sqlite3_bind_int64(statement, 1, Self.storeID)
        bindKey(statement, 2, start)
        var rows = 0
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return rows }
            guard rc == SQLITE_ROW else { throw failure(rc, "scanning from \(start)") }
            _ = sqlite3_column_bytes(statement, 0)
            _ = Self.touchRow(statement, from: 1)
            rows += 1
        }
    }

    private func upsertRow(_ key: String, _ value: [UInt8], counters: [UInt8]? = nil) throws(BenchFailure) {
        let statement = upsert
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        sqlite3_bind_int64(statement, 1, Self.storeID)
        bindKey(statement, 2, key)
        sqlite3_bind_int64(statement, 3, nextHLC)
        sqlite3_bind_int64(statement, 4, Self.origin)
        value.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(statement, 5, bytes.baseAddress, Int32(bytes.count), starling_sqlite_transient())
        }
        sqlite3_bind_null(statement, 6)
        if let counters {
            counters.withUnsafeBytes { bytes in
                _ = sqlite3_bind_blob(statement, 7, bytes.baseAddress, Int32(bytes.count), starling_sqlite_transient())
            }
        } else {
            sqlite3_bind_null(statement, 7)
        }
        sqlite3_bind_int64(statement, 8, nextSeq)
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_DONE else { throw failure(rc, "upserting \(key)") }
        nextSeq += 1
        nextHLC += 1
    }

    private func bindKey(_ statement: OpaquePointer?, _ index: Int32, _ key: String) {
        var key = key
        key.withUTF8 { bytes in
            _ = sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), starling_sqlite_transient())
        }
    }

    /// Reads the five register columns starting at `first`, as `EntryRow.register` does.
    private static func touchRow(_ statement: OpaquePointer?, from first: Int32) -> Int {
        _ = sqlite3_column_int64(statement, first)
        _ = sqlite3_column_int64(statement, first + 1)
        _ = sqlite3_column_blob(statement, first + 2)
        let bytes = Int(sqlite3_column_bytes(statement, first + 2))
        _ = sqlite3_column_type(statement, first + 3)
        _ = sqlite3_column_type(statement, first + 4)
        return bytes
    }

    private func run(_ statement: OpaquePointer?, _ what: String) throws(BenchFailure) {
        defer { sqlite3_reset(statement) }
        let rc = sqlite3_step(statement)
        guard rc == SQLITE_DONE else { throw failure(rc, what) }
    }

    private func execute(_ sql: String) throws(BenchFailure) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(rc, sql) }
    }

    private func prepare(_ sql: String) throws(BenchFailure) -> OpaquePointer? {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, statement != nil else {
            sqlite3_finalize(statement)
            throw failure(rc, "preparing \(sql)")
        }
        return statement
    }

    private func failure(_ rc: Int32, _ what: String) -> BenchFailure {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection"
        return BenchFailure("raw SQLite: \(what) failed with code \(rc): \(message)")
    }
}

/// A benchmark failure with a message a person can act on.
struct BenchFailure: Error, CustomStringConvertible {
    /// What went wrong.
    var description: String

    /// A failure saying `description`.
    init(_ description: String) {
        self.description = description
    }
}
