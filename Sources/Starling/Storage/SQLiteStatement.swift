internal import CStarlingSQLite

/// A prepared statement owned by one ``SQLiteConnection``. Parameters are 1-based and columns
/// 0-based, as in SQLite. Every bind, step and reset is checked: a failure throws ``SQLiteError``
/// (which ``StoreError/init(_:while:)`` maps), never passes unnoticed.
final class SQLiteStatement {
    private let raw: OpaquePointer
    private unowned let connection: SQLiteConnection
    let sql: String

    init(_ raw: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.raw = raw
        self.connection = connection
        self.sql = sql
    }

    deinit {
        // Not acted on: "If the most recent evaluation of statement S failed, then
        // sqlite3_finalize(S) returns the appropriate error code" (https://sqlite.org/c3ref/finalize.html),
        // an error ``step()`` already threw; the statement is destroyed whatever it returns.
        _ = sqlite3_finalize(raw)
    }

    /// Resets the statement for another run and clears its bindings.
    /// - Throws: the error of the statement's last step, if that failed and was not reset since.
    func reset() throws(SQLiteError) {
        let reset = sqlite3_reset(raw)
        let cleared = sqlite3_clear_bindings(raw)
        try check(reset)
        try check(cleared)
    }

    /// Runs `body` with the statement, then resets it, on every path: a statement left in the
    /// middle of its rows would keep its read transaction open (a stale snapshot, and a write-ahead
    /// log that cannot be checkpointed past it).
    /// - Throws: what `body` throws; else a failed reset.
    func withReset<T>(_ body: (SQLiteStatement) throws(SQLiteError) -> T) throws(SQLiteError) -> T {
        let result: T
        do {
            result = try body(self)
        } catch {
            // `body`'s error is the one thrown, and the reset's result is not acted on: sqlite3_reset
            // reports only the error of a failed last step, and ``step()`` has reset after that already.
            _ = sqlite3_reset(raw)
            _ = sqlite3_clear_bindings(raw)
            throw error
        }
        try reset()
        return result
    }

    /// Advances to the next row. After a failure the statement is reset at once, so it holds no
    /// lock or snapshot; that reset returns the same error again ("If the most recent call to
    /// sqlite3_step(S) for the prepared statement S indicated an error, then sqlite3_reset(S)
    /// returns an appropriate error code", https://sqlite.org/c3ref/reset.html), thrown here once.
    /// - Returns: true if a row is available, false when done.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, sql)
            _ = sqlite3_reset(raw)
            throw error
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws(SQLiteError) {
        try withReset { statement throws(SQLiteError) in
            while try statement.step() {}
        }
    }

    // MARK: Binding (1-based as in SQLite)

    func bind(_ index: Int32, _ value: Int64) throws(SQLiteError) {
        try check(sqlite3_bind_int64(raw, index, value))
    }

    func bind(_ index: Int32, _ value: Int64?) throws(SQLiteError) {
        try check(value.map { sqlite3_bind_int64(raw, index, $0) } ?? sqlite3_bind_null(raw, index))
    }

    func bind(_ index: Int32, _ value: UInt64) throws(SQLiteError) {
        try check(sqlite3_bind_int64(raw, index, Int64(bitPattern: value)))
    }

    func bind(_ index: Int32, blob bytes: some Collection<UInt8>) throws(SQLiteError) {
        let rc =
            bytes.withContiguousStorageIfAvailable { buffer in bindBlob(index, buffer) }
            ?? Array(bytes).withUnsafeBufferPointer { bindBlob(index, $0) }
        try check(rc)
    }

    func bind(_ index: Int32, blob bytes: [UInt8]?) throws(SQLiteError) {
        if let bytes { try bind(index, blob: bytes) } else { try check(sqlite3_bind_null(raw, index)) }
    }

    func bind(_ index: Int32, text: String) throws(SQLiteError) {
        try check(sqlite3_bind_text(raw, index, text, -1, starling_sqlite_transient()))
    }

    private func bindBlob(_ index: Int32, _ buffer: UnsafeBufferPointer<UInt8>) -> Int32 {
        // A zero-length blob still binds as a blob (not NULL) with a non-nil pointer.
        var empty: UInt8 = 0
        let base = buffer.baseAddress ?? withUnsafePointer(to: &empty) { $0 }
        return sqlite3_bind_blob(raw, index, base, Int32(buffer.count), starling_sqlite_transient())
    }

    /// Throws the connection's error for a result other than `SQLITE_OK`.
    private func check(_ rc: Int32) throws(SQLiteError) {
        guard rc == SQLITE_OK else { throw connection.error(rc, sql) }
    }

    // MARK: Columns (0-based as in SQLite)

    func isNull(_ column: Int32) -> Bool {
        sqlite3_column_type(raw, column) == SQLITE_NULL
    }

    func int64(_ column: Int32) -> Int64 {
        sqlite3_column_int64(raw, column)
    }

    func int64OrNil(_ column: Int32) -> Int64? {
        isNull(column) ? nil : sqlite3_column_int64(raw, column)
    }

    func uint64(_ column: Int32) -> UInt64 {
        UInt64(bitPattern: sqlite3_column_int64(raw, column))
    }

    func blob(_ column: Int32) -> [UInt8] {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return [] }
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }

    func blobOrNil(_ column: Int32) -> [UInt8]? {
        isNull(column) ? nil : blob(column)
    }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(raw, column) else { return "" }
        return String(cString: pointer)
    }

    /// The blob in `column` decoded as UTF-8 text (keys are stored as blobs for bytewise order).
    func string(fromBlob column: Int32) -> String {
        let count = Int(sqlite3_column_bytes(raw, column))
        guard count > 0, let pointer = sqlite3_column_blob(raw, column) else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: count), as: UTF8.self)
    }
}
