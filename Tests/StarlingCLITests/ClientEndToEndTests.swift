import Starling
import StarlingClient
import StarlingCore
import StarlingTestKit
import Testing

/// Every operation of ``StarlingClient`` against a real HTTP API on 127.0.0.1, checked against
/// the store behind it.
@Suite(.showsLogsOnFailure) struct ClientEndToEndTests {
    @Test func readsAndWritesEntriesWhateverTheKey() async throws {
        try await TestServer.with { server in
            try await server.withClient { client async throws in
                let keys = [
                    "plain", "a/b/c", "with space", "q?x=1&y#z", "100%", "plus+sign", "é☃", "/lead", "a//b",
                    "a/../b", "./x",
                ]
                for (index, key) in keys.enumerated() {
                    #expect(try await client.set(key, ["n": .integer(Int64(index))]))
                    #expect(try server.store.get(key) == ["n": .integer(Int64(index))], "\(key)")
                    #expect(try await client.get(key) == ["n": .integer(Int64(index))], "\(key)")
                    #expect(try await client.has(key), "\(key)")
                }
                let sorted = keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
                #expect(try await client.keys() == sorted)
                #expect(try await client.get("missing") == nil)
                #expect(try await client.entry("missing") == nil)
                #expect(try await client.has("missing") == false)
                #expect(try await client.delete("a/b/c"))
                #expect(try await client.delete("a/b/c") == false)
                #expect(try server.store.get("a/b/c") == nil)
            }
        }
    }

    @Test func entryPutAndTTLCarryVersionsAndExpiry() async throws {
        try await TestServer.with { server in
            try await server.withClient { client async throws in
                let written = try await client.put("k", "v", PutOptions(ttl: 60))
                #expect(written.key == "k" && written.value == "v" && written.expiresAt != nil)
                #expect(try await client.entry("k") == written)
                #expect(try server.store.entry("k") == written)
                let ttl = try await client.ttl("k")
                #expect((59...60).contains(ttl))
                _ = try await client.set("forever", 1)
                #expect(try await client.ttl("forever") == -1)
                #expect(try await client.ttl("none") == -2)
                #expect(try await client.expire("forever", ttl: 5))
                #expect((4...5).contains(try await client.ttl("forever")))
                #expect(try await client.expire("none", ttl: 5) == false)
                let rewritten = try await client.put("k", "w")
                #expect(rewritten.version != written.version && rewritten.expiresAt == nil)
            }
        }
    }

    @Test func conditionalPutsAreSentAndRefused() async throws {
        try await TestServer.with { server in
            try await server.withClient { client async throws in
                for options in [
                    PutOptions(onlyIfAbsent: true), PutOptions(ifVersion: "v"),
                    PutOptions(onlyIfAbsent: true, ifVersion: "v"),
                ] {
                    let error = await #expect(throws: StoreError.self) { try await client.put("k", 1, options) }
                    #expect(error?.kind == .invalid)
                }
                #expect(try server.store.get("k") == nil)
            }
        }
    }

    @Test func listPagesThroughKeysInOrder() async throws {
        try await TestServer.with { server in
            try await server.withClient { client async throws in
                try await client.mset(["u:1": 1, "u:2": 2, "u:3": 3, "v:1": 4])
                let first = try await client.list(prefix: "u:", limit: 2)
                #expect(first.items.map(\.key) == ["u:1", "u:2"] && first.hasMore)
                let second = try await client.list(prefix: "u:", after: first.cursor, limit: 2)
                #expect(second.items.map(\.key) == ["u:3"] && !second.hasMore)
                #expect(try await client.list().items.count == 4)
                #expect(try await client.keys("u:[13]") == ["u:1", "u:3"])
                let values = try await client.mget(["u:2", "none", "v:1"])
                #expect(values == [JSONValue.integer(2), Optional.none, JSONValue.integer(4)])
                let error = await #expect(throws: StoreError.self) { try await client.list(limit: 0) }
                #expect(error?.kind == .invalid)
            }
        }
    }

    @Test func countersInfoStatsClearClusterAndStores() async throws {
        try await TestServer.with(stores: ["app:cache"]) { server in
            try await server.withClient { client async throws in
                #expect(try await client.incr("n") == 1)
                #expect(try await client.incr("n", by: 10) == 11)
                #expect(try await client.decr("n", by: 4) == 7)
                #expect(try await client.decr("m") == -1)
                #expect(try server.store.get("n") == 7)
                let info = try await client.info()
                #expect(info == StoreInfo(id: "default"))
                #expect(try await client.stats().activeKeys == 2)
                #expect(try await client.stats() == (try server.store.stats()))
                #expect(try await client.clear())
                #expect(try await client.keys().isEmpty)
                #expect(try await client.stores() == ["app:cache", "default"])
                let cluster = try await client.cluster()
                #expect(cluster.id == server.node.id.description && cluster.members.isEmpty)
            }
            try await server.withClient(store: "app:cache") { client async throws in
                _ = try await client.set("x", 1)
                #expect(try await client.info().id == "app:cache")
            }
            #expect(try server.store.get("x") == nil)
        }
    }

    @Test func errorsKeepTheServersKindAndMessage() async throws {
        try await TestServer.with { server in
            try await server.withClient { client async throws in
                _ = try await client.set("text", "abc")
                let notInteger = await #expect(throws: StoreError.self) { try await client.incr("text") }
                #expect(notInteger?.kind == .invalid && notInteger?.message == "the value of text is not an integer")
                let badTTL = await #expect(throws: StoreError.self) { try await client.set("k", 1, ttl: -1) }
                #expect(badTTL?.kind == .invalid)
                let empty = await #expect(throws: StoreError.self) { try await client.get("") }
                #expect(empty?.kind == .invalid)
            }
            try await server.withClient(store: "nope") { client async throws in
                let get = await #expect(throws: StoreError.self) { try await client.get("k") }
                let entry = await #expect(throws: StoreError.self) { try await client.entry("k") }
                let has = await #expect(throws: StoreError.self) { try await client.has("k") }
                let info = await #expect(throws: StoreError.self) { try await client.info() }
                for error in [get, entry, has, info] {
                    #expect(error?.kind == .notFound && error?.message.contains("no store \"nope\"") == true)
                }
            }
        }
    }

    @Test func aBearerTokenIsAcceptedWithoutAPolicy() async throws {
        try await TestServer.with { server in
            try await server.withClient(token: "secret") { client async throws in
                #expect(try await client.set("k", 1))
            }
        }
    }

    @Test func anUnreachableEndpointIsUnavailableAtOnce() async throws {
        let port = try await closedPort()
        let endpoint = "http://127.0.0.1:\(port)"
        let started = ContinuousClock.now
        let error = await #expect(throws: StoreError.self) {
            try await StarlingClient.with(endpoint: endpoint) { client in try await client.get("k") }
        }
        #expect(error?.kind == .unavailable && error?.isRetryable == true)
        #expect(error?.message == "cannot reach \(endpoint): connection refused (is starling serve running?)")
        #expect(ContinuousClock.now - started < .seconds(4), "refused connections are not retried until the timeout")
    }
}
