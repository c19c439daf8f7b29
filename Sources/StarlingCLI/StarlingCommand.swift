import ArgumentParser

/// The `starling` command: runs a peer or a local cluster, and talks to one. Benchmarks are a
/// separate executable, `starling-bench` (built with `STARLING_BENCH=1`).
@main
struct StarlingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling",
        abstract: "An eventually consistent, replicated key-value store.",
        subcommands: [
            Serve.self, Cluster.self,
            GetCommand.self, EntryCommand.self, HasCommand.self, DelCommand.self, TTLCommand.self, SetCommand.self,
            PutCommand.self, ListCommand.self, KeysCommand.self, IncrCommand.self, DecrCommand.self,
            ExpireCommand.self, PersistCommand.self, MGetCommand.self, MSetCommand.self, InfoCommand.self,
            StatsCommand.self,
            ClearCommand.self, Keygen.self, Debug.self,
        ]
    )
}
