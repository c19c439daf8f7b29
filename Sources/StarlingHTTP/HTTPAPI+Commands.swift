import Hummingbird
import Starling
import StarlingAccess
import StarlingCore

extension HTTPAPI {
    /// `POST /v1/stores/{id}/expire` with `{"key"}` and one of `"ttl"` (seconds), `"ttl_ms"` or
    /// `"expires_at"` (Unix milliseconds): `{"ok": bool}`.
    func expire(_ request: Request) async throws(StoreError) -> JSONValue {
        let store = try store(request)
        let body = try await JSONFields(request, limit: maxBodyBytes, allowed: ["key", "ttl", "ttl_ms", "expires_at"])
        let key = try body.string("key")
        let (ttl, ttlMillis, instant) = (
            try body.optionalInteger("ttl"), try body.optionalInteger("ttl_ms"), try body.optionalInteger("expires_at")
        )
        guard [ttl, ttlMillis, instant].count(where: { $0 != nil }) == 1 else {
            throw .invalid("give exactly one of \"ttl\", \"ttl_ms\" and \"expires_at\"")
        }
        try authorize(request, .keySet, store: store.id, keys: [key])
        if let ttl { return ["ok": .bool(try await store.expire(key, ttl: ttl))] }
        if let ttlMillis { return ["ok": .bool(try await store.expire(key, ttlMillis: ttlMillis))] }
        return ["ok": .bool(try await store.expire(key, atMillis: instant ?? 0))]
    }

    /// `POST /v1/stores/{id}/persist` with `{"key"}`: `{"ok": bool}`, true if an expiry was removed.
    func persist(_ request: Request) async throws(StoreError) -> JSONValue {
        let store = try store(request)
        let body = try await JSONFields(request, limit: maxBodyBytes, allowed: ["key"])
        let key = try body.string("key")
        try authorize(request, .keySet, store: store.id, keys: [key])
        return ["ok": .bool(try await store.persist(key))]
    }

    /// `POST /v1/stores/{id}/incr` (`sign` 1) or `/decr` (`sign` -1) with `{"key", "amount"?}`:
    /// `{"key", "value"}`.
    func incr(_ request: Request, sign: Int64) async throws(StoreError) -> JSONValue {
        let store = try store(request)
        let body = try await JSONFields(request, limit: maxBodyBytes, allowed: ["key", "amount"])
        let key = try body.string("key")
        let amount = try body.optionalInteger("amount") ?? 1
        try authorize(request, .keySet, store: store.id, keys: [key])
        let value = sign < 0 ? try await store.decr(key, by: amount) : try await store.incr(key, by: amount)
        return ["key": .string(key), "value": .integer(value)]
    }

    /// `POST /v1/stores/{id}/mget` with `{"keys": [...]}`: `{"values": [...]}`, null for absent keys.
    func mget(_ request: Request) async throws(StoreError) -> JSONValue {
        let store = try store(request)
        let body = try await JSONFields(request, limit: maxBodyBytes, allowed: ["keys"])
        guard case .array(let items) = try body.required("keys") else {
            throw .invalid("the field \"keys\" must be an array of strings")
        }
        var keys: [String] = []
        for item in items {
            guard case .string(let key) = item else { throw .invalid("the field \"keys\" must be an array of strings") }
            keys.append(key)
        }
        try authorize(request, .keyGet, store: store.id, keys: keys)
        return ["values": .array(try store.mget(keys).map { $0 ?? .null })]
    }

    /// `POST /v1/stores/{id}/mset` with `{"entries": {k: v}, "ttl"?}`: `{"ok": true}`.
    func mset(_ request: Request) async throws(StoreError) -> JSONValue {
        let store = try store(request)
        let body = try await JSONFields(request, limit: maxBodyBytes, allowed: ["entries", "ttl"])
        guard case .object(let entries) = try body.required("entries") else {
            throw .invalid("the field \"entries\" must be an object of key to value")
        }
        try authorize(request, .keySet, store: store.id, keys: entries.keys.sorted())
        return ["ok": .bool(try await store.mset(entries, ttl: try body.optionalInteger("ttl") ?? 0))]
    }

    /// `GET /v1/cluster`: this node's id and gossip address, and every known member with its
    /// state and replication lag.
    func cluster() async -> JSONValue {
        let members = await replication?.members() ?? []
        let status = ClusterStatus(
            id: node.id.description, address: replication?.address.description,
            members: members.sorted { $0.update.id < $1.update.id }.map(ClusterStatus.Member.init),
            backpressure: replication == nil ? nil : ClusterStatus.Backpressure(node.backpressure.status))
        return status.json
    }
}
