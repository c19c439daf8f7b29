import Hummingbird
import Starling
import StarlingCore

extension HTTPAPI {
    /// `POST /v1/stores/{id}/expire` with `{"key", "ttl"}`: `{"ok": bool}`.
    func expire(_ request: Request) async throws(StoreError) -> JSONValue {
        let store = try store(request)
        let body = try await JSONFields(request, limit: maxBodyBytes, allowed: ["key", "ttl"])
        let ttl = try body.integer("ttl")
        let key = try body.string("key")
        try authorize(request, .keySet, store: store.id, keys: [key])
        return ["ok": .bool(try await store.expire(key, ttl: ttl))]
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
