import ArgumentParser

/// `starling cluster`: the members of a running peer's cluster (`status`, the default), or a
/// local cluster to try Starling with (`up`).
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a peer's cluster (default), or start a local one.",
        subcommands: [ClusterCommand.self, ClusterUp.self],
        defaultSubcommand: ClusterCommand.self
    )
}
