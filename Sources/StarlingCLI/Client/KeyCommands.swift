import ArgumentParser
import Starling
import StarlingClient
import StarlingCore

/// `starling get KEY`: the value of a key.
struct GetCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "get",
        abstract: "Print the value of a key as JSON.",
        discussion: """
            Prints the value as canonical JSON (a string value in quotes). Exits with status 3 \
            and a NOT_FOUND message on standard error when the key is missing, deleted or expired.

            Examples:
              starling get user:42
              starling get user:42 --store app:cache --endpoint http://10.0.0.1:7070
              starling get config --json | jq .theme
            """)

    @Argument(help: "The key.") var key: String
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        guard let value = try await client.get(key) else { return .absent(key, store: connection.store) }
        return .value(value)
    }
}

/// `starling entry KEY`: the value, version and expiry of a key.
struct EntryCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "entry",
        abstract: "Print the entry of a key: value, version and expiry.",
        discussion: """
            The version is an opaque string that changes with every write; expires_at is Unix \
            milliseconds, or never. Exits with status 3 when the key is absent.

            Examples:
              starling entry session:abc
              starling entry session:abc --json
            """)

    @Argument(help: "The key.") var key: String
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        guard let entry = try await client.entry(key) else { return .absent(key, store: connection.store) }
        return CommandResult(json: entry.json, text: ClientFormat.entry(entry))
    }
}

/// `starling has KEY`: whether a key is live.
struct HasCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "has",
        abstract: "Print true if a key holds a live value, else false.",
        discussion: """
            Exits with status 0 either way; only a failed call exits with 1.

            Examples:
              starling has user:42
              [ "$(starling has lock:job)" = true ] && echo busy
            """)

    @Argument(help: "The key.") var key: String
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        .value(.bool(try await client.has(key)))
    }
}

/// `starling del KEY`: deletes a key.
struct DelCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "del",
        abstract: "Delete a key.",
        discussion: """
            Deleting a missing key is not an error: it reports that nothing was deleted \
            (--json prints false).

            Examples:
              starling del user:42
              starling del 'path/with spaces' --json
            """)

    @Argument(help: "The key.") var key: String
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let deleted = try await client.delete(key)
        return CommandResult(json: .bool(deleted), text: ClientFormat.deleted(deleted, key: key))
    }
}

/// `starling ttl KEY`: the seconds a key has left.
struct TTLCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "ttl",
        abstract: "Print the seconds a key has left to live.",
        discussion: """
            --json prints the number of seconds (rounded up; milliseconds with --ms), -1 for a \
            key without expiry and -2 for a missing key.

            Examples:
              starling ttl session:abc
              starling ttl session:abc --ms --json
            """)

    @Argument(help: "The key.") var key: String
    @Flag(help: "Print milliseconds instead of seconds.") var ms = false
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let amount = ms ? try await client.ttlMillis(key) : try await client.ttl(key)
        return CommandResult(json: .integer(amount), text: ClientFormat.ttl(amount, unit: ms ? "ms" : "s"))
    }
}
