import ArgumentParser
import Foundation
import Starling

/// `starling-bench local`: the embedded store against raw SQLite.
struct BenchLocal: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Benchmark the embedded store against raw SQLite with the same schema and pragmas.",
        discussion: """
            Loads --keys keys into a Starling node and into a raw SQLite database (the same \
            `entries` table and indexes, the same pragmas), then measures, --runs times, each \
            for --duration seconds: set, incr, get and list with 1 and --concurrency concurrent \
            callers on the Starling side, and the raw ceiling on one connection through the C \
            API with prepared statements. Each row reports the median of the runs (ops/s, p50 \
            and p99 latency) and its ratio to the baseline named beside it. Targets: `set x16` \
            at least 0.5 of the raw 1,000-rows-per-transaction upsert rate, `get x1` at least \
            0.5 of the raw point read. Progress goes to standard error, the report to standard \
            output. The work directory is created fresh and deleted afterwards.

            Examples:
              starling-bench local
              starling-bench local --keys 100000 --runs 1 --duration 1
              starling-bench local --durability power --json > bench.json
              starling-bench local --keys 100000 --only list --only get
            """
    )

    @Option(help: "Keys loaded before measuring (at least 1,000).")
    var keys = 1_000_000

    @Option(help: "Encoded size of every value in bytes: a JSON string of this many bytes with its quotes.")
    var valueBytes = 100

    @Option(help: "Runs of every measurement; the report shows the median.")
    var runs = 3

    @Option(help: "Seconds each measurement runs, per run.")
    var duration = 3.0

    @Option(help: "Concurrent writers or readers of the concurrent rows.")
    var concurrency = 16

    @Option(help: "What a write survives, on both sides: process (synchronous=NORMAL) or power (synchronous=FULL).")
    var durability = "process"

    @Option(help: "Where to create the fresh work directory (default: the system temporary directory).")
    var dir: String?

    @Option(help: "Seed of the random key choices.")
    var seed: UInt64 = 1

    @Option(help: "Run only the measurements whose name contains this, such as `list` (repeatable).")
    var only: [String] = []

    @Flag(help: "Keep the work directory instead of deleting it.")
    var keep = false

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    func validate() throws {
        guard keys >= 1_000 else { throw ValidationError("--keys must be at least 1000, not \(keys)") }
        guard (2...262_144).contains(valueBytes) else {
            throw ValidationError("--value-bytes must be between 2 and 262144, not \(valueBytes)")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, not \(runs)") }
        guard duration > 0, duration <= 3_600 else {
            throw ValidationError("--duration must be more than 0 and at most 3600 seconds, not \(duration)")
        }
        guard (1...1_024).contains(concurrency) else {
            throw ValidationError("--concurrency must be between 1 and 1024, not \(concurrency)")
        }
        guard Node.Settings.Storage.Durability(rawValue: durability) != nil else {
            throw ValidationError("--durability must be process or power, not \(durability)")
        }
    }

    func run() async throws {
        let durability = Node.Settings.Storage.Durability(rawValue: durability) ?? .process
        let parent = dir ?? FileManager.default.temporaryDirectory.path
        let directory = parent + "/starling-bench-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BenchFailure("cannot create the work directory \(directory): \(error.localizedDescription)")
        }
        let session = BenchSession(
            directory: directory, keys: keys, valueBytes: valueBytes, runs: runs, durationSeconds: duration,
            concurrency: concurrency, durability: durability, seed: seed, only: only,
            progress: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        defer { BenchWorkDirectory.finish(directory, keep: keep) }
        let report = try await session.run()
        print(json ? try report.json() : report.table())
    }
}
