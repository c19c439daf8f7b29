import Hummingbird
import Starling
import StarlingAccess
import StarlingCore

extension HTTPAPI {
    /// The store named by the request path.
    /// - Throws: `NOT_FOUND` for an unknown store id, `INVALID` for an empty one.
    func store(_ request: Request) throws(StoreError) -> Store {
        try node.store(try StorePath(rawPath: request.uri.path).storeID)
    }

    /// The store and key named by `/v1/stores/{id}/entries/{key...}`.
    func storeAndKey(_ request: Request) throws(StoreError) -> (Store, String) {
        let path = try StorePath(rawPath: request.uri.path)
        return (try node.store(path.storeID), path.key ?? "")
    }

    /// `GET /v1/stores/{id}/entries/{key...}`: the entry object, or 404 `NOT_FOUND`.
    func getEntry(_ request: Request) throws(StoreError) -> JSONValue {
        let (store, key) = try storeAndKey(request)
        guard let entry = try store.entry(key) else {
            throw .notFound("the key \"\(key)\" is absent from store \"\(store.id)\"")
        }
        return entry.json
    }

    /// `HEAD /v1/stores/{id}/entries/{key...}`: 200 if the key is live, 404 if not; no body.
    func hasEntry(_ request: Request) async -> Response {
        do {
            let (store, key) = try storeAndKey(request)
            return Response(status: try store.has(key) ? .ok : .notFound)
        } catch {
            return Response(status: JSONResponse.status(of: error.kind))
        }
    }

    /// `PUT /v1/stores/{id}/entries/{key...}` with `{"value", "ttl"?, "ttl_ms"?, "expires_at"?,
    /// "keep_ttl"?, "only_if_absent"?, "if_version"?}`.
    func putEntry(_ request: Request) async throws(StoreError) -> JSONValue {
        let (store, key) = try storeAndKey(request)
        let body = try await JSONFields(
            request, limit: maxBodyBytes,
            allowed: ["value", "ttl", "ttl_ms", "expires_at", "keep_ttl", "only_if_absent", "if_version"])
        let options = PutOptions(
            ttl: try body.optionalInteger("ttl") ?? 0, ttlMillis: try body.optionalInteger("ttl_ms") ?? 0,
            expiresAt: try body.optionalInteger("expires_at"), keepTTL: try body.optionalBool("keep_ttl") ?? false,
            onlyIfAbsent: try body.optionalBool("only_if_absent") ?? false,
            ifVersion: try body.optionalString("if_version"))
        return try await store.put(key, try body.required("value"), options).json
    }

    /// `DELETE /v1/stores/{id}/entries/{key...}`: `{"deleted": bool}`.
    func deleteEntry(_ request: Request) async throws(StoreError) -> JSONValue {
        let (store, key) = try storeAndKey(request)
        return ["deleted": .bool(try await store.delete(key))]
    }

    /// `GET /v1/stores/{id}/entries?prefix=&after=&limit=`: one page of entries.
    func list(_ request: Request) throws(StoreError) -> JSONValue {
        let store = try store(request)
        let query = request.uri.queryParameters
        var limit = 100
        if let text = query["limit"] {
            guard let parsed = Int(text) else { throw .invalid("limit must be an integer") }
            limit = parsed
        }
        let after = query["after"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let visible = try visibleKeys(request, .keyList, store: store.id)
        // Filtered inside the scan, so the cursor and has_more reveal no key the token may not list.
        let page = try store.list(
            prefix: query["prefix"].map(String.init) ?? "", after: after, limit: limit, where: visible)
        return page.json
    }

    /// `GET /v1/stores/{id}/keys?pattern=`: `{"keys": [...]}`, sorted.
    func keys(_ request: Request) throws(StoreError) -> JSONValue {
        let store = try store(request)
        let pattern = request.uri.queryParameters["pattern"].map(String.init) ?? "*"
        let visible = try visibleKeys(request, .keyList, store: store.id)
        return ["keys": .array(try store.keys(pattern).filter(visible).map { .string($0) })]
    }

    /// `GET /v1/stores/{id}/ttl?key=`: `{"ttl": n}` (-1 no expiry, -2 missing).
    func ttl(_ request: Request) throws(StoreError) -> JSONValue {
        let store = try store(request)
        guard let key = request.uri.queryParameters["key"] else {
            throw .invalid("the query parameter key is required")
        }
        let millis = try store.ttlMillis(String(key))
        return ["ttl": .integer(Store.seconds(roundingUp: millis)), "ttl_ms": .integer(millis)]
    }
}
