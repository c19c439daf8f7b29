internal import CStarlingSQLite

/// A prepared statement owned by one ``SQLiteConnection``. Columns and parameters are 0-based.
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
        sqlite3_finalize(raw)
    }

    /// Resets the statement for another run and clears its bindings.
    func reset() {
        sqlite3_reset(raw)
        sqlite3_clear_bindings(raw)
    }

    /// Advances to the next row.
    /// - Returns: true if a row is available, false when done.
    func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(raw)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            let error = connection.error(rc, sql)
            sqlite3_reset(raw)
            throw error
        }
    }

    /// Runs a statement that returns no rows, then resets it.
    func run() throws(SQLiteError) {
        defer { reset() }
        while try step() {}
    }

    // MARK: Binding (1-based as in SQLite)

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(raw, index, value)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { sqlite3_bind_int64(raw, index, value) } else { sqlite3_bind_null(raw, index) }
    }

    func bind(_ index: Int32, _ value: UInt64) {
        sqlite3_bind_int64(raw, index, Int64(bitPattern: value))
    }

    func bind(_ index: Int32, blob bytes: some Collection<UInt8>) {
        let bound: Void? = bytes.withContiguousStorageIfAvailable { buffer in
            bindBlob(index, buffer)
        }
        if bound == nil {
            Array(bytes).withUnsafeBufferPointer { bindBlob(index, $0) }
        }
    }

    func bind(_ index: Int32, blob bytes: [UInt8]?) {
        if let bytes { bind(index, blob: bytes) } else { sqlite3_bind_null(raw, index) }
    }

    func bind(_ index: Int32, text: String) {
        sqlite3_bind_text(raw, index, text, -1, starling_sqlite_transient())
    }

    private func bindBlob(_ index: Int32, _ buffer: UnsafeBufferPointer<UInt8>) {
        // A zero-length blob still binds as a blob (not NULL) with a non-nil pointer.
        var empty: UInt8 = 0
        let base = buffer.baseAddress ?? withUnsafePointer(to: &empty) { $0 }
        sqlite3_bind_blob(raw, index, base, Int32(buffer.count), starling_sqlite_transient())
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
