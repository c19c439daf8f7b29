internal import CStarlingSQLite

/// One SQLite connection with a cache of prepared statements.
///
/// Not thread-safe: each connection has exactly one owner at a time (the writer thread, or a
/// reader checked out of the pool), following GRDB's concurrency rules.
final class SQLiteConnection {
    private var handle: OpaquePointer?
    private var statements: [String: SQLiteStatement] = [:]
    /// The database file, named in errors.
    let path: String

    /// Opens the database at `path`: read-only, read-write, or read-write creating the file if
    /// it is missing (`create`, only for a data directory that has no database yet).
    /// - Throws: ``SQLiteError``; the handle is closed on failure.
    init(path: String, readOnly: Bool, create: Bool = false) throws(SQLiteError) {
        self.path = path
        var db: OpaquePointer?
        let access = readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0)
        let flags = access | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
            sqlite3_close_v2(db)
            throw SQLiteError(code: rc, extendedCode: rc, message: message, statement: nil, database: path)
        }
        handle = db
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        close()
    }

    /// Finalizes every cached statement and closes the connection. Idempotent.
    func close() {
        statements.removeAll()
        if let handle {
            sqlite3_close_v2(handle)
            self.handle = nil
        }
    }

    /// Runs one or more SQL statements that return no rows.
    func execute(_ sql: String) throws(SQLiteError) {
        let rc = sqlite3_exec(handle, sql, nil, nil, nil)
        if rc != SQLITE_OK { throw error(rc, sql) }
    }

    /// Opens a write transaction, taking the write lock at once.
    func beginImmediate() throws(SQLiteError) {
        try execute(StorageSQL.beginImmediate)
    }

    /// Commits the open transaction.
    func commit() throws(SQLiteError) {
        try execute(StorageSQL.commit)
    }

    /// Rolls back the open transaction.
    func rollback() throws(SQLiteError) {
        try execute(StorageSQL.rollback)
    }

    /// Runs `body` in one read transaction, so that everything it reads is of one snapshot.
    func inReadTransaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try execute(StorageSQL.begin)
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            try? rollback()
            throw error
        }
    }

    /// The cached prepared statement for `sql`, reset and with bindings cleared.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else {
            sqlite3_finalize(raw)
            throw error(rc, sql)
        }
        let statement = SQLiteStatement(raw, connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Reads one integer-valued PRAGMA or scalar query.
    func scalarInt64(_ sql: String) throws(SQLiteError) -> Int64? {
        let statement = try statement(sql)
        defer { statement.reset() }
        return try statement.step() ? statement.int64OrNil(0) : nil
    }

    /// The number of rows the last statement changed.
    var changes: Int { Int(sqlite3_changes(handle)) }

    /// Builds an error from a result code with this connection's message.
    func error(_ rc: Int32, _ sql: String?) -> SQLiteError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "no connection"
        let extended = handle.map { sqlite3_extended_errcode($0) } ?? rc
        return SQLiteError(code: rc, extendedCode: extended, message: message, statement: sql, database: path)
    }
}
