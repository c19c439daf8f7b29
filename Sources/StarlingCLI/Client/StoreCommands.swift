import ArgumentParser
import Starling
import StarlingClient
import StarlingCore

/// `starling info`.
struct InfoCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print what a store promises: backend, consistency, features.",
        discussion: """
            Examples:
              starling info
              starling info --store app:cache --json
            """)

    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let info = try await client.info()
        return CommandResult(json: info.json, text: ClientFormat.info(info))
    }
}

/// `starling stats`.
struct StatsCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print the counts of a store's keys.",
        discussion: """
            total_keys counts live and expired-but-unswept keys; tombstones are deleted keys \
            kept so that older copies cannot resurrect them.

            Examples:
              starling stats
              starling stats --json | jq .active_keys
            """)

    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let stats = try await client.stats()
        return CommandResult(json: stats.json, text: ClientFormat.stats(stats))
    }
}

/// `starling clear`.
struct ClearCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear",
        abstract: "Remove every key of a store, on every peer.",
        discussion: """
            Removes every key written before the call; the clear replicates to every peer. \
            There is no confirmation prompt.

            Examples:
              starling clear --store app:cache
            """)

    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        CommandResult(json: .bool(try await client.clear()), text: "OK")
    }
}

/// `starling cluster`.
struct ClusterCommand: ClientCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Print the node and the members it knows, with their replication lag.",
        discussion: """
            LAG_SEQ is how many local changes a member has not acknowledged; LAG_MS how old \
            the oldest of them is; LAST_ACK when it last acknowledged (Unix ms).

            Examples:
              starling cluster
              starling cluster status --endpoint http://10.0.0.2:7070 --json
            """)

    @OptionGroup var connection: ConnectionOptions

    func perform(_ client: StarlingClient) async throws(StoreError) -> CommandResult {
        let status = try await client.cluster()
        return CommandResult(json: status.json, text: ClientFormat.cluster(status))
    }
}
