import Starling
import StarlingClient
import StarlingCore

/// The canonical JSON results `--json` prints: the objects of the HTTP API (API.md).
enum ResultJSON {
    /// `{"key", "value", "version", "expires_at"}`.
    static func entry(_ entry: Entry) -> JSONValue {
        [
            "key": .string(entry.key),
            "value": entry.value,
            "version": .string(entry.version),
            "expires_at": entry.expiresAt.map { .integer($0) } ?? .null,
        ]
    }

    /// `{"items", "cursor", "has_more"}`.
    static func page(_ page: ListPage) -> JSONValue {
        [
            "items": .array(page.items.map(entry)),
            "cursor": page.cursor.map { .string($0) } ?? .null,
            "has_more": .bool(page.hasMore),
        ]
    }

    /// The info object.
    static func info(_ info: StoreInfo) -> JSONValue {
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

    /// The stats object.
    static func stats(_ stats: StoreStats) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: ClientFormat.statsFields(stats).map { ($0, .integer(Int64($1))) }))
    }

    /// `{"id", "members": [{"id", "address", "state", "incarnation", "lag_seq", "lag_millis", "last_ack"}]}`.
    static func cluster(_ status: ClusterStatus) -> JSONValue {
        [
            "id": .string(status.id),
            "members": .array(
                status.members.map { member in
                    [
                        "id": .string(member.id),
                        "address": .string(member.address),
                        "state": .string(member.state),
                        "incarnation": .integer(member.incarnation),
                        "lag_seq": .integer(member.lagSeq),
                        "lag_millis": .integer(member.lagMillis),
                        "last_ack": member.lastAckMillis.map { .integer($0) } ?? .null,
                    ]
                }),
        ]
    }
}
