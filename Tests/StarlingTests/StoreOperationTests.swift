import Starling
import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct StoreOperationTests {
    @Test func setGetEntryHasAndDeleteRoundTripEveryValueKind() async throws {
        try await TestNode.with { _, store, _ in
            let values: [JSONValue] = [nil, true, 42, -1.5, "text", [1, "two", nil], ["a": ["b": [1, 2]]]]
            for (index, value) in values.enumerated() {
                #expect(try await store.set("k\(index)", value))
                #expect(try store.get("k\(index)") == value)
            }
            #expect(try store.has("k1"))
            #expect(try store.get("missing") == nil)
            #expect(try store.entry("missing") == nil)
            let entry = try #require(try store.entry("k4"))
            #expect(entry.key == "k4" && entry.value == "text" && entry.expiresAt == nil)
            #expect(try await store.delete("k4"))
            #expect(try await store.delete("k4") == false)
            #expect(try store.get("k4") == nil)
            #expect(try store.has("k4") == false)
        }
    }

    @Test func versionsChangeWithEveryWriteIncludingIncrements() async throws {
        try await TestNode.with { _, store, _ in
            let first = try await store.put("v", 1)
            let second = try await store.put("v", 1)
            #expect(first.version != second.version)
            #expect(try store.entry("v")?.version == second.version)
            _ = try await store.incr("v")
            let third = try #require(try store.entry("v"))
            #expect(third.version != second.version && third.value == 2)
        }
    }

    @Test func putRefusesConditionalWritesOnThisBackend() async throws {
        try await TestNode.with { _, store, _ in
            await #expect(
                throws: StoreError.invalid(
                    "conditional writes need a linearizable store; store \"default\" is kv.crdt (eventually consistent)"
                )
            ) {
                try await store.put("k", 1, PutOptions(onlyIfAbsent: true))
            }
            let both = await #expect(throws: StoreError.self) {
                try await store.put("k", 1, PutOptions(onlyIfAbsent: true, ifVersion: "x"))
            }
            #expect(both?.kind == .invalid && both?.message.contains("mutually exclusive") == true)
            await #expect(throws: StoreError.self) { try await store.put("k", 1, PutOptions(ifVersion: "abc")) }
            let unchanged = try store.get("k")
            #expect(unchanged == nil, "a failed call changes nothing")
        }
    }

    @Test func listPagesInBytewiseKeyOrderWithPrefixAndCursor() async throws {
        try await TestNode.with { _, store, _ in
            let keys = ["b", "a", "a/2", "a/10", "é", "z", "a/1", "ab"]
            for key in keys { try await store.set(key, .string(key)) }
            try await store.delete("z")
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try store.list(after: cursor, limit: 3)
                seen += page.items.map(\.key)
                cursor = page.cursor
                #expect(page.hasMore == (page.cursor != nil))
            } while cursor != nil
            #expect(seen == ["a", "a/1", "a/10", "a/2", "ab", "b", "é"])
            let prefixed = try store.list(prefix: "a/", limit: 100)
            #expect(prefixed.items.map(\.key) == ["a/1", "a/10", "a/2"])
            #expect(prefixed.hasMore == false && prefixed.cursor == nil)
            #expect(
                try store.list(prefix: "a/", after: Optional(try store.list(prefix: "a/", limit: 1).cursor!), limit: 10)
                    .items.map(\.key) == ["a/10", "a/2"])
        }
    }

    @Test func listRefusesBadLimitsAndForeignCursors() async throws {
        try await TestNode.with { _, store, _ in
            for limit in [0, -1, 1_001] {
                #expect(throws: StoreError.self) { try store.list(limit: limit) }
            }
            #expect(throws: StoreError.self) { try store.list(after: "!!not base64!!") }
            let page = try store.list(limit: 1_000)
            #expect(page.items.isEmpty)
        }
    }

    @Test func keysMatchesGlobsInSortedOrder() async throws {
        try await TestNode.with { _, store, _ in
            for key in ["user:1", "user:2", "user:10", "session:a", "us", "user:x*"] { try await store.set(key, 1) }
            #expect(try store.keys() == ["session:a", "us", "user:1", "user:10", "user:2", "user:x*"])
            #expect(try store.keys("user:?") == ["user:1", "user:2"])
            #expect(try store.keys("user:[0-9]*") == ["user:1", "user:10", "user:2"])
            #expect(try store.keys("user:x\\*") == ["user:x*"])
            #expect(try store.keys("*:a") == ["session:a"])
            #expect(throws: StoreError.self) { try store.keys("user:[") }
        }
    }

    @Test func mgetKeepsOrderAndMsetIsAllOrNothing() async throws {
        try await TestNode.with { _, store, _ in
            let stored = try await store.mset(["a": 1, "b": "two"])
            let values = try store.mget(["b", "missing", "a"])
            #expect(stored && values == ["two", nil, 1])
            let oversized = String(repeating: "k", count: 1_025)
            await #expect(throws: StoreError.self) { try await store.mset(["c": 3, oversized: 4]) }
            let untouched = try store.get("c")
            #expect(untouched == nil, "mset wrote nothing when one key was bad")
        }
    }

    @Test func incrAndDecrCountFromZeroAndRefuseNonIntegers() async throws {
        try await TestNode.with { _, store, _ in
            #expect(try await store.incr("n") == 1)
            #expect(try await store.incr("n", by: 10) == 11)
            #expect(try await store.decr("n", by: 3) == 8)
            #expect(try await store.decr("fresh") == -1)
            #expect(try store.get("n") == 8)
            try await store.set("n", 100)
            #expect(try await store.incr("n") == 101, "a set resets the counter's base")
            try await store.set("s", "text")
            let error = await #expect(throws: StoreError.self) { try await store.incr("s") }
            #expect(error?.kind == .invalid)
            try await store.set("max", .integer(.max))
            await #expect(throws: StoreError.self) { try await store.incr("max") }
            #expect(try store.get("max") == .integer(.max))
            await #expect(throws: StoreError.self) { try await store.decr("n", by: .min) }
            try await store.set("f", 1.5)
            await #expect(throws: StoreError.self) { try await store.incr("f") }
        }
    }

    @Test func clearRemovesEveryKeyWrittenBeforeItAndKeepsLaterOnes() async throws {
        try await TestNode.with { _, store, _ in
            try await store.mset(["a": 1, "b": 2])
            _ = try await store.incr("c")
            #expect(try await store.clear())
            #expect(try store.keys().isEmpty)
            #expect(try store.stats().activeKeys == 0)
            try await store.set("a", 3)
            #expect(try await store.incr("c") == 1, "a counter after a clear counts from zero")
            #expect(try store.keys() == ["a", "c"])
        }
    }

    @Test func infoReportsTheKvCrdtPromisesExactly() async throws {
        try await TestNode.with { _, store, _ in
            let info = try store.info()
            #expect(info.id == "default" && info.backend == "kv.crdt" && info.consistency == "eventual")
            #expect(info.durable && info.list && info.versioned && !info.conditionalPut && info.ttl)
        }
    }

    @Test func statsCountLiveExpiredTTLAndTombstones() async throws {
        try await TestNode.with { node, store, clock in
            try await store.set("live", "x")
            try await store.set("ttl", 1, ttl: 10)
            try await store.set("soon", 1, ttl: 1)
            try await store.set("gone", 1)
            try await store.delete("gone")
            _ = try await store.incr("counter")
            clock.advance(by: 1_000)
            var stats = try store.stats()
            #expect(stats.activeKeys == 3 && stats.expiredKeys == 1 && stats.totalKeys == 4)
            #expect(stats.keysWithTTL == 1 && stats.tombstones == 1 && stats.counters == 1)
            #expect(try await node.sweepExpired() == 1)
            stats = try store.stats()
            #expect(stats.expiredKeys == 0 && stats.tombstones == 2)
        }
    }

    @Test func releasedHandleFailsEveryCallButOtherHandlesWork() async throws {
        try await TestNode.with { node, store, _ in
            try await store.set("k", 1)
            #expect(try store.release())
            #expect(throws: StoreError.self) { try store.get("k") }
            #expect(throws: StoreError.self) { try store.info() }
            #expect(throws: StoreError.self) { try store.release() }
            await #expect(throws: StoreError.self) { try await store.set("k", 2) }
            #expect(try node.store("default").get("k") == 1)
        }
    }

    @Test func storesAreSeparateAndUnknownOrEmptyIdsAreRefused() async throws {
        var settings = Node.Settings()
        settings.stores = ["app:cache"]
        try await TestNode.with(settings: settings) { node, store, _ in
            #expect(node.storeNamesSorted == ["app:cache", "default"])
            let cache = try node.store("app:cache")
            try await cache.set("k", "cache")
            try await store.set("k", "default")
            #expect(try cache.get("k") == "cache" && store.get("k") == "default")
            try await cache.clear()
            #expect(try store.get("k") == "default", "clear is per store")
            #expect(throws: StoreError.notFound("no store \"nope\" on this node; hosted: app:cache, default")) {
                try node.store("nope")
            }
            let empty = #expect(throws: StoreError.self) { try node.store("") }
            #expect(empty?.kind == .invalid)
        }
    }
}
