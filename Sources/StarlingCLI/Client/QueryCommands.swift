import ArgumentParser
import Starling
import StarlingClient
import StarlingCore

/// `starling list [--prefix P] [--after C] [--limit N]`.
struct ListCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List live entries in key order, one page at a time.",
        discussion: """
            Prints a table of key, value and expiry. When more entries follow, the last line \
            gives the cursor to pass to --after for the next page. Keys are ordered bytewise \
            (UTF-8).

            Examples:
              starling list
              starling list --prefix user: --limit 20
              starling list --prefix user: --limit 20 --after user:20
              starling list --json | jq -r '.items[].key'
            """)

    @Option(help: "Only keys starting with this prefix.") var prefix = ""
    @Option(help: "The cursor of the previous page.") var after: String?
    @Option(help: "The most entries on the page, 1 to 1000.") var limit = 100
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let page = try await client.list(prefix: prefix, after: after, limit: limit)
        return CommandResult(json: page.json, text: ClientFormat.page(page))
    }
}

/// `starling keys [PATTERN]`.
struct KeysCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Print the live keys matching a glob pattern, sorted, one per line.",
        discussion: """
            The pattern knows * (any run), ? (one character), [abc] and [a-z] (one of a set), \
            and \\ to escape the next character. Quote it for the shell.

            Examples:
              starling keys
              starling keys 'user:*'
              starling keys 'log:2024-0[1-3]-*' --json
            """)

    @Argument(help: "The glob pattern.") var pattern = "*"
    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let keys = try await client.keys(pattern)
        return CommandResult(json: .array(keys.map { .string($0) }), text: ClientFormat.keys(keys))
    }
}

/// `starling mget K...`.
struct MGetCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "mget",
        abstract: "Print the values of several keys.",
        discussion: """
            Prints a table of each key and its value, null for an absent key; --json prints the \
            array of values in the order of the keys.

            Examples:
              starling mget a b c
              starling mget user:1 user:2 --json
            """)

    @Argument(help: "The keys.") var keys: [String]
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        guard !keys.isEmpty else { throw ValidationError("give at least one key") }
    }

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let values = try await client.mget(keys)
        return CommandResult(
            json: .array(values.map { $0 ?? .null }), text: ClientFormat.values(values, keys: keys))
    }
}
