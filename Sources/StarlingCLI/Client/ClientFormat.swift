import Foundation
import Starling
import StarlingClient
import StarlingCore

/// The human-readable text of each result: pure functions from result to text, without a
/// final newline.
enum ClientFormat {
    /// An entry as aligned `name: value` lines; the expiry in Unix ms and UTC.
    static func entry(_ entry: Entry) -> String {
        fields([
            ("key", entry.key), ("value", entry.value.description), ("version", entry.version),
            ("expires_at", expiry(entry.expiresAt)),
        ])
    }

    /// `never`, or the Unix milliseconds with their UTC time, such as
    /// `1700000000000 (2023-11-14T22:13:20.000Z)`.
    static func expiry(_ millis: Int64?) -> String {
        guard let millis else { return "never" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "\(millis) (\(formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))))"
    }

    /// The answer of `ttl`: `42 s`, `no expiry (-1)` or `missing (-2)`.
    static func ttl(_ amount: Int64, unit: String = "s") -> String {
        switch amount {
        case -1: "no expiry (-1)"
        case -2: "missing (-2)"
        default: "\(amount) \(unit)"
        }
    }

    /// The answer of `del`.
    static func deleted(_ deleted: Bool, key: String) -> String {
        deleted ? "deleted \(key)" : "\(key) was absent; nothing deleted"
    }

    /// The answer of `expire`.
    static func expired(_ ok: Bool, key: String, ttl: Int64, unit: String = "s") -> String {
        ok ? "\(key) expires in \(ttl) \(unit)" : "\(key) is missing; nothing changed"
    }

    /// A page of `list`: a KEY, VALUE, EXPIRES_AT table, then how to get the next page.
    static func page(_ page: ListPage) -> String {
        var lines: [String] = []
        if page.items.isEmpty {
            lines.append("(no entries)")
        } else {
            let rows = page.items.map { [$0.key, $0.value.description, $0.expiresAt.map(String.init) ?? "never"] }
            lines.append(TextTable(header: ["KEY", "VALUE", "EXPIRES_AT"], rows: rows).rendered)
        }
        if page.hasMore, let cursor = page.cursor {
            lines.append("more entries follow; next page: --after \(shellQuoted(cursor))")
        }
        return lines.joined(separator: "\n")
    }

    /// The keys of `keys`, one per line.
    static func keys(_ keys: [String]) -> String { keys.joined(separator: "\n") }

    /// The values of `mget` beside their keys: a KEY, VALUE table, `null` for absent keys.
    static func values(_ values: [JSONValue?], keys: [String]) -> String {
        let rows = zip(keys, values).map { [$0, ($1 ?? .null).description] }
        return TextTable(header: ["KEY", "VALUE"], rows: rows).rendered
    }

    /// The info of a store as aligned `name: value` lines.
    static func info(_ info: StoreInfo) -> String {
        fields([
            ("id", info.id), ("backend", info.backend), ("consistency", info.consistency),
            ("durable", String(info.durable)), ("list", String(info.list)), ("versioned", String(info.versioned)),
            ("conditional_put", String(info.conditionalPut)), ("ttl", String(info.ttl)),
        ])
    }

    /// The stats of a store by their API names, in a fixed order.
    static func statsFields(_ stats: StoreStats) -> [(String, Int)] {
        [
            ("total_keys", stats.totalKeys), ("active_keys", stats.activeKeys), ("expired_keys", stats.expiredKeys),
            ("keys_with_ttl", stats.keysWithTTL), ("tombstones", stats.tombstones), ("counters", stats.counters),
            ("value_bytes", stats.valueBytes),
        ]
    }

    /// The stats of a store as aligned `name: value` lines.
    static func stats(_ stats: StoreStats) -> String {
        fields(statsFields(stats).map { ($0, String($1)) })
    }

    /// The cluster: the answering node, then a table of its members.
    static func cluster(_ status: ClusterStatus) -> String {
        let backpressure = status.backpressure.map { "\n" + Self.backpressure($0) } ?? ""
        guard !status.members.isEmpty else { return "node \(status.id)\nno other members" + backpressure }
        let rows = status.members.map { member in
            [
                member.id, member.address, member.state, String(member.lagSeq), String(member.lagMillis),
                member.lastAckMillis.map(String.init) ?? "never",
            ]
        }
        let table = TextTable(header: ["ID", "ADDRESS", "STATE", "LAG_SEQ", "LAG_MS", "LAST_ACK"], rows: rows)
        return "node \(status.id)\n" + table.rendered + backpressure
    }

    /// `backpressure: backlog 12 of at most 20000 changes, writes wait up to 250 ms; 3 waited (1 timed out)`.
    static func backpressure(_ backpressure: ClusterStatus.Backpressure) -> String {
        let waited = "\(backpressure.delayedWrites) waited (\(backpressure.timedOutWaits) timed out)"
        guard let bound = backpressure.maxBacklog else {
            return "backpressure: off (backlog \(backpressure.backlog) changes); \(waited)"
        }
        return "backpressure: backlog \(backpressure.backlog) of at most \(bound) changes, writes wait up to "
            + "\(backpressure.maxWaitMillis) ms; \(waited)"
    }

    /// `name: value` lines with the values aligned.
    static func fields(_ pairs: [(String, String)]) -> String {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { name, value in
            name + ":" + String(repeating: " ", count: width - name.count + 1) + value
        }.joined(separator: "\n")
    }

    /// `text` as one shell word: unchanged when it is only safe characters, else single-quoted.
    static func shellQuoted(_ text: String) -> String {
        let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=+,@%")
        if !text.isEmpty, text.allSatisfy(safe.contains) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
