import ArgumentParser

/// `starling cluster`: local clusters for trying Starling out.
struct Cluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a local cluster.",
        subcommands: [ClusterUp.self]
    )
}
