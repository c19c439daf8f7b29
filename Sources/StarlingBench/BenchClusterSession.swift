import Foundation
import Logging
import Starling
import StarlingCore

#if canImport(Glibc)
    import Glibc
#endif

/// One `starling-bench cluster` session: per run, the single-node baseline, then a fresh
/// cluster of each size with every measurement; the report holds the medians over the runs.
struct BenchClusterSession {
    let directory: String
    let options: BenchClusterOptions
    /// Where progress lines go (standard error), so standard output holds only the report.
    let progress: @Sendable (String) -> Void

    /// Runs the session.
    /// - Throws: ``BenchFailure`` (a wait past its deadline names what lagged) or `StoreError`;
    ///   the peers of the failing cluster are stopped first.
    func run() async throws -> BenchClusterReport {
        let wallStart = BenchClock.nanos()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw BenchFailure("cannot create the work directory \(directory): \(error.localizedDescription)")
        }
        progress("work directory \(directory)")
        progress("settings: \(options.describeSettings())")
        let keyspace = BenchKeyspace(count: options.keys, counterCount: 1, valueBytes: options.valueBytes)
        let workloads = BenchWorkloads(
            keyspace: keyspace, durationNanos: UInt64(options.durationSeconds * 1e9),
            expectedOps: Int(options.durationSeconds * 100_000))
        var logger = Logger(label: "starling") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        var baselines: [BenchFigures] = []
        var results: [Int: [[String: Double]]] = [:]
        var resetEveryTime = true
        var notes: [String] = []
        for run in 0..<options.runs {
            progress("run \(run + 1) of \(options.runs)")
            let baseline = try await measureBaseline(workloads, run: run, logger: logger)
            baselines.append(baseline)
            for peers in options.peerCounts {
                resetEveryTime = BenchClusterMemory.resetPeak() && resetEveryTime
                let metrics = try await measureCluster(
                    peers: peers, run: run, workloads: workloads, baseline: baseline.opsPerSecond, logger: logger,
                    notes: &notes)
                results[peers, default: []].append(metrics)
            }
        }
        return BenchClusterReport(
            options: options, settings: options.describeSettings(), baselineRuns: baselines,
            baseline: BenchFigures.median(of: baselines),
            clusters: options.peerCounts.map { BenchClusterResult(peers: $0, runs: results[$0] ?? []) },
            peakRSSResetPerCluster: resetEveryTime, notes: notes,
            wallSeconds: Double(BenchClock.nanos() - wallStart) / 1e9)
    }

    /// `set xN` of random keys for `--duration` seconds on one node without replication, after
    /// loading every key (as the cluster's burst does before its sustained phases).
    private func measureBaseline(_ workloads: BenchWorkloads, run: Int, logger: Logger) async throws -> BenchFigures {
        let path = directory + "/baseline-\(run)"
        let node = try Node.open(directory: path, logger: logger)
        let sample: BenchSample
        do {
            let store = try node.store("default")
            _ = try await workloads.load(store, chunk: 1_000)
            sample = try await workloads.set(store, concurrency: options.concurrency, seed: options.seed &+ UInt64(run))
        } catch {
            await node.close()
            throw error
        }
        await node.close()
        try? FileManager.default.removeItem(atPath: path)
        let figures = sample.figures()
        progress(
            "  baseline set x\(options.concurrency), 1 node, no replication: "
                + "\(BenchReport.format(figures.opsPerSecond, decimals: 0)) ops/s")
        return figures
    }

    private func measureCluster(
        peers count: Int, run: Int, workloads: BenchWorkloads, baseline: Double, logger: Logger,
        notes: inout [String]
    ) async throws -> [String: Double] {
        let path = directory + "/cluster-\(count)-run-\(run)"
        progress("cluster of \(count) peers in \(path)")
        let joinStart = BenchClock.nanos()
        var cluster = try await BenchClusterPeers.start(
            count: count, directory: path, options: options, logger: logger, progress: progress)
        var metrics: [String: Double] = ["join_s": Double(BenchClock.nanos() - joinStart) / 1e9, "timeouts": 0]
        let phases = BenchClusterPhases(options: options, workloads: workloads, progress: progress)
        let seed = options.seed &+ UInt64(run * 1_000 + count)
        do {
            try await phases.burst(cluster, into: &metrics)
            try await phases.sustained(cluster, allPeers: false, seed: seed, baseline: baseline, into: &metrics)
            try await phases.sustained(cluster, allPeers: true, seed: seed &+ 1, baseline: baseline, into: &metrics)
            try await phases.visibility(cluster, into: &metrics)
            if options.catchup > 0 { try await phases.catchUp(&cluster, into: &metrics) }
        } catch let timeout as BenchClusterTimeout {
            progress("  TIMEOUT, skipping the rest of this cluster: \(timeout.description)")
            metrics["timeouts"] = 1
            notes.append("\(count) peers, run \(run + 1): \(timeout.description.prefix(600))")
        } catch {
            await cluster.stopAll()
            throw error
        }
        if let peak = BenchMemory.peakResidentBytes() {
            metrics["rss.peak_mb"] = Double(peak) / 1_048_576
            metrics["rss.peak_per_peer_mb"] = Double(peak) / 1_048_576 / Double(count)
        }
        await cluster.stopAll()
        try? FileManager.default.removeItem(atPath: path)
        return metrics
    }
}

/// Resetting the process's memory high-water mark, so each cluster size reports its own peak.
enum BenchClusterMemory {
    /// Writes `5` to `/proc/self/clear_refs`, which resets `VmHWM` to the current RSS (Linux 4.0
    /// and later). Returns whether it worked.
    static func resetPeak() -> Bool {
        #if canImport(Glibc)
            let descriptor = open("/proc/self/clear_refs", O_WRONLY)
            guard descriptor >= 0 else { return false }
            defer { close(descriptor) }
            return write(descriptor, "5", 1) == 1
        #else
            return false
        #endif
    }
}
