import NIOHTTP1
public import StarlingModel

extension StarlingClient {
    /// Adds `amount` to the integer at `key` (a missing key counts from 0).
    /// - Parameters:
    ///   - key: the key.
    ///   - amount: what to add. Default 1.
    /// - Returns: the new value.
    /// - Throws: `INVALID` when the value is not an integer or the sum overflows, and as
    ///   ``delete(_:)``.
    public func incr(_ key: String, by amount: Int64 = 1) async throws(StoreError) -> Int64 {
        try await counter("incr", key, amount)
    }

    /// Subtracts `amount` from the integer at `key` (a missing key counts from 0).
    /// - Parameters:
    ///   - key: the key.
    ///   - amount: what to subtract. Default 1.
    /// - Returns: the new value.
    /// - Throws: as ``incr(_:by:)``.
    public func decr(_ key: String, by amount: Int64 = 1) async throws(StoreError) -> Int64 {
        try await counter("decr", key, amount)
    }

    private func counter(_ operation: String, _ key: String, _ amount: Int64) async throws(StoreError) -> Int64 {
        let body: JSONValue = ["key": .string(key), "amount": .integer(amount)]
        return try JSONFields(answer: try await call(.POST, storePath(operation), body: body))
            .integer("value")
    }

    /// Gives `key` a new time to live.
    /// - Parameters:
    ///   - key: the key.
    ///   - ttl: seconds from now; must be positive.
    /// - Returns: true, or false if the key is missing.
    /// - Throws: `INVALID` for a ttl that is not positive, and as ``delete(_:)``.
    public func expire(_ key: String, ttl: Int64) async throws(StoreError) -> Bool {
        let body: JSONValue = ["key": .string(key), "ttl": .integer(ttl)]
        return try JSONFields(answer: try await call(.POST, storePath("expire"), body: body))
            .bool("ok")
    }

    /// Gives `key` a new time to live in milliseconds.
    /// - Parameters:
    ///   - key: the key.
    ///   - ttlMillis: milliseconds from now; must be positive.
    /// - Returns: false if the key is absent.
    /// - Throws: `INVALID` for a bad key or ttl, and as ``get(_:)``.
    public func expire(_ key: String, ttlMillis: Int64) async throws(StoreError) -> Bool {
        let body: JSONValue = ["key": .string(key), "ttl_ms": .integer(ttlMillis)]
        return try JSONFields(answer: try await call(.POST, storePath("expire"), body: body)).bool("ok")
    }

    /// Removes the expiry of `key`.
    /// - Parameter key: the key.
    /// - Returns: true if the key had an expiry; false if it is absent or had none.
    /// - Throws: `INVALID` for a bad key, and as ``get(_:)``.
    public func persist(_ key: String) async throws(StoreError) -> Bool {
        let body: JSONValue = ["key": .string(key)]
        return try JSONFields(answer: try await call(.POST, storePath("persist"), body: body)).bool("ok")
    }

    /// The values of `keys`, in the same order; nil for an absent key.
    /// - Parameter keys: the keys.
    /// - Returns: one value or nil per key. The HTTP API writes an absent key and a stored
    ///   `null` alike, so both read as nil.
    /// - Throws: `INVALID` for a bad key, and as ``get(_:)``.
    public func mget(_ keys: [String]) async throws(StoreError) -> [JSONValue?] {
        let body: JSONValue = ["keys": .array(keys.map { .string($0) })]
        let values = try JSONFields(answer: try await call(.POST, storePath("mget"), body: body))
            .array("values")
        guard values.count == keys.count else {
            throw .internal("mget of \(keys.count) keys answered \(values.count) values")
        }
        return values.map { value -> JSONValue? in value == .null ? Optional.none : value }
    }

    /// Sets every key of `entries` in one transaction: all or nothing.
    /// - Parameters:
    ///   - entries: key to value.
    ///   - ttl: seconds until they expire; 0 (the default) for never.
    /// - Returns: true.
    /// - Throws: `INVALID` for a bad key, value or ttl, and as ``delete(_:)``.
    @discardableResult
    public func mset(_ entries: [String: JSONValue], ttl: Int64 = 0) async throws(StoreError) -> Bool {
        var body: [String: JSONValue] = ["entries": .object(entries)]
        if ttl != 0 { body["ttl"] = .integer(ttl) }
        return try JSONFields(answer: try await call(.POST, storePath("mset"), body: .object(body)))
            .bool("ok")
    }

    /// Removes every key written before the call, on every peer.
    /// - Returns: true.
    /// - Throws: as ``delete(_:)``.
    @discardableResult
    public func clear() async throws(StoreError) -> Bool {
        try JSONFields(answer: try await call(.POST, storePath("clear"))).bool("ok")
    }

    /// What the store promises.
    /// - Returns: the info (`backend` `kv.crdt`, `consistency` `eventual`, ...).
    /// - Throws: `NOT_FOUND` for an unknown store, and as ``get(_:)``.
    public func info() async throws(StoreError) -> StoreInfo {
        try StoreInfo(json: try await call(.GET, storePath("info")), failureKind: .internal)
    }

    /// Counts of the store's keys.
    /// - Returns: the stats.
    /// - Throws: as ``info()``.
    public func stats() async throws(StoreError) -> StoreStats {
        try StoreStats(json: try await call(.GET, storePath("stats")), failureKind: .internal)
    }

    /// The answering node and the members it knows, with their replication lag.
    /// - Returns: the status.
    /// - Throws: `UNAVAILABLE` when the endpoint cannot be reached, or the kind the server answered.
    public func cluster() async throws(StoreError) -> ClusterStatus {
        try ClusterStatus(json: try await call(.GET, "/v1/cluster"), failureKind: .internal)
    }

    /// The ids of the stores the node hosts, sorted.
    /// - Returns: the ids.
    /// - Throws: as ``cluster()``.
    public func stores() async throws(StoreError) -> [String] {
        try JSONFields(answer: try await call(.GET, "/v1/stores")).strings("stores")
    }
}
