import Foundation
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Databases written by earlier schema versions keep opening: `Fixtures/db/v<N>/starling.db`.
/// To add a fixture for a new version, set ``writtenVersion`` to it and run once with
/// `STARLING_WRITE_FIXTURES=1`; then add it to ``earlierVersions``.
@Suite(.showsLogsOnFailure) struct SchemaFixtureTests {
    /// The schema version this build writes.
    static let writtenVersion = 4
    /// The versions with a fixture, each opened by the tests.
    static let earlierVersions = [1, 3]

    static let clock = ManualWallClock(millis: 1_767_225_600_000)

    static var settings: Node.Settings {
        var settings = Node.Settings()
        settings.stores = ["app:cache"]
        settings.sweepInterval = .zero
        return settings
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["STARLING_WRITE_FIXTURES"] == "1"))
    func writeFixtureOfThisVersion() async throws {
        let directory = Fixtures.path("db/v\(Self.writtenVersion)")
        try? FileManager.default.removeItem(atPath: directory)
        let node = try Node.open(
            directory: directory, settings: Self.settings, clock: Self.clock, logger: TestNode.quietLogger)
        let store = try node.store("default")
        try await store.set("greeting", "hello")
        try await store.set("doc", ["list": [1, 2.5, nil], "flag": true])
        for _ in 0..<3 { _ = try await store.incr("counter") }
        try await store.set("gone", 1)
        try await store.delete("gone")
        try await store.set("session", "token", ttl: 100 * 365 * 86_400)
        let cache = try node.store("app:cache")
        try await cache.set("before-clear", 1)
        try await cache.clear()
        try await cache.set("after-clear", 2)
        await node.close()
        for file in ["LOCK", "node.id", "starling.db-shm", "starling.db-wal"] {
            try? FileManager.default.removeItem(atPath: directory + "/" + file)
        }
    }

    @Test(arguments: earlierVersions) func opensADatabaseWrittenByAnEarlierSchemaVersion(version: Int) async throws {
        let copy = TemporaryDirectory()
        defer { copy.remove() }
        try FileManager.default.removeItem(atPath: copy.path)
        try FileManager.default.copyItem(atPath: Fixtures.path("db/v\(version)"), toPath: copy.path)
        let node = try Node.open(
            directory: copy.path, settings: Self.settings, clock: Self.clock, logger: TestNode.quietLogger)
        let store = try node.store("default")
        #expect(try store.get("greeting") == "hello")
        #expect(try store.get("doc") == ["list": [1, 2.5, nil], "flag": true])
        #expect(try store.get("counter") == 3)
        #expect(try store.get("gone") == nil && store.stats().tombstones == 1)
        #expect(try store.ttl("session") > 0)
        #expect(try node.store("app:cache").keys() == ["after-clear"])
        // The clock resumes after the stamps in the file, and the file takes new writes.
        let before = try #require(try store.entry("greeting")).version
        let written = try await store.put("greeting", "again")
        #expect(written.version > before)
        await node.close()
    }
}
