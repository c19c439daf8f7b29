package import Starling
package import StarlingCore

/// The entry object of the API: `{"key", "value", "version", "expires_at"}`.
package func entryObject(_ entry: Entry) -> JSONValue {
    [
        "key": .string(entry.key),
        "value": entry.value,
        "version": .string(entry.version),
        "expires_at": entry.expiresAt.map { .integer($0) } ?? .null,
    ]
}

/// The info object of the API.
package func infoObject(_ info: StoreInfo) -> JSONValue {
    [
        "id": .string(info.id),
        "backend": .string(info.backend),
        "consistency": .string(info.consistency),
        "durable": .bool(info.durable),
        "list": .bool(info.list),
        "versioned": .bool(info.versioned),
        "conditional_put": .bool(info.conditionalPut),
        "ttl": .bool(info.ttl),
    ]
}

/// The stats object of the API, with snake_case keys.
package func statsObject(_ stats: StoreStats) -> JSONValue {
    [
        "total_keys": .integer(Int64(stats.totalKeys)),
        "active_keys": .integer(Int64(stats.activeKeys)),
        "expired_keys": .integer(Int64(stats.expiredKeys)),
        "keys_with_ttl": .integer(Int64(stats.keysWithTTL)),
        "tombstones": .integer(Int64(stats.tombstones)),
        "counters": .integer(Int64(stats.counters)),
        "value_bytes": .integer(Int64(stats.valueBytes)),
    ]
}

/// One member of `GET /v1/cluster`.
func memberObject(_ member: MemberSnapshot) -> JSONValue {
    let state: String
    switch member.update.status {
    case .alive: state = "alive"
    case .suspect: state = "suspect"
    case .dead: state = "dead"
    case .left: state = "left"
    }
    return [
        "id": .string(member.update.id.description),
        "address": .string(member.update.address.description),
        "state": .string(state),
        "incarnation": .integer(Int64(truncatingIfNeeded: member.update.incarnation)),
        "lag_seq": .integer(member.lagSeq),
        "lag_millis": .integer(member.lagMillis),
        "lag_seconds": .number(Double(member.lagMillis) / 1000),
        "last_ack": member.lastAckMillis.map { .integer($0) } ?? .null,
    ]
}
