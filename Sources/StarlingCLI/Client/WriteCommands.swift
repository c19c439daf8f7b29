import ArgumentParser
import Starling
import StarlingClient
import StarlingCore

/// `starling set KEY VALUE [--ttl S]`.
struct SetCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set a key to a value.",
        discussion: """
            VALUE is JSON when it parses as JSON (42, true, null, [1,2], {"a":1}, "quoted"), \
            else the string itself. Quote JSON for the shell. Prints OK.

            Examples:
              starling set greeting hello
              starling set user:42 '{"name":"Ada","admin":true}'
              starling set session:abc token-1 --ttl 3600
              starling set lock:job token-2 --ttl-ms 1500
              starling set version '"42"'      # the string "42", not the number
            """)

    @Argument(help: "The key.") var key: String
    @Argument(help: "The value: JSON, or else a string.") var value: String
    @Option(help: "Seconds until the key expires; 0 for never.") var ttl: Int64 = 0
    @Option(help: "Milliseconds until the key expires; 0 for never.") var ttlMs: Int64 = 0
    @Flag(help: "Keep the key's current expiry.") var keepTtl = false
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let options = PutOptions(ttl: ttl, ttlMillis: ttlMs, keepTTL: keepTtl)
        _ = try await client.put(key, ValueArgument.value(value), options)
        return CommandResult(json: .bool(true), text: "OK")
    }
}

/// `starling put KEY VALUE [--ttl S] [--only-if-absent | --if-version V]`.
struct PutCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "put",
        abstract: "Write a key and print the new entry.",
        discussion: """
            VALUE is read as for set. --only-if-absent and --if-version are part of the store \
            spec, but conditional writes need a linearizable store: this backend (kv.crdt) \
            refuses them with INVALID.

            Examples:
              starling put user:42 '{"name":"Ada"}'
              starling put session:abc token-1 --ttl 600 --json
            """)

    @Argument(help: "The key.") var key: String
    @Argument(help: "The value: JSON, or else a string.") var value: String
    @Option(help: "Seconds until the key expires; 0 for never.") var ttl: Int64 = 0
    @Option(help: "Milliseconds until the key expires; 0 for never.") var ttlMs: Int64 = 0
    @Option(help: "When the key expires, in Unix milliseconds.") var expiresAt: Int64?
    @Flag(help: "Keep the key's current expiry.") var keepTtl = false
    @Flag(help: "Write only if the key is absent (refused by this backend).") var onlyIfAbsent = false
    @Option(help: "Write only if the key has this version (refused by this backend).") var ifVersion: String?
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let options = PutOptions(
            ttl: ttl, ttlMillis: ttlMs, expiresAt: expiresAt, keepTTL: keepTtl, onlyIfAbsent: onlyIfAbsent,
            ifVersion: ifVersion)
        let entry = try await client.put(key, ValueArgument.value(value), options)
        return CommandResult(json: entry.json, text: ClientFormat.entry(entry))
    }
}

/// `starling incr KEY [N]`.
struct IncrCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "incr",
        abstract: "Add to the integer at a key and print the new value.",
        discussion: """
            A missing key counts from 0; a value that is not an integer is INVALID. Increments \
            on different peers at the same time are never lost. Write a negative amount after \
            --, or use decr.

            Examples:
              starling incr page:views
              starling incr page:views 10
              starling incr balance -- -5
            """)

    @Argument(help: "The key.") var key: String
    @Argument(help: "The amount to add.") var amount: Int64 = 1
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        .value(.integer(try await client.incr(key, by: amount)))
    }
}

/// `starling decr KEY [N]`.
struct DecrCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "decr",
        abstract: "Subtract from the integer at a key and print the new value.",
        discussion: """
            A missing key counts from 0; a value that is not an integer is INVALID.

            Examples:
              starling decr stock:sku-1
              starling decr stock:sku-1 3 --json
            """)

    @Argument(help: "The key.") var key: String
    @Argument(help: "The amount to subtract.") var amount: Int64 = 1
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        .value(.integer(try await client.decr(key, by: amount)))
    }
}

/// `starling expire KEY S`.
struct ExpireCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "expire",
        abstract: "Give a key a new time to live, in seconds.",
        discussion: """
            S must be positive (milliseconds with --ms). A missing key is not an error: nothing \
            changes (--json prints false).

            Examples:
              starling expire session:abc 60
              starling expire session:abc 1500 --ms
              starling expire session:abc 60 --json
            """)

    @Argument(help: "The key.") var key: String
    @Argument(help: "Seconds (milliseconds with --ms) from now until the key expires.") var amount: Int64
    @Flag(help: "The time to live is in milliseconds.") var ms = false
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let ok = ms ? try await client.expire(key, ttlMillis: amount) : try await client.expire(key, ttl: amount)
        return CommandResult(
            json: .bool(ok), text: ClientFormat.expired(ok, key: key, ttl: amount, unit: ms ? "ms" : "s"))
    }
}

/// `starling persist KEY`.
struct PersistCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "persist",
        abstract: "Remove a key's expiry, so it never expires.",
        discussion: """
            Prints OK if the key had an expiry, else says why nothing changed (--json prints \
            true or false).

            Examples:
              starling persist session:abc
            """)

    @Argument(help: "The key.") var key: String
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let ok = try await client.persist(key)
        return CommandResult(json: .bool(ok), text: ok ? "OK" : "\(key) is missing or has no expiry; nothing changed")
    }
}

/// `starling mset K=V... [--ttl S]`.
struct MSetCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "mset",
        abstract: "Set several keys in one transaction: all or nothing.",
        discussion: """
            Each argument is KEY=VALUE, split at the first =; VALUE is read as for set. Of a \
            key given twice the last value wins.

            Examples:
              starling mset a=1 b=2 c=hello
              starling mset 'user:1={"name":"Ada"}' 'user:2={"name":"Alan"}' --ttl 3600
            """)

    @Argument(help: ArgumentHelp("The entries.", valueName: "key=value")) var pairs: [String]
    @Option(help: "Seconds until the keys expire; 0 for never.") var ttl: Int64 = 0
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard !pairs.isEmpty else { throw ValidationError("give at least one KEY=VALUE") }
        _ = try ValueArgument.entries(pairs)
    }

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let entries: [String: JSONValue]
        do {
            entries = try ValueArgument.entries(pairs)
        } catch {
            throw .invalid("\(error)")
        }
        let ok = try await client.mset(entries, ttl: ttl)
        return CommandResult(json: .bool(ok), text: "OK (\(entries.count) \(entries.count == 1 ? "key" : "keys"))")
    }
}
