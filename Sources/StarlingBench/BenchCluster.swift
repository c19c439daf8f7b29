import ArgumentParser
import Foundation
import Starling
import StarlingCore

/// `starling-bench cluster`: N replicating peers on loopback, in one process.
struct BenchCluster: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Benchmark replication: N peers on loopback UDP in one process.",
        discussion: """
            For each cluster size in --peers, starts that many peers in this process (each a \
            node in its own fresh data directory, replicating over UDP on 127.0.0.1, all joined \
            through the first peer) with fast timers, and measures: sustained replicated writes \
            per second, --concurrency writers for --duration seconds at one peer and then spread \
            over all peers, counted until every peer holds them all (every feed acknowledged and \
            every peer's state digest equal); the convergence time of a --burst of writes (mset \
            of 1,000 at one peer); single-write visibility latency (set at peer 0, get at another \
            until it shows); the catch-up time of a peer stopped while --catchup records were \
            written and then restarted from its directory; bytes on the wire per write and per \
            receiving peer; and the process's peak RSS. The baseline, measured in the same run, \
            is `set x16` on one node without replication. Every figure is the median of --runs. \
            Progress goes to standard error, the report to standard output.

            The defaults (3, 9 and 17 peers) take about 5 minutes on 2 cores; every peer \
            applies every write, so the bigger clusters drain more slowly on 2 cores (about \
            3,000 replicated writes/s at 9 peers, 2,000 at 17), hence --burst 20000 and \
            --catchup 50000. A wait that passes --deadline skips the rest of that cluster's \
            measurements and is reported.

            Examples:
              starling-bench cluster
              starling-bench cluster --peers 3 --burst 10000 --catchup 20000 --duration 2
              starling-bench cluster --peers 3,5,9 --runs 3 --json > cluster.json
              starling-bench cluster --peers 9 --max-datagram 65000 --catchup 0
            """
    )

    @Option(help: "Cluster sizes to measure, comma-separated (each 2 to 32).")
    var peers = "3,9,17"

    @Option(help: "Seconds of each sustained write phase.")
    var duration = 5.0

    @Option(help: "Writes in the burst whose convergence is timed (mset of 1,000 at peer 0).")
    var burst = 20_000

    @Option(help: "Records written while one peer is down, before its catch-up is timed (0 skips it).")
    var catchup = 50_000

    @Option(help: "Single-write visibility samples.")
    var samples = 200

    @Option(help: "Runs per cluster size; the report shows the median.")
    var runs = 1

    @Option(help: "Concurrent writers of the sustained phases and the baseline, in total.")
    var concurrency = 16

    @Option(help: "Keys the writes choose from at random (the burst writes the first --burst of them).")
    var keys = 100_000

    @Option(help: "Encoded size of every value in bytes.")
    var valueBytes = 100

    @Option(help: "The largest datagram sent, 1200 to 65000 bytes (replication.maxDatagram).")
    var maxDatagram = 1_200

    @Option(help: "Seconds any one wait for convergence or membership may take before the run fails.")
    var deadline = 120.0

    @Option(
        help: "Seconds to let acknowledgements drain, untimed, after each convergence before the next phase (0: none).")
    var settle = 10.0

    @Option(help: "Where to create the fresh work directory (default: the system temporary directory).")
    var dir: String?

    @Option(help: "Seed of the random key choices.")
    var seed: UInt64 = 1

    @Flag(help: "Keep the work directory instead of deleting it.")
    var keep = false

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    func validate() throws {
        let sizes = try Self.sizes(peers)
        guard sizes.allSatisfy({ (2...32).contains($0) }) else {
            throw ValidationError("--peers: every cluster size must be between 2 and 32, not \(peers)")
        }
        guard duration > 0, duration <= 600 else {
            throw ValidationError("--duration must be in (0, 600], not \(duration)")
        }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1, not \(burst)") }
        guard catchup >= 0 else { throw ValidationError("--catchup must not be negative, not \(catchup)") }
        guard samples >= 1 else { throw ValidationError("--samples must be at least 1, not \(samples)") }
        guard (1...9).contains(runs) else { throw ValidationError("--runs must be between 1 and 9, not \(runs)") }
        guard (1...1_024).contains(concurrency) else {
            throw ValidationError("--concurrency must be between 1 and 1024")
        }
        guard keys >= 1_000 else { throw ValidationError("--keys must be at least 1000, not \(keys)") }
        guard (2...60_000).contains(valueBytes) else {
            throw ValidationError("--value-bytes must be between 2 and 60000")
        }
        guard (1_200...65_000).contains(maxDatagram) else {
            throw ValidationError("--max-datagram must be between 1200 and 65000, not \(maxDatagram)")
        }
        guard deadline >= 1 else { throw ValidationError("--deadline must be at least 1 second") }
        guard settle >= 0 else { throw ValidationError("--settle must not be negative") }
    }

    static func sizes(_ text: String) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let sizes = parts.compactMap { Int($0) }
        guard !parts.isEmpty, sizes.count == parts.count else {
            throw ValidationError("--peers must be comma-separated cluster sizes such as 3,9, not \(text)")
        }
        return sizes
    }

    func run() async throws {
        let parent = dir ?? FileManager.default.temporaryDirectory.path
        let directory = parent + "/starling-bench-cluster-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let options = BenchClusterOptions(
            peerCounts: try Self.sizes(peers), keys: keys, valueBytes: valueBytes, concurrency: concurrency,
            durationSeconds: duration, burst: burst, catchup: catchup, samples: samples, runs: runs,
            maxDatagram: maxDatagram, deadlineSeconds: deadline, settleSeconds: settle, seed: seed)
        let session = BenchClusterSession(
            directory: directory, options: options,
            progress: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
        defer { BenchWorkDirectory.finish(directory, keep: keep) }
        let report = try await session.run()
        print(json ? try report.json() : report.table())
    }

}

/// Everything `starling-bench cluster` was asked to do.
struct BenchClusterOptions: Sendable, Codable {
    var peerCounts: [Int]
    var keys: Int
    var valueBytes: Int
    var concurrency: Int
    var durationSeconds: Double
    var burst: Int
    var catchup: Int
    var samples: Int
    var runs: Int
    var maxDatagram: Int
    var deadlineSeconds: Double
    var settleSeconds: Double
    var seed: UInt64

    /// The settings of every peer: loopback, joined through `seeds`, with fast timers.
    /// `probeTimeoutMillis` is lowered with the probe interval because it must stay well
    /// below it (the indirect probes need the rest of the period).
    func replicationSettings(port: UInt16, seeds: [PeerAddress]) -> ReplicationEngine.Settings {
        var settings = ReplicationEngine.Settings()
        settings.bind = PeerAddress(host: "127.0.0.1", port: port)
        settings.seeds = seeds
        settings.maxDatagram = maxDatagram
        settings.membership.probeInterval = .milliseconds(200)
        settings.membership.probeTimeout = .milliseconds(100)
        settings.replicator.roundInterval = .milliseconds(50)
        return settings
    }

    /// The replication settings as printed in the report.
    func describeSettings() -> String {
        let settings = replicationSettings(port: 0, seeds: [])
        let (replicator, membership) = (settings.replicator, settings.membership)
        let parts: [String] = [
            "maxDatagram \(settings.maxDatagram)", "receiveBufferBytes \(settings.receiveBufferBytes)",
            "membership.probeIntervalMillis \(membership.probeIntervalMillis)",
            "membership.probeTimeoutMillis \(membership.probeTimeoutMillis)",
            "membership.suspicionTimeoutMillis \(membership.suspicionTimeoutMillis)",
            "replicator.roundIntervalMillis \(replicator.roundIntervalMillis)", "window \(replicator.window)",
            "ackTimeoutMillis \(replicator.ackTimeoutMillis)",
            "digestIntervalMillis \(replicator.digestIntervalMillis)",
            "digestBuckets \(settings.digestBuckets)",
        ]
        return parts.joined(separator: ", ")
    }
}
