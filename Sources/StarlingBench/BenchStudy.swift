import ArgumentParser
import Foundation
import Logging
import Starling
import StarlingCore

/// `starling-bench convergence`: time to converge after a burst, by cluster size, loss rate and
/// partition length, with real UDP peers in this process.
struct BenchStudy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convergence",
        abstract: "Study convergence after a burst by cluster size, datagram loss and partition length.",
        discussion: """
            For every combination of --peers, --loss and --partition, starts that many peers in \
            this process (nodes in fresh data directories replicating over UDP on 127.0.0.1 with \
            the default settings of `starling serve`), and --trials times writes a --burst of new \
            keys at peer 0 (mset of 1,000) and times until every peer's active_keys holds them \
            all. Loss drops each arriving datagram with that probability (seeded per peer). A \
            partition cuts the last peer off from the others while the burst is written and for \
            that many seconds; convergence is then timed from the heal. Prints one JSON object \
            per combination on standard output (for tools/convergence-study), progress on \
            standard error.

            Examples:
              starling-bench convergence --peers 3,5,9 --loss 0,5,20 --burst 2000
              starling-bench convergence --peers 3 --loss 0 --partition 0,5 --trials 1
            """
    )

    @Option(help: "Cluster sizes, comma-separated (each 2 to 32).")
    var peers = "3,5,9"

    @Option(help: "Loss rates in percent, comma-separated (each 0 to 90).")
    var loss = "0,5,20"

    @Option(help: "Partition lengths in seconds, comma-separated (0: none).")
    var partition = "0"

    @Option(help: "New keys written per burst.")
    var burst = 2_000

    @Option(help: "Bursts per combination; the output holds every trial and the median.")
    var trials = 3

    @Option(help: "Seconds one convergence may take before the combination is reported as not converged.")
    var deadline = 120.0

    @Option(help: "Where to create the fresh work directory (default: the system temporary directory).")
    var dir: String?

    @Option(help: "Seed of the loss draws and the engines' member choices.")
    var seed: UInt64 = 1

    func validate() throws {
        let sizes = try Self.list(peers, "--peers")
        guard sizes.allSatisfy({ (2...32).contains($0) }) else {
            throw ValidationError("--peers must be 2 to 32 each, not \(peers)")
        }
        let losses = try Self.list(loss, "--loss")
        guard losses.allSatisfy({ (0...90).contains($0) }) else {
            throw ValidationError("--loss must be 0 to 90 each, not \(loss)")
        }
        let partitions = try Self.list(partition, "--partition")
        guard partitions.allSatisfy({ $0 >= 0 }) else {
            throw ValidationError("--partition must be 0 or more, not \(partition)")
        }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1, not \(burst)") }
        guard trials >= 1 else { throw ValidationError("--trials must be at least 1, not \(trials)") }
        guard deadline > 0 else { throw ValidationError("--deadline must be more than 0, not \(deadline)") }
    }

    static func list(_ text: String, _ option: String) throws -> [Int] {
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count else {
            throw ValidationError("\(option) must be comma-separated whole numbers, not \(text)")
        }
        return values
    }

    func run() async throws {
        let parent = dir ?? FileManager.default.temporaryDirectory.path
        let directory = parent + "/starling-study-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { BenchWorkDirectory.finish(directory, keep: false) }
        var logger = Logger(label: "starling.study")
        logger.logLevel = .critical
        let progress: @Sendable (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        var cell = 0
        for size in try Self.list(peers, "--peers") {
            for lossPercent in try Self.list(loss, "--loss") {
                for partitionSeconds in try Self.list(partition, "--partition") {
                    cell += 1
                    let study = StudyCell(
                        peers: size, lossPercent: lossPercent, partitionSeconds: partitionSeconds, burst: burst,
                        trials: trials, deadlineSeconds: deadline, directory: directory + "/cell-\(cell)",
                        seed: seed &+ UInt64(cell) &* 7_919, logger: logger, progress: progress)
                    let result = try await study.run()
                    FileHandle.standardOutput.write(Data((try result.jsonLine() + "\n").utf8))
                }
            }
        }
    }
}

/// The result of one combination of the study.
struct StudyResult: Codable, Sendable {
    var peers: Int
    var lossPercent: Int
    var partitionSeconds: Int
    var burst: Int
    /// Seconds from the start of each burst (or from the heal) until every peer held it; nil
    /// for a trial that passed the deadline.
    var convergeSeconds: [Double?]
    /// Seconds to write each burst at peer 0 (local commits).
    var writeSeconds: [Double]
    /// The median of the trials that converged, or nil if none did.
    var medianSeconds: Double?
    /// Datagrams the peers sent, and those the faults dropped on arrival (estimated: sent minus received).
    var datagramsSent: Int
    var datagramsReceived: Int

    func jsonLine() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// One combination: a fresh cluster, its trials, and its teardown.
struct StudyCell: Sendable {
    var peers: Int
    var lossPercent: Int
    var partitionSeconds: Int
    var burst: Int
    var trials: Int
    var deadlineSeconds: Double
    var directory: String
    var seed: UInt64
    var logger: Logger
    var progress: @Sendable (String) -> Void

    private struct Peer {
        var node: Node
        var store: Store
        var replication: UDPReplication
    }

    func run() async throws -> StudyResult {
        let faults = StudyFaults(seed: seed)
        var cluster: [Peer] = []
        do {
            for index in 0..<peers {
                var settings = ReplicationEngine.Settings()
                settings.bind = PeerAddress(host: "127.0.0.1", port: 0)
                settings.seeds = cluster.first.map { [$0.replication.boundAddress] } ?? []
                let node = try Node.open(directory: directory + "/peer-\(index)", logger: logger)
                do {
                    let replication = try await UDPReplication.start(
                        node: node, settings: settings, logger: logger,
                        inboundFilter: { source, bound in faults.delivers(from: source.port, to: bound.port) })
                    cluster.append(Peer(node: node, store: try node.store("default"), replication: replication))
                } catch {
                    await node.close()
                    throw error
                }
            }
            let result = try await measure(cluster, faults)
            await Self.stop(cluster)
            return result
        } catch {
            await Self.stop(cluster)
            throw error
        }
    }

    private static func stop(_ cluster: [Peer]) async {
        for peer in cluster { await peer.replication.stop() }
        for peer in cluster { await peer.node.close() }
    }

    private func measure(_ cluster: [Peer], _ faults: StudyFaults) async throws -> StudyResult {
        try await awaitMembership(cluster)
        faults.setLoss(Double(lossPercent) / 100)
        var converge: [Double?] = []
        var writes: [Double] = []
        let value = JSONValue.string(String(repeating: "x", count: 98))
        let last = cluster[cluster.count - 1].replication.boundAddress.port
        for trial in 0..<trials {
            let before = try cluster.map { try $0.store.stats().activeKeys }
            if partitionSeconds > 0 { faults.isolate([last]) }
            let start = BenchClock.nanos()
            var written = 0
            while written < burst {
                let end = min(burst, written + 1_000)
                var entries: [String: JSONValue] = [:]
                for index in written..<end { entries["study-\(trial)-\(index)"] = value }
                _ = try await cluster[0].store.mset(entries)
                written = end
            }
            writes.append(Double(BenchClock.nanos() - start) / 1e9)
            var from = start
            if partitionSeconds > 0 {
                try await Task.sleep(nanoseconds: UInt64(partitionSeconds) * 1_000_000_000)
                faults.isolate([])
                from = BenchClock.nanos()
            }
            let seconds = try await awaitConvergence(cluster, before: before, from: from)
            converge.append(seconds)
            let shown = seconds.map { BenchReport.format($0, decimals: 2) + " s" } ?? "no convergence"
            progress(
                "peers \(peers) loss \(lossPercent)% partition \(partitionSeconds) s trial \(trial + 1)/\(trials): \(shown)"
            )
            if seconds == nil { break }
        }
        faults.setLoss(0)
        var sent = 0
        var received = 0
        for peer in cluster {
            let statistics = await peer.replication.engine.statistics
            sent += statistics.datagramsSent
            received += statistics.datagramsReceived
        }
        let converged = converge.compactMap { $0 }
        return StudyResult(
            peers: peers, lossPercent: lossPercent, partitionSeconds: partitionSeconds, burst: burst,
            convergeSeconds: converge, writeSeconds: writes,
            medianSeconds: converged.isEmpty ? nil : BenchFigures.medianValue(converged),
            datagramsSent: sent, datagramsReceived: received)
    }

    /// Seconds from `from` until every peer holds `burst` more keys than `before`, or nil after
    /// the deadline.
    private func awaitConvergence(_ cluster: [Peer], before: [Int], from: UInt64) async throws -> Double? {
        let deadline = from + UInt64(deadlineSeconds * 1e9)
        while BenchClock.nanos() < deadline {
            let now = try cluster.map { try $0.store.stats().activeKeys }
            if zip(now, before).allSatisfy({ $0 >= $1 + burst }) { return Double(BenchClock.nanos() - from) / 1e9 }
            try await Task.sleep(nanoseconds: 10_000_000)
        }
        return nil
    }

    /// Waits until every peer sees every other as alive.
    private func awaitMembership(_ cluster: [Peer]) async throws {
        let deadline = BenchClock.nanos() + UInt64(deadlineSeconds * 1e9)
        while BenchClock.nanos() < deadline {
            var complete = true
            for peer in cluster {
                let alive = await peer.replication.engine.members().filter {
                    $0.update.status == .alive && $0.update.id != peer.node.id
                }.count
                if alive < cluster.count - 1 { complete = false }
            }
            if complete { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw BenchFailure("membership of \(peers) peers did not form within \(deadlineSeconds) s")
    }
}
