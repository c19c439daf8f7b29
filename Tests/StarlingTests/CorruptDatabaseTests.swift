import Foundation
import StarlingCore
import StarlingTestKit
import Testing

@testable import Starling

/// A corrupt database is reported as one — naming the file and how to recover — at open and at
/// run time, never as `INTERNAL ... please report this`.
@Suite(.showsLogsOnFailure) struct CorruptDatabaseTests {
    static let clock = ManualWallClock(millis: 1_767_225_600_000)  // 2026-01-01T00:00:00Z

    static func settings(checkOnOpen: Bool = true, reinitialize: Bool = false) -> Node.Settings {
        var settings = Node.Settings()
        settings.sweepInterval = .zero
        settings.storage.checkOnOpen = checkOnOpen
        settings.storage.reinitialize = reinitialize
        return settings
    }

    static func open(_ directory: TemporaryDirectory, _ settings: Node.Settings = settings()) throws(StoreError) -> Node
    {
        try Node.open(directory: directory.path, settings: settings, clock: clock, logger: TestNode.quietLogger)
    }

    static let filler = String(repeating: "v", count: 100)

    /// A closed node with 2,000 keys `key-00000`... of about 100 bytes each, dozens of pages; the
    /// first 500 have a TTL of ten days, which the manual clock never reaches.
    static func initialise(_ directory: TemporaryDirectory) async throws {
        let node = try open(directory)
        let store = try node.store("default")
        for batch in stride(from: 0, to: 2_000, by: 500) {
            var entries: [String: JSONValue] = [:]
            for index in batch..<(batch + 500) { entries[key(index)] = .string(filler) }
            _ = try await store.mset(entries, ttl: batch == 0 ? 10 * 86_400 : 0)
        }
        await node.close()
    }

    static func key(_ index: Int) -> String { "key-" + String(100_000 + index).dropFirst() }

    /// Overwrites `pages` (numbered from 1, as SQLite does) with a pattern no page starts with.
    static func overwrite(pages: some Sequence<Int64>, of path: String, pageSize: Int64 = 4_096) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let garbage = Data(String(repeating: "GARBAGE!", count: Int(pageSize) / 8).utf8)
        for page in pages {
            try handle.seek(toOffset: UInt64((page - 1) * pageSize))
            try handle.write(contentsOf: garbage)
        }
    }

    /// The first leaf page of the table or index `name` (through SQLite's `dbstat` table), which
    /// holds its smallest keys; the tree has more than one leaf.
    static func firstLeaf(of name: String, _ path: String) throws -> Int64 {
        let db = try SQLiteConnection(path: path, readOnly: true)
        defer { try? db.close() }
        let leaves = try #require(
            try db.scalarInt64("SELECT count(*) FROM dbstat WHERE name = '\(name)' AND pagetype = 'leaf'"))
        #expect(leaves > 1, "\(name) spans several pages")
        return try #require(
            try db.scalarInt64(
                "SELECT pageno FROM dbstat WHERE name = '\(name)' AND pagetype = 'leaf' ORDER BY path LIMIT 1"))
    }

    static func expectCorrupt(_ error: StoreError?, _ path: String, notADatabase: Bool = false) {
        guard let error else {
            Issue.record("no error")
            return
        }
        #expect(error.kind == .unavailable, "\(error)")
        #expect(
            error.message.contains(
                notADatabase ? "\(path) is not an SQLite database" : "the database \(path) is corrupt"), "\(error)")
        #expect(error.message.contains("Restore a backup into a new data directory"))
        #expect(error.message.contains("--reinitialize"))
        #expect(!error.message.contains("please report"))
    }

    static func failure(_ body: () async throws(StoreError) -> Void) async -> StoreError? {
        do {
            try await body()
            return nil
        } catch {
            return error
        }
    }

    @Test func aFileThatIsNotSQLiteIsRefusedAsNotADatabase() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.appending("starling.db")
        let text = Data(String(repeating: "this is not a database\n", count: 700).utf8)
        try text.write(to: URL(fileURLWithPath: path))
        let error = await Self.failure { () throws(StoreError) in _ = try Self.open(directory) }
        Self.expectCorrupt(error, path, notADatabase: true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == text, "the file is left as it was")
    }

    @Test(arguments: [true, false])
    func pagesOverwrittenWithGarbageAreRefusedAtOpen(checkOnOpen: Bool) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await Self.initialise(directory)
        let path = directory.appending("starling.db")
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int64)
        try Self.overwrite(pages: 2...(size / 4_096), of: path)
        let error = await Self.failure { () throws(StoreError) in
            _ = try Self.open(directory, Self.settings(checkOnOpen: checkOnOpen))
        }
        Self.expectCorrupt(error, path)
    }

    @Test func theOpenTimeCheckFindsADamagedPageThatOpeningAloneDoesNotRead() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await Self.initialise(directory)
        let path = directory.appending("starling.db")
        try Self.overwrite(pages: [try Self.firstLeaf(of: "entries_by_expiry", path)], of: path)
        let error = await Self.failure { () throws(StoreError) in _ = try Self.open(directory) }
        Self.expectCorrupt(error, path)
        #expect(error?.message.contains("PRAGMA quick_check") == true)
        let unchecked = try Self.open(directory, Self.settings(checkOnOpen: false))
        await unchecked.close()
    }

    @Test func aReadThatHitsCorruptionReportsIt() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await Self.initialise(directory)
        let path = directory.appending("starling.db")
        let node = try Self.open(directory)
        let store = try node.store("default")
        // The disk fails under the running node: a reader reads the damaged page from the file.
        try Self.overwrite(pages: [try Self.firstLeaf(of: "entries", path)], of: path)
        #expect(try store.get(Self.key(1_999)) != nil, "pages that are intact still read")
        Self.expectCorrupt(await Self.failure { () throws(StoreError) in _ = try store.get(Self.key(0)) }, path)
        await node.close()
    }

    @Test func aWriteThatHitsCorruptionReportsIt() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await Self.initialise(directory)
        let path = directory.appending("starling.db")
        // Opening reads no page of the expiry index, so only the check at open would find this.
        try Self.overwrite(pages: [try Self.firstLeaf(of: "entries_by_expiry", path)], of: path)
        let node = try Self.open(directory, Self.settings(checkOnOpen: false))
        let store = try node.store("default")
        // key-00000 has a TTL, so rewriting it removes its row from the damaged index page.
        Self.expectCorrupt(
            await Self.failure { () throws(StoreError) in _ = try await store.set(Self.key(0), 1) }, path)
        Self.expectCorrupt(await Self.failure { () throws(StoreError) in _ = try await node.sweepExpired() }, path)
        #expect(try store.get(Self.key(0)) == .string(Self.filler), "the refused write changed nothing")
        _ = try await store.set(Self.key(1_999), 1)
        #expect(try store.get(Self.key(1_999)) == 1, "writes that miss the damaged page still commit")
        await node.close()
    }

    @Test func reinitializeMovesACorruptDatabaseAsideAndStartsEmpty() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        try await Self.initialise(directory)
        let path = directory.appending("starling.db")
        try Self.overwrite(pages: [try Self.firstLeaf(of: "entries", path)], of: path)
        let damaged = try Data(contentsOf: URL(fileURLWithPath: path))
        let node = try Self.open(directory, Self.settings(checkOnOpen: false, reinitialize: true))
        #expect(try node.store("default").keys().isEmpty)
        await node.close()
        let aside = directory.appending("starling.db.aside-20260101T000000Z")
        #expect(try Data(contentsOf: URL(fileURLWithPath: aside)) == damaged, "the corrupt file is kept for inspection")
    }
}
