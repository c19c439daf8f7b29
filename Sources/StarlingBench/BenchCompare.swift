import ArgumentParser
import Foundation

/// `starling-bench compare`: running Starling peers against etcd and Redis, one load generator.
struct BenchCompare: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Benchmark running Starling peers beside an etcd cluster and a Redis, with one load generator.",
        discussion: """
            Measures, --runs times, for each --concurrency: writes of new keys and point reads \
            of those keys, each phase for --duration seconds, with one client per task spread \
            round-robin over the members of each system (Starling over its HTTP API, etcd over \
            its v3 JSON gateway, Redis over RESP, unpipelined). After a Starling write phase it \
            waits until every peer's active_keys holds every acknowledged write and reports the \
            write rate including that time ("converged"). It also measures how long a write sent \
            to member 1 takes to be readable on member 2 (Starling and etcd), and a raw SQLite \
            baseline for the same number of row writes in --work-dir. Each figure is the median \
            of the runs. Systems not given are left out. `tools/bench-compare` starts the \
            clusters and runs this.

            Examples:
              starling-bench compare --starling http://127.0.0.1:7071 --starling http://127.0.0.1:7072 \\
                  --starling http://127.0.0.1:7073 --etcd http://127.0.0.1:2379 \\
                  --etcd http://127.0.0.1:22379 --etcd http://127.0.0.1:32379 --redis 127.0.0.1:6379
              starling-bench compare --starling http://127.0.0.1:7071 --starling http://127.0.0.1:7072 --runs 1
            """
    )

    @Option(name: .customLong("starling"), help: "Base URL of a Starling peer's HTTP API (repeatable; at least 2).")
    var starlingEndpoints: [String] = []

    @Option(name: .customLong("etcd"), help: "Client URL of an etcd member (repeatable; at least 2).")
    var etcdEndpoints: [String] = []

    @Option(help: "HOST:PORT of a Redis server.")
    var redis: String?

    @Option(
        help:
            "Bytes of every value: Starling stores a JSON string of this size with its quotes, etcd and Redis this many bytes."
    )
    var valueBytes = 100

    @Option(name: .customLong("concurrency"), help: "Concurrent clients (repeatable; default 16 and 64).")
    var concurrencies: [Int] = []

    @Option(help: "Seconds each write and read phase runs, per run.")
    var duration = 3.0

    @Option(help: "Runs of every measurement; the report shows the median.")
    var runs = 3

    @Option(help: "Writes timed until readable on another member, per system and run.")
    var visibilitySamples = 200

    @Option(help: "Seconds to wait for Starling peers to converge after a write phase.")
    var convergeDeadline = 120.0

    @Option(
        help:
            "Where the raw SQLite baseline creates its fresh scratch directory (default: the system temporary directory)."
    )
    var workDir: String?

    @Option(help: "Seed of the read key choice.")
    var seed: UInt64 = 1

    @Flag(help: "Print the report as JSON instead of a table.")
    var json = false

    @Option(help: "Also write the report as JSON to this file (for tools/bench-compare's RESP phase).")
    var jsonFile: String?

    var concurrencyList: [Int] { concurrencies.isEmpty ? [16, 64] : concurrencies }

    func validate() throws {
        guard !starlingEndpoints.isEmpty || !etcdEndpoints.isEmpty || redis != nil else {
            throw ValidationError("give at least one system: --starling, --etcd or --redis")
        }
        guard starlingEndpoints.isEmpty || starlingEndpoints.count >= 2 else {
            throw ValidationError("--starling needs at least 2 peers (convergence and visibility), got 1")
        }
        guard etcdEndpoints.isEmpty || etcdEndpoints.count >= 2 else {
            throw ValidationError("--etcd needs at least 2 members (visibility), got 1")
        }
        for endpoint in starlingEndpoints + etcdEndpoints {
            do {
                _ = try HTTPEndpoint(endpoint)
            } catch {
                throw ValidationError(error.description)
            }
        }
        if let redis, Self.hostPort(redis) == nil { throw ValidationError("--redis must be HOST:PORT, not \(redis)") }
        guard (2...262_144).contains(valueBytes) else {
            throw ValidationError("--value-bytes must be between 2 and 262144, not \(valueBytes)")
        }
        for concurrency in concurrencyList where !(1...1_024).contains(concurrency) {
            throw ValidationError("--concurrency must be between 1 and 1024, not \(concurrency)")
        }
        guard runs >= 1 else { throw ValidationError("--runs must be at least 1, not \(runs)") }
        guard duration > 0, duration <= 3_600 else {
            throw ValidationError("--duration must be more than 0 and at most 3600 seconds, not \(duration)")
        }
        guard visibilitySamples >= 1 else {
            throw ValidationError("--visibility-samples must be at least 1, not \(visibilitySamples)")
        }
        guard convergeDeadline > 0 else {
            throw ValidationError("--converge-deadline must be more than 0, not \(convergeDeadline)")
        }
    }

    static func hostPort(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (1...65_535).contains(port), colon != text.startIndex
        else { return nil }
        return (String(text[..<colon]), port)
    }

    func run() async throws {
        let parent = workDir ?? FileManager.default.temporaryDirectory.path
        let directory = parent + "/starling-compare-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let session = try session(directory: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BenchFailure("cannot create the work directory \(directory): \(error.localizedDescription)")
        }
        defer { BenchWorkDirectory.finish(directory, keep: false) }
        let report = try await session.run()
        print(json ? try report.json() : report.table())
        if let jsonFile {
            do {
                try Data(try report.json().utf8).write(to: URL(fileURLWithPath: jsonFile))
            } catch {
                throw BenchFailure("cannot write \(jsonFile): \(error.localizedDescription)")
            }
        }
    }

    private func session(directory: String) throws -> CompareSession {
        CompareSession(
            starling: starlingEndpoints.isEmpty
                ? nil : StarlingSystem(endpoints: try starlingEndpoints.map(HTTPEndpoint.init), valueBytes: valueBytes),
            etcd: etcdEndpoints.isEmpty
                ? nil : EtcdSystem(endpoints: try etcdEndpoints.map(HTTPEndpoint.init), valueBytes: valueBytes),
            redis: redis.flatMap(Self.hostPort).map {
                RedisSystem(host: $0.host, port: $0.port, valueBytes: valueBytes)
            },
            valueBytes: valueBytes, concurrency: concurrencyList, durationSeconds: duration, runs: runs,
            visibilitySamples: visibilitySamples, convergeDeadlineSeconds: convergeDeadline, directory: directory,
            seed: seed, progress: { line in FileHandle.standardError.write(Data((line + "\n").utf8)) })
    }
}
