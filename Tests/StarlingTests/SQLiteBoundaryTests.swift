import StarlingTestKit
import Testing

@testable import Starling

/// The C boundary checks every SQLite result: a failed bind throws instead of running the
/// statement with a parameter missing, a failed step is thrown once and leaves the statement
/// usable, and a rollback runs only while a transaction is open.
@Suite(.showsLogsOnFailure) struct SQLiteBoundaryTests {
    /// SQLite's primary result codes (https://sqlite.org/rescode.html).
    static let constraint: Int32 = 19
    static let range: Int32 = 25

    /// Runs `body` on a new database with one table `t (x INTEGER PRIMARY KEY, y BLOB)`.
    static func withDatabase(_ body: (SQLiteConnection) throws -> Void) throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let db = try SQLiteConnection(path: directory.appending("boundary.db"), readOnly: false, create: true)
        defer { try? db.close() }
        try db.execute("CREATE TABLE t (x INTEGER PRIMARY KEY, y BLOB)")
        try body(db)
    }

    @Test func aBindOutOfRangeThrowsAndMapsToInternal() throws {
        try Self.withDatabase { db in
            let insert = try db.statement("INSERT INTO t (x, y) VALUES (?1, ?2)")
            let binds: [(SQLiteStatement) throws -> Void] = [
                { try $0.bind(3, Int64(1)) }, { try $0.bind(3, UInt64(1)) }, { try $0.bind(3, blob: [1, 2]) },
                { try $0.bind(3, blob: nil as [UInt8]?) }, { try $0.bind(3, text: "a") },
            ]
            for bind in binds {
                let error = try #require(
                    #expect(throws: SQLiteError.self) { try bind(insert) }, "a parameter that does not exist is refused"
                )
                #expect(error.primaryCode == Self.range, "\(error)")
                #expect(error.statement == "INSERT INTO t (x, y) VALUES (?1, ?2)")
                let mapped = StoreError(error, while: "writing")
                #expect(mapped.kind == StoreError.Kind.internal, "a bad bind is a bug: \(mapped)")
            }
            #expect(try db.scalarInt64("SELECT count(*) FROM t") == 0, "nothing ran")
        }
    }

    @Test func aFailedStepIsThrownOnceAndTheStatementRunsAgain() throws {
        try Self.withDatabase { db in
            let sql = "INSERT INTO t (x) VALUES (?1)"
            let first = try db.statement(sql)
            try first.bind(1, Int64(1))
            try first.run()
            let duplicate = try db.statement(sql)
            try duplicate.bind(1, Int64(1))
            let error = try #require(#expect(throws: SQLiteError.self) { try duplicate.run() })
            #expect(error.primaryCode == Self.constraint, "\(error)")
            // The failed step reset the statement: it is fetched (reset again) and runs cleanly.
            let again = try db.statement(sql)
            try again.bind(1, Int64(2))
            try again.run()
            #expect(try db.scalarInt64("SELECT count(*) FROM t") == 2)
        }
    }

    @Test func aRollbackRunsOnlyWhileATransactionIsOpen() throws {
        try Self.withDatabase { db in
            #expect(!db.isInTransaction)
            try db.rollback()
            try db.beginImmediate()
            #expect(db.isInTransaction)
            try db.execute("INSERT INTO t (x) VALUES (1)")
            try db.rollback()
            #expect(!db.isInTransaction)
            #expect(try db.scalarInt64("SELECT count(*) FROM t") == 0)
        }
    }

    @Test func aTextWithoutAStatementIsRefused() throws {
        try Self.withDatabase { db in
            #expect(throws: SQLiteError.self) { _ = try db.statement("-- nothing") }
        }
    }

    @Test func closingTwiceIsHarmless() throws {
        try Self.withDatabase { db in
            try db.close()
            try db.close()
        }
    }
}
