import Starling
import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct ExpiryTests {
    @Test func anExpiredKeyDisappearsFromEveryReadAtItsExpiryInstant() async throws {
        try await TestNode.with { _, store, clock in
            try await store.set("k", "v", ttl: 10)
            try await store.set("other", 1)
            #expect(try store.ttl("k") == 10)
            let entry = try #require(try store.entry("k"))
            #expect(entry.expiresAt == clock.nowMillis() + 10_000)
            clock.advance(by: 9_999)
            #expect(try store.get("k") == "v" && store.ttl("k") == 1)
            clock.advance(by: 1)
            #expect(try store.get("k") == nil)
            #expect(try store.entry("k") == nil && store.has("k") == false && store.ttl("k") == -2)
            #expect(try store.mget(["k"]) == [nil])
            #expect(try store.keys() == ["other"] && store.list().items.map(\.key) == ["other"])
        }
    }

    @Test func expireRewritesTheCurrentValueWithANewDeadline() async throws {
        try await TestNode.with { _, store, clock in
            try await store.set("k", ["a": 1])
            #expect(try await store.expire("k", ttl: 5))
            #expect(try await store.expire("missing", ttl: 5) == false)
            #expect(try store.ttl("k") == 5 && store.get("k") == ["a": 1])
            clock.advance(by: 5_000)
            #expect(try store.get("k") == nil)
            #expect(try await store.expire("k", ttl: 5) == false)
        }
    }

    @Test func theSweepTurnsExpiredValuesIntoTombstonesWithTheSameStamp() async throws {
        try await TestNode.with { node, store, clock in
            let written = try await store.put("k", "v", PutOptions(ttl: 1))
            clock.advance(by: 1_000)
            let before = try node.stateDigest(at: clock.nowMillis())
            #expect(try await node.sweepExpired() == 1)
            #expect(try await node.sweepExpired() == 0)
            #expect(try node.stateDigest(at: clock.nowMillis()) == before, "sweeping changes no replicated state")
            let change = try #require(try store.changes(after: 0, limit: 10).last)
            #expect(change.register.content == .tombstone)
            #expect(change.register.stamp.version == written.version)
        }
    }

    @Test func aCounterOnAnExpiredKeyCountsFromZeroWithoutExpiry() async throws {
        try await TestNode.with { _, store, clock in
            try await store.set("n", 10, ttl: 2)
            #expect(try await store.incr("n") == 11)
            #expect(try store.ttl("n") == 2, "incr keeps the expiry")
            clock.advance(by: 2_000)
            #expect(try store.get("n") == nil)
            #expect(try await store.incr("n") == 1)
            #expect(try store.ttl("n") == -1)
        }
    }
}
