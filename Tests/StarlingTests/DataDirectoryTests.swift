import Foundation
import InMemoryLogging
import Logging
import StarlingCore
import StarlingTestKit
import Testing

@testable import Starling

/// A data directory that was initialised and lost its database is refused, never started empty;
/// re-initialising takes an explicit setting and keeps the old files aside.
@Suite(.showsLogsOnFailure) struct DataDirectoryTests {
    static let clock = ManualWallClock(millis: 1_767_225_600_000)  // 2026-01-01T00:00:00Z

    static func settings(reinitialize: Bool = false) -> Node.Settings {
        var settings = Node.Settings()
        settings.sweepInterval = .zero
        settings.storage.reinitialize = reinitialize
        return settings
    }

    /// Opens `directory`, writes `keys` keys, closes it, and returns the node's id.
    static func initialise(_ directory: TemporaryDirectory, keys: Int = 20) async throws -> NodeID {
        let node = try Node.open(
            directory: directory.path, settings: settings(), clock: clock, logger: TestNode.quietLogger)
        let store = try node.store("default")
        for index in 0..<keys { try await store.set("key-\(index)", .integer(Int64(index))) }
        await node.close()
        return node.id
    }

    /// The error opening `directory` fails with, or nil when it opens.
    static func refusal(_ directory: TemporaryDirectory, settings: Node.Settings = settings()) async -> StoreError? {
        do {
            let node = try Node.open(
                directory: directory.path, settings: settings, clock: clock, logger: TestNode.quietLogger)
            await node.close()
            return nil
        } catch {
            return error
        }
    }

    static func truncate(_ path: String) throws {
        try Data().write(to: URL(fileURLWithPath: path))
    }

    /// The directory's files but `LOCK` and, unless `logs`, SQLite's `-wal` and `-shm` (a node
    /// whose last connection to close was a reader leaves them after a clean close).
    static func files(_ directory: TemporaryDirectory, logs: Bool = false) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0 != "LOCK" && (logs || !($0.hasSuffix("-wal") || $0.hasSuffix("-shm"))) }.sorted()
    }

    @Test func aNewDirectoryRecordsTheNodeIdentityApartFromTheDatabase() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let id = try await Self.initialise(directory)
        let text = try String(contentsOfFile: directory.appending("node.id"), encoding: .utf8)
        #expect(text.hasPrefix("starling-node-identity 1\nnode_id \(id)\n"))
        #expect(NodeIdentityFile.parse(text) == .success(id))
        #expect(try Self.files(directory) == ["node.id", "starling.db"], "no temporary file is left behind")
        #expect(await Self.refusal(directory) == nil, "it reopens")
    }

    @Test func aZeroByteDatabaseInAnInitialisedDirectoryIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let id = try await Self.initialise(directory)
        try Self.truncate(directory.appending("starling.db"))
        let error = try #require(await Self.refusal(directory), "a truncated database must not start an empty node")
        #expect(error.kind == .unavailable)
        #expect(error.message.contains("the database \(directory.appending("starling.db")) is empty (0 bytes)"))
        #expect(error.message.contains("initialised for node \(id)"))
        #expect(error.message.contains("from a backup") && error.message.contains("--reinitialize"))
        #expect(
            try FileManager.default.attributesOfItem(atPath: directory.appending("starling.db"))[.size] as? Int == 0)
        #expect(try Self.files(directory, logs: true) == ["node.id", "starling.db"], "nothing was written")
    }

    @Test func aZeroByteDatabaseIsRefusedEvenWithoutAnIdentityFile() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.initialise(directory)
        try FileManager.default.removeItem(atPath: directory.appending("node.id"))
        try Self.truncate(directory.appending("starling.db"))
        let error = try #require(await Self.refusal(directory))
        #expect(error.kind == .unavailable && error.message.contains("is empty (0 bytes)"))
    }

    @Test func aMissingDatabaseInAnInitialisedDirectoryIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let id = try await Self.initialise(directory)
        try FileManager.default.removeItem(atPath: directory.appending("starling.db"))
        let error = try #require(await Self.refusal(directory))
        #expect(error.kind == .unavailable)
        #expect(error.message.contains("the database \(directory.appending("starling.db")) is missing"))
        #expect(error.message.contains("node \(id)") && error.message.contains("--reinitialize"))
        #expect(try Self.files(directory, logs: true) == ["node.id"], "no new database was created")
    }

    @Test(arguments: ["starling.db-wal", "starling.db-shm"])
    func aLogWithoutItsDatabaseIsRefusedAndNeverOverwritten(file: String) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.initialise(directory)
        // As after a crash: the log holds writes, then the database went missing. A directory from
        // before identity files has the same protection.
        try FileManager.default.removeItem(atPath: directory.appending("starling.db"))
        try FileManager.default.removeItem(atPath: directory.appending("node.id"))
        let log = Data((0..<8_192).map { UInt8(truncatingIfNeeded: $0 &* 31) })
        try log.write(to: URL(fileURLWithPath: directory.appending(file)))
        let error = try #require(await Self.refusal(directory))
        #expect(error.kind == .unavailable)
        #expect(
            error.message.contains("\(directory.appending("starling.db")) is missing, but \(directory.appending(file))")
        )
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.appending(file))) == log, "the log is untouched")
        #expect(try Self.files(directory, logs: true) == [file])
    }

    @Test func anIdentityThatNamesAnotherNodeIsRefused() async throws {
        let mine = TemporaryDirectory()
        let theirs = TemporaryDirectory()
        defer {
            mine.remove()
            theirs.remove()
        }
        let myID = try await Self.initialise(mine)
        let theirID = try await Self.initialise(theirs)
        try FileManager.default.removeItem(atPath: mine.appending("starling.db"))
        try FileManager.default.copyItem(atPath: theirs.appending("starling.db"), toPath: mine.appending("starling.db"))
        let error = try #require(await Self.refusal(mine), "a database copied from another node is refused")
        #expect(error.kind == .unavailable)
        #expect(error.message.contains("\(mine.appending("node.id")) says this directory belongs to node \(myID)"))
        #expect(error.message.contains("belongs to node \(theirID)"))
    }

    @Test func aDatabaseReplacedByAnEmptySQLiteFileIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.initialise(directory)
        try FileManager.default.removeItem(atPath: directory.appending("starling.db"))
        let empty = try SQLiteConnection(path: directory.appending("starling.db"), readOnly: false, create: true)
        try empty.execute("CREATE TABLE unrelated (x)")
        try empty.close()
        let error = try #require(await Self.refusal(directory))
        #expect(error.message.contains("is empty (an SQLite file with no node in it)"))
    }

    @Test func aDamagedIdentityFileIsRefused() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.initialise(directory)
        for (text, problem) in [
            ("", "is empty"), ("hello\n", "does not start with"),
            ("starling-node-identity 2\nnode_id 01\n", "has format 2"),
            ("starling-node-identity 1\nnode_id xyz\n", "has no valid"),
        ] {
            try text.write(toFile: directory.appending("node.id"), atomically: true, encoding: .utf8)
            let error = try #require(await Self.refusal(directory), "\(text)")
            #expect(
                error.kind == .unavailable && error.message.contains("\(directory.appending("node.id")) \(problem)"))
        }
    }

    @Test func aDirectoryFromBeforeIdentityFilesGetsOneFromItsDatabase() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let id = try await Self.initialise(directory)
        try FileManager.default.removeItem(atPath: directory.appending("node.id"))
        let node = try Node.open(
            directory: directory.path, settings: Self.settings(), clock: Self.clock, logger: TestNode.quietLogger)
        #expect(node.id == id)
        #expect(try node.store("default").get("key-3") == 3)
        await node.close()
        let text = try String(contentsOfFile: directory.appending("node.id"), encoding: .utf8)
        #expect(NodeIdentityFile.parse(text) == .success(id))
    }

    @Test func reinitializeMovesTheOldFilesAsideAndStartsANewNode() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let oldID = try await Self.initialise(directory)
        try Self.truncate(directory.appending("starling.db"))
        let logs = InMemoryLogHandler()
        let node = try Node.open(
            directory: directory.path, settings: Self.settings(reinitialize: true), clock: Self.clock,
            logger: Logger(label: "test") { _ in logs })
        #expect(node.id != oldID, "a re-initialised node takes a new id: its old one has a history on other peers")
        #expect(try node.store("default").keys().isEmpty)
        try await node.store("default").set("fresh", 1)
        await node.close()
        let stamp = "20260101T000000Z"
        #expect(
            try Self.files(directory)
                == ["node.id", "node.id.aside-\(stamp)", "starling.db", "starling.db.aside-\(stamp)"])
        let oldIdentity = try String(contentsOfFile: directory.appending("node.id.aside-\(stamp)"), encoding: .utf8)
        #expect(NodeIdentityFile.parse(oldIdentity) == .success(oldID), "the old files are kept, not deleted")
        let moved = logs.entries.filter { $0.level == .warning && $0.message.description == "moved aside" }
        #expect(
            moved.compactMap { $0.metadata["file"]?.description }.sorted()
                == [directory.appending("node.id"), directory.appending("starling.db")])
        #expect(logs.entries.contains { $0.message.description.hasPrefix("re-initialised the data directory") })

        // The new directory is whole: it opens without the setting, and a second re-initialisation
        // does not reuse the first one's names.
        #expect(await Self.refusal(directory) == nil)
        try FileManager.default.removeItem(atPath: directory.appending("starling.db"))
        #expect(await Self.refusal(directory, settings: Self.settings(reinitialize: true)) == nil)
        #expect(try Self.files(directory).contains("node.id.aside-\(stamp)-2"))
    }

    @Test func reinitializeMovesAnOrphanedLogAsideUnderTheDatabaseName() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        _ = try await Self.initialise(directory)
        try FileManager.default.removeItem(atPath: directory.appending("starling.db"))
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: directory.appending("starling.db-wal")))
        #expect(await Self.refusal(directory, settings: Self.settings(reinitialize: true)) == nil)
        let stamp = "20260101T000000Z"
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: directory.appending("starling.db.aside-\(stamp)-wal")))
                == Data([1, 2, 3]))
    }

    @Test func reinitializeLeavesAHealthyDirectoryAsItIs() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let id = try await Self.initialise(directory)
        let node = try Node.open(
            directory: directory.path, settings: Self.settings(reinitialize: true), clock: Self.clock,
            logger: TestNode.quietLogger)
        #expect(node.id == id)
        #expect(try node.store("default").get("key-7") == 7)
        await node.close()
        #expect(try Self.files(directory) == ["node.id", "starling.db"])
    }
}
