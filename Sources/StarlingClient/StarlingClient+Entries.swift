import NIOHTTP1
public import StarlingModel

extension StarlingClient {
    /// The value of `key`, or nil when it is missing, deleted or expired.
    /// - Parameter key: the key.
    /// - Returns: the value, or nil.
    /// - Throws: `INVALID` for an empty or oversized key, `NOT_FOUND` for an unknown store,
    ///   `UNAVAILABLE` when the endpoint cannot be reached, or the kind the server answered.
    public func get(_ key: String) async throws(StoreError) -> JSONValue? {
        try await entry(key)?.value
    }

    /// The entry of `key` (value, version, expiry), or nil when it is absent.
    /// - Parameter key: the key.
    /// - Returns: the entry, or nil.
    /// - Throws: as ``get(_:)``.
    public func entry(_ key: String) async throws(StoreError) -> Entry? {
        guard let answer = try await callUnlessAbsent(.GET, try entryPath(key)) else { return nil }
        return try Entry(json: answer, failureKind: .internal)
    }

    /// Whether `key` holds a live value.
    /// - Parameter key: the key.
    /// - Returns: true if it does.
    /// - Throws: as ``get(_:)``; the kind of a failure is the one of its HTTP status, since a
    ///   `HEAD` answer has no body.
    public func has(_ key: String) async throws(StoreError) -> Bool {
        let answer = try await send(.HEAD, try entryPath(key))
        switch answer.status {
        case 200..<300:
            return true
        case 404:
            try await checkStoreExists()
            return false
        default:
            throw ClientFailure.error(status: answer.status, body: answer.body, endpoint: endpoint)
        }
    }

    /// Deletes `key`.
    /// - Parameter key: the key.
    /// - Returns: true if a live key was deleted, false if there was none.
    /// - Throws: as ``get(_:)``, and `UNAVAILABLE` when storage cannot accept writes.
    public func delete(_ key: String) async throws(StoreError) -> Bool {
        try JSONFields(answer: try await call(.DELETE, try entryPath(key))).bool("deleted")
    }

    /// The seconds `key` has left to live.
    /// - Parameter key: the key.
    /// - Returns: the seconds remaining; -1 when it has no expiry, -2 when it is missing.
    /// - Throws: as ``get(_:)``.
    public func ttl(_ key: String) async throws(StoreError) -> Int64 {
        let path = storePath("ttl") + PercentEncoding.query([("key", key)])
        return try JSONFields(answer: try await call(.GET, path)).integer("ttl")
    }

    /// The milliseconds `key` has left: `-1` if it never expires, `-2` if it is absent.
    /// - Parameter key: the key.
    /// - Throws: `INVALID` for a bad key, and as ``get(_:)``.
    public func ttlMillis(_ key: String) async throws(StoreError) -> Int64 {
        let path = storePath("ttl") + PercentEncoding.query([("key", key)])
        return try JSONFields(answer: try await call(.GET, path)).integer("ttl_ms")
    }

    /// Sets `key` to `value`.
    /// - Parameters:
    ///   - key: the key.
    ///   - value: the value.
    ///   - ttl: seconds until it expires; 0 (the default) for never.
    /// - Returns: true.
    /// - Throws: `INVALID` for a bad key, value or ttl, and as ``delete(_:)``.
    @discardableResult
    public func set(_ key: String, _ value: JSONValue, ttl: Int64 = 0) async throws(StoreError) -> Bool {
        _ = try await put(key, value, PutOptions(ttl: ttl))
        return true
    }

    /// Writes `key` with options and returns the new entry.
    /// - Parameters:
    ///   - key: the key.
    ///   - value: the value.
    ///   - options: the ttl and the conditions; conditions are sent as given, and this backend
    ///     refuses them. Default: no ttl, no condition.
    /// - Returns: the entry written.
    /// - Throws: `INVALID` for a bad key, value or ttl and for any condition
    ///   ("conditional writes need a linearizable store"), and as ``delete(_:)``.
    public func put(_ key: String, _ value: JSONValue, _ options: PutOptions = PutOptions()) async throws(StoreError)
        -> Entry
    {
        var body: [String: JSONValue] = ["value": value]
        if options.ttl != 0 { body["ttl"] = .integer(options.ttl) }
        if options.ttlMillis != 0 { body["ttl_ms"] = .integer(options.ttlMillis) }
        if let instant = options.expiresAt { body["expires_at"] = .integer(instant) }
        if options.keepTTL { body["keep_ttl"] = true }
        if options.onlyIfAbsent { body["only_if_absent"] = true }
        if let version = options.ifVersion { body["if_version"] = .string(version) }
        return try Entry(json: try await call(.PUT, try entryPath(key), body: .object(body)), failureKind: .internal)
    }

    /// One page of live entries in key order (bytewise UTF-8).
    /// - Parameters:
    ///   - prefix: only keys starting with it. Default: all keys.
    ///   - after: the `cursor` of the previous page, or nil for the first page.
    ///   - limit: the most entries on the page, 1 to 1000. Default 100.
    /// - Returns: the page.
    /// - Throws: `INVALID` for a bad limit or cursor, and as ``get(_:)``.
    public func list(prefix: String = "", after: String? = nil, limit: Int = 100) async throws(StoreError) -> ListPage {
        let query = PercentEncoding.query([
            ("prefix", prefix.isEmpty ? nil : prefix), ("after", after), ("limit", String(limit)),
        ])
        return try ListPage(json: try await call(.GET, storePath("entries") + query), failureKind: .internal)
    }

    /// The live keys matching a glob, sorted.
    /// - Parameter pattern: `*`, `?`, `[abc]`, `[a-z]`, with `\` escaping. Default `*`.
    /// - Returns: the keys.
    /// - Throws: `INVALID` for a malformed pattern, and as ``get(_:)``.
    public func keys(_ pattern: String = "*") async throws(StoreError) -> [String] {
        let path = storePath("keys") + PercentEncoding.query([("pattern", pattern)])
        return try JSONFields(answer: try await call(.GET, path)).strings("keys")
    }
}
