import ArgumentParser

/// The `starling` command: runs a peer, and measures one.
@main
struct StarlingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling",
        abstract: "An eventually consistent, replicated key-value store.",
        subcommands: [Serve.self, Cluster.self, Bench.self, Debug.self]
    )
}
