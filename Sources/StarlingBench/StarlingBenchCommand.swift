import ArgumentParser
import NIOCore
import NIOPosix

/// `starling-bench`: Starling's benchmarks, kept out of the product. Each measures against a
/// baseline run in the same process or the same run (raw SQLite, etcd, Redis) and reports
/// medians and ratios. The package builds this target only with `STARLING_BENCH=1`.
@main
struct StarlingBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "starling-bench",
        abstract: "Measure throughput and latency against a baseline measured in the same run.",
        subcommands: [BenchLocal.self, BenchCluster.self, BenchCompare.self, BenchStudy.self, BenchSimulation.self]
    )

    static func main() async {
        // `compare` is only a load generator sharing the cores with the systems it measures:
        // running its tasks on NIO's event loop threads (no hop between them and the
        // cooperative pool per request) halves its system CPU time (3.4 s to 2.2 s in a 6.4 s
        // run). The commands that measure Starling in process keep the default executor.
        if CommandLine.arguments.dropFirst().first == "compare" {
            NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        }
        do {
            var command = try await asyncParseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}
