import Starling
import StarlingCore

/// Typed reading of the API's answer objects. An answer of the wrong shape means the endpoint
/// is not the server this client speaks to: `INTERNAL`, naming what was missing.
struct ResponseObject {
    /// The members of the object.
    let members: [String: JSONValue]
    /// What the object is, for messages, such as `the entry`.
    let what: String

    /// Reads `value` as an object.
    /// - Throws: `INTERNAL` when `value` is not an object.
    init(_ value: JSONValue, what: String) throws(StoreError) {
        guard case .object(let members) = value else { throw .internal("\(what) in the answer is not an object") }
        self.members = members
        self.what = what
    }

    private func missing(_ name: String, _ type: String) -> StoreError {
        .internal("\(what) in the answer has no \(type) field \"\(name)\"")
    }

    /// Any value of field `name`.
    func value(_ name: String) throws(StoreError) -> JSONValue {
        guard let value = members[name] else { throw missing(name, "") }
        return value
    }

    /// A string field.
    func string(_ name: String) throws(StoreError) -> String {
        guard case .string(let text)? = members[name] else { throw missing(name, "string") }
        return text
    }

    /// A string field that may be null or absent.
    func optionalString(_ name: String) throws(StoreError) -> String? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw missing(name, "string")
        }
    }

    /// An integer field.
    func integer(_ name: String) throws(StoreError) -> Int64 {
        guard case .integer(let number)? = members[name] else { throw missing(name, "integer") }
        return number
    }

    /// An integer field that may be null or absent.
    func optionalInteger(_ name: String) throws(StoreError) -> Int64? {
        switch members[name] {
        case nil, .null?: return nil
        case .integer(let number)?: return number
        default: throw missing(name, "integer")
        }
    }

    /// A boolean field.
    func bool(_ name: String) throws(StoreError) -> Bool {
        guard case .bool(let flag)? = members[name] else { throw missing(name, "boolean") }
        return flag
    }

    /// An array field.
    func array(_ name: String) throws(StoreError) -> [JSONValue] {
        guard case .array(let items)? = members[name] else { throw missing(name, "array") }
        return items
    }

    /// An array field of strings.
    func strings(_ name: String) throws(StoreError) -> [String] {
        var result: [String] = []
        for item in try array(name) {
            guard case .string(let text) = item else { throw .internal("\(what) has a non-string in \"\(name)\"") }
            result.append(text)
        }
        return result
    }
}

/// The typed results of the API's answers.
enum ResponseDecoding {
    /// An entry object `{"key", "value", "version", "expires_at"}`.
    static func entry(_ value: JSONValue) throws(StoreError) -> Entry {
        let object = try ResponseObject(value, what: "the entry")
        return Entry(
            key: try object.string("key"), value: try object.value("value"), version: try object.string("version"),
            expiresAt: try object.optionalInteger("expires_at"))
    }

    /// A list page `{"items", "cursor", "has_more"}`.
    static func page(_ value: JSONValue) throws(StoreError) -> ListPage {
        let object = try ResponseObject(value, what: "the list page")
        var items: [Entry] = []
        for item in try object.array("items") { items.append(try entry(item)) }
        return ListPage(items: items, cursor: try object.optionalString("cursor"), hasMore: try object.bool("has_more"))
    }

    /// An info object.
    static func info(_ value: JSONValue) throws(StoreError) -> StoreInfo {
        let object = try ResponseObject(value, what: "the info")
        var info = StoreInfo(id: try object.string("id"))
        info.backend = try object.string("backend")
        info.consistency = try object.string("consistency")
        info.durable = try object.bool("durable")
        info.list = try object.bool("list")
        info.versioned = try object.bool("versioned")
        info.conditionalPut = try object.bool("conditional_put")
        info.ttl = try object.bool("ttl")
        return info
    }

    /// A stats object; `counters` and `value_bytes` count 0 when absent.
    static func stats(_ value: JSONValue) throws(StoreError) -> StoreStats {
        let object = try ResponseObject(value, what: "the stats")
        var stats = StoreStats()
        stats.totalKeys = Int(try object.integer("total_keys"))
        stats.activeKeys = Int(try object.integer("active_keys"))
        stats.expiredKeys = Int(try object.integer("expired_keys"))
        stats.keysWithTTL = Int(try object.integer("keys_with_ttl"))
        stats.tombstones = Int(try object.integer("tombstones"))
        stats.counters = Int(try object.optionalInteger("counters") ?? 0)
        stats.valueBytes = Int(try object.optionalInteger("value_bytes") ?? 0)
        return stats
    }

    /// The cluster object `{"id", "members": [...]}`.
    static func cluster(_ value: JSONValue) throws(StoreError) -> ClusterStatus {
        let object = try ResponseObject(value, what: "the cluster status")
        var members: [ClusterStatus.Member] = []
        for item in try object.array("members") {
            let member = try ResponseObject(item, what: "a cluster member")
            members.append(
                ClusterStatus.Member(
                    id: try member.string("id"), address: try member.string("address"),
                    state: try member.string("state"), incarnation: try member.optionalInteger("incarnation") ?? 0,
                    lagSeq: try member.integer("lag_seq"), lagMillis: try member.integer("lag_millis"),
                    lastAckMillis: try member.optionalInteger("last_ack")))
        }
        return ClusterStatus(id: try object.string("id"), address: try object.optionalString("address"), members: members)
    }
}
