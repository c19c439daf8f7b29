import Hummingbird
import Starling
import StarlingCore
import StarlingTestKit
import Testing

@Suite("HTTP store and command endpoints", .showsLogsOnFailure)
struct CommandEndpointTests {
    @Test("healthz, stores, info and stats")
    func metadata() async throws {
        try await withAPI { api, _, store in
            #expect(try await api.send(.get, "/healthz").json == ["status": "ok"])
            #expect(try await api.send(.get, "/v1/stores")["stores"] == ["default"])
            let info = try await api.send(.get, "/v1/stores/default/info")
            #expect(
                info.json == [
                    "id": "default", "backend": "kv.crdt", "consistency": "eventual", "durable": true, "list": true,
                    "versioned": true, "conditional_put": false, "ttl": true,
                ])
            _ = try await store.set("a", 1, ttl: 10)
            let stats = try await api.send(.get, "/v1/stores/default/stats")
            #expect(stats.status == .ok)
            #expect(stats["total_keys"] == 1)
            #expect(stats["active_keys"] == 1)
            #expect(stats["keys_with_ttl"] == 1)
            #expect(stats["expired_keys"] == 0)
            #expect(stats["tombstones"] == 0)
        }
    }

    @Test("expire, incr, decr")
    func counters() async throws {
        try await withAPI { api, _, store in
            let first = try await api.send(.post, "/v1/stores/default/incr", #"{"key": "n"}"#)
            #expect(first.json == ["key": "n", "value": 1])
            #expect(try await api.send(.post, "/v1/stores/default/incr", #"{"key": "n", "amount": 5}"#)["value"] == 6)
            #expect(try await api.send(.post, "/v1/stores/default/decr", #"{"key": "n", "amount": 2}"#)["value"] == 4)
            #expect(try store.get("n") == 4)
            #expect(try await api.send(.post, "/v1/stores/default/expire", #"{"key": "n", "ttl": 30}"#)["ok"] == true)
            #expect(try store.ttl("n") == 30)
            #expect(try await api.send(.post, "/v1/stores/default/expire", #"{"key": "zz", "ttl": 30}"#)["ok"] == false)
            _ = try await store.set("s", "text")
            let notInteger = try await api.send(.post, "/v1/stores/default/incr", #"{"key": "s"}"#)
            #expect(notInteger.status == .badRequest)
            #expect(notInteger.errorKind == "INVALID")
            #expect(try store.get("s") == "text")
        }
    }

    @Test("mset, mget and clear")
    func batch() async throws {
        try await withAPI { api, _, store in
            let mset = try await api.send(.post, "/v1/stores/default/mset", #"{"entries": {"a": 1, "b": [true]}}"#)
            #expect(mset.json == ["ok": true])
            let mget = try await api.send(.post, "/v1/stores/default/mget", #"{"keys": ["b", "missing", "a"]}"#)
            #expect(mget.json == ["values": [[true], nil, 1]])
            #expect(try await api.send(.post, "/v1/stores/default/clear").json == ["ok": true])
            #expect(try store.keys() == [])
        }
    }

    @Test("cluster without replication reports this node and no members")
    func cluster() async throws {
        try await withAPI { api, node, _ in
            let cluster = try await api.send(.get, "/v1/cluster")
            #expect(cluster.status == .ok)
            #expect(cluster["id"] == .string(node.id.description))
            #expect(cluster["members"] == [])
        }
    }
}
