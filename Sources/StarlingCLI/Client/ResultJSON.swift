import Starling
import StarlingClient
import StarlingCore
import StarlingHTTP

/// The canonical JSON results `--json` prints: the objects of the HTTP API (APIContract.md).
enum ResultJSON {
    /// `{"key", "value", "version", "expires_at"}`, as the HTTP API answers it.
    static func entry(_ entry: Entry) -> JSONValue { entryObject(entry) }

    /// `{"items", "cursor", "has_more"}`.
    static func page(_ page: ListPage) -> JSONValue {
        [
            "items": .array(page.items.map(entry)),
            "cursor": page.cursor.map { .string($0) } ?? .null,
            "has_more": .bool(page.hasMore),
        ]
    }

    /// The info object, as the HTTP API answers it.
    static func info(_ info: StoreInfo) -> JSONValue { infoObject(info) }

    /// The stats object, as the HTTP API answers it.
    static func stats(_ stats: StoreStats) -> JSONValue { statsObject(stats) }

    /// `{"id", "address", "members": [{"id", "address", "state", "incarnation", "lag_seq",
    /// "lag_millis", "lag_seconds", "last_ack"}]}`, as `GET /v1/cluster` answers it.
    static func cluster(_ status: ClusterStatus) -> JSONValue {
        [
            "id": .string(status.id),
            "address": status.address.map { .string($0) } ?? .null,
            "members": .array(
                status.members.map { member in
                    [
                        "id": .string(member.id),
                        "address": .string(member.address),
                        "state": .string(member.state),
                        "incarnation": .integer(member.incarnation),
                        "lag_seq": .integer(member.lagSeq),
                        "lag_millis": .integer(member.lagMillis),
                        "lag_seconds": .number(Double(member.lagMillis) / 1000),
                        "last_ack": member.lastAckMillis.map { .integer($0) } ?? .null,
                    ]
                }),
        ]
    }
}
