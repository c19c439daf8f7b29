/// The JSON objects of the API (APIContract.md, "HTTP API"), written once: the server answers
/// with them, the client reads them back and the CLI prints them with `--json`.
///
/// Reading takes the kind of error a malformed object is: `INTERNAL` for an answer of a server
/// (it is not the server the client speaks to), `INVALID` for input a caller gave.

extension Entry {
    /// `{"key", "value", "version", "expires_at"}`; `expires_at` is Unix milliseconds or null.
    public var json: JSONValue {
        [
            "key": .string(key),
            "value": value,
            "version": .string(version),
            "expires_at": expiresAt.map { .integer($0) } ?? .null,
        ]
    }

    /// Reads an entry object.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "the entry", failureKind: failureKind)
        self.init(
            key: try fields.string("key"), value: try fields.required("value"), version: try fields.string("version"),
            expiresAt: try fields.optionalInteger("expires_at"))
    }
}

extension ListPage {
    /// `{"items", "cursor", "has_more"}`.
    public var json: JSONValue {
        [
            "items": .array(items.map(\.json)),
            "cursor": cursor.map { .string($0) } ?? .null,
            "has_more": .bool(hasMore),
        ]
    }

    /// Reads a list page.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "the list page", failureKind: failureKind)
        var items: [Entry] = []
        for item in try fields.array("items") { items.append(try Entry(json: item, failureKind: failureKind)) }
        self.init(items: items, cursor: try fields.optionalString("cursor"), hasMore: try fields.bool("has_more"))
    }
}

extension StoreInfo {
    /// `{"id", "backend", "consistency", "durable", "list", "versioned", "conditional_put", "ttl"}`.
    public var json: JSONValue {
        [
            "id": .string(id),
            "backend": .string(backend),
            "consistency": .string(consistency),
            "durable": .bool(durable),
            "list": .bool(list),
            "versioned": .bool(versioned),
            "conditional_put": .bool(conditionalPut),
            "ttl": .bool(ttl),
        ]
    }

    /// Reads an info object.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "the info", failureKind: failureKind)
        self.init(id: try fields.string("id"))
        backend = try fields.string("backend")
        consistency = try fields.string("consistency")
        durable = try fields.bool("durable")
        list = try fields.bool("list")
        versioned = try fields.bool("versioned")
        conditionalPut = try fields.bool("conditional_put")
        ttl = try fields.bool("ttl")
    }
}

extension StoreStats {
    /// `{"total_keys", "active_keys", "expired_keys", "keys_with_ttl", "tombstones", "counters",
    /// "value_bytes"}`.
    public var json: JSONValue {
        [
            "total_keys": .integer(Int64(totalKeys)),
            "active_keys": .integer(Int64(activeKeys)),
            "expired_keys": .integer(Int64(expiredKeys)),
            "keys_with_ttl": .integer(Int64(keysWithTTL)),
            "tombstones": .integer(Int64(tombstones)),
            "counters": .integer(Int64(counters)),
            "value_bytes": .integer(Int64(valueBytes)),
        ]
    }

    /// Reads a stats object; `counters` and `value_bytes` (added later) count 0 when absent.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "the stats", failureKind: failureKind)
        self.init()
        totalKeys = Int(try fields.integer("total_keys"))
        activeKeys = Int(try fields.integer("active_keys"))
        expiredKeys = Int(try fields.integer("expired_keys"))
        keysWithTTL = Int(try fields.integer("keys_with_ttl"))
        tombstones = Int(try fields.integer("tombstones"))
        counters = Int(try fields.optionalInteger("counters") ?? 0)
        valueBytes = Int(try fields.optionalInteger("value_bytes") ?? 0)
    }
}

extension ClusterStatus {
    /// `{"id", "address", "members": [{"id", "address", "state", "incarnation", "lag_seq",
    /// "lag_millis", "lag_seconds", "last_ack"}], "backpressure": {...} or null}`, as
    /// `GET /v1/cluster` answers it.
    public var json: JSONValue {
        [
            "id": .string(id),
            "address": address.map { .string($0) } ?? .null,
            "members": .array(members.map(\.json)),
            "backpressure": backpressure?.json ?? .null,
        ]
    }

    /// Reads a cluster object.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "the cluster status", failureKind: failureKind)
        var members: [Member] = []
        for item in try fields.array("members") { members.append(try Member(json: item, failureKind: failureKind)) }
        var backpressure: Backpressure?
        if let value = fields.members["backpressure"], value != .null {
            backpressure = try Backpressure(json: value, failureKind: failureKind)
        }
        self.init(
            id: try fields.string("id"), address: try fields.optionalString("address"), members: members,
            backpressure: backpressure)
    }
}

extension ClusterStatus.Backpressure {
    /// `{"max_backlog": n or null, "max_wait_millis", "backlog", "delayed_writes", "timed_out_waits"}`.
    public var json: JSONValue {
        [
            "max_backlog": maxBacklog.map { .integer($0) } ?? .null,
            "max_wait_millis": .integer(maxWaitMillis),
            "backlog": .integer(backlog),
            "delayed_writes": .integer(delayedWrites),
            "timed_out_waits": .integer(timedOutWaits),
        ]
    }

    /// Reads a backpressure object.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "the backpressure", failureKind: failureKind)
        self.init(
            maxBacklog: try fields.optionalInteger("max_backlog"), maxWaitMillis: try fields.integer("max_wait_millis"),
            backlog: try fields.integer("backlog"), delayedWrites: try fields.integer("delayed_writes"),
            timedOutWaits: try fields.integer("timed_out_waits"))
    }
}

extension ClusterStatus.Member {
    /// One member object; `lag_seconds` is `lag_millis` in seconds.
    public var json: JSONValue {
        [
            "id": .string(id),
            "address": .string(address),
            "state": .string(state),
            "incarnation": .integer(incarnation),
            "lag_seq": .integer(lagSeq),
            "lag_millis": .integer(lagMillis),
            "lag_seconds": .number(Double(lagMillis) / 1000),
            "last_ack": lastAckMillis.map { .integer($0) } ?? .null,
        ]
    }

    /// Reads a member object; a missing `incarnation` (older servers) counts 0.
    public init(json: JSONValue, failureKind: StoreError.Kind = .invalid) throws(StoreError) {
        let fields = try JSONFields(json, what: "a cluster member", failureKind: failureKind)
        self.init(
            id: try fields.string("id"), address: try fields.string("address"), state: try fields.string("state"),
            incarnation: try fields.optionalInteger("incarnation") ?? 0, lagSeq: try fields.integer("lag_seq"),
            lagMillis: try fields.integer("lag_millis"), lastAckMillis: try fields.optionalInteger("last_ack"))
    }
}
