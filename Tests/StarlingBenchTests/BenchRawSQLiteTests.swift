import StarlingTestKit
import Testing

@testable import StarlingBench

/// The raw SQLite baseline runs the store's own statements on the store's own schema, so it
/// breaks (as it did when schema 4 added `entries.via`) whenever the two drift apart.
@Suite struct BenchRawSQLiteTests {
    @Test func theBaselineRunsTheStoresStatementsOnItsSchema() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let raw = try BenchRawSQLite(path: directory.appending("raw.db"), fullSync: false)
        defer { raw.close() }
        try raw.load(["a", "b", "c"], value: Array("\"v\"".utf8), perTransaction: 2)
        try raw.upsert("a", Array("\"w\"".utf8), ownTransaction: true)
        #expect(try raw.increment("n", ownTransaction: true) == 1)
        #expect(try raw.read("a") > 0)
        #expect(try raw.scan(from: "a") >= 3)
    }
}
