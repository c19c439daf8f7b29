internal import CStarlingSQLite

/// One SQLite connection with a cache of prepared statements. Every call's result is checked
/// and a failure thrown as ``SQLiteError``; where a result is deliberately not acted on, a comment
/// says why.
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
            // "Whether or not an error occurs when it is opened, resources associated with the
            // database connection handle should be released by passing it to sqlite3_close()"
            // (https://sqlite.org/c3ref/open.html). Its result is not acted on: the open's error is
            // the one to report, and closing a handle that never opened has nothing to flush.
            _ = sqlite3_close_v2(db)
            throw SQLiteError(code: rc, extendedCode: rc, message: message, statement: nil, database: path)
        }
        handle = db
        let extended = sqlite3_extended_result_codes(db, 1)
        guard extended == SQLITE_OK else {
            let failure = error(extended, nil)
            try? close()  // The failure above is the one to report.
            throw failure
        }
    }

    deinit {
        // A deinit has no caller to report to; the owners close explicitly first (the writer at
        // `Node.close()`, the reader pool as it drops a connection) and report a failure there.
        try? close()
    }

    /// Finalizes every cached statement and closes the connection. Idempotent.
    /// - Throws: SQLite's error if `sqlite3_close_v2` fails; the connection counts as closed
    ///   anyway (`sqlite3_close_v2` fails only for a handle that is not an open connection, and
    ///   otherwise defers the release while a statement is unfinalized instead of failing).
    /// Installs `hook` as the connection's `sqlite3_wal_hook`, called after each commit with the
    /// WAL's size in frames; it replaces SQLite's automatic checkpoint on this connection.
    func setWALHook(
        _ context: UnsafeMutableRawPointer,
        _ hook:
            @escaping @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32
    ) {
        _ = sqlite3_wal_hook(handle, hook, context)
    }

    func close() throws(SQLiteError) {
        statements.removeAll()
        guard let handle else { return }
        let rc = sqlite3_close_v2(handle)
        let failure = rc == SQLITE_OK ? nil : error(rc, nil)
        self.handle = nil
        if let failure { throw failure }
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

    /// Rolls back the open transaction, if one is still open: "If certain kinds of errors occur
    /// within a transaction, the transaction may or may not be rolled back automatically"
    /// (https://sqlite.org/lang_transaction.html), and a ROLLBACK with none open fails.
    /// - Throws: SQLite's error if the ROLLBACK fails; the transaction is still open then.
    func rollback() throws(SQLiteError) {
        guard isInTransaction else { return }
        try execute(StorageSQL.rollback)
    }

    /// Whether a transaction is open ("The sqlite3_get_autocommit() interface returns non-zero or
    /// zero if the given database connection is or is not in autocommit mode, respectively").
    var isInTransaction: Bool {
        handle.map { sqlite3_get_autocommit($0) == 0 } ?? false
    }

    /// Runs `body` in one read transaction, so that everything it reads is of one snapshot.
    /// - Throws: what `body` throws, or a failed BEGIN or COMMIT (the transaction is rolled back).
    func inReadTransaction<T>(_ body: () throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        try execute(StorageSQL.begin)
        do {
            let result = try body()
            try commit()
            return result
        } catch {
            // `error` is the one to report. A ROLLBACK that fails as well leaves the transaction
            // open, and then the reader pool closes this connection rather than keep its snapshot
            // (``ReaderPool``), so the rollback's own failure needs no further handling here.
            try? rollback()
            throw error
        }
    }

    /// The cached prepared statement for `sql`, reset and with bindings cleared.
    func statement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let cached = statements[sql] {
            try cached.reset()
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        // "If there is an error, *ppStmt is set to NULL" (https://sqlite.org/c3ref/prepare.html):
        // nothing to finalize.
        guard rc == SQLITE_OK else { throw error(rc, sql) }
        guard let raw else {
            // SQLITE_OK without a statement: the text holds only white space or comments.
            throw SQLiteError(
                code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE, message: "no SQL statement in the text",
                statement: sql,
                database: path)
        }
        let statement = SQLiteStatement(raw, connection: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Reads one integer-valued PRAGMA or scalar query.
    func scalarInt64(_ sql: String) throws(SQLiteError) -> Int64? {
        try statement(sql).withReset { statement throws(SQLiteError) in
            try statement.step() ? statement.int64OrNil(0) : nil
        }
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
