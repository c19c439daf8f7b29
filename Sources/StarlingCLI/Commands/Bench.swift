import ArgumentParser

/// `starling bench`: benchmarks, kept apart from tests.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput and latency against a baseline measured in the same run.",
        subcommands: [BenchLocal.self, BenchCluster.self, BenchCompare.self, BenchStudy.self]
    )
}
