import Foundation
import Starling
import StarlingCore

/// The measurements of one cluster in one run, in order: burst (which also loads the keys the
/// sustained phases overwrite), sustained writes at one peer, then at all peers, single-write
/// visibility, and catch-up. Each adds its figures to a metric dictionary keyed as in
/// ``BenchClusterReport/metrics``.
struct BenchClusterPhases {
    let options: BenchClusterOptions
    let workloads: BenchWorkloads
    let progress: @Sendable (String) -> Void

    private var deadlineNanos: UInt64 { UInt64(options.deadlineSeconds * 1e9) }

    private static func seconds(_ nanos: UInt64) -> Double { Double(nanos) / 1e9 }

    /// Counts the waits that converged by digest while acknowledgements still lagged.
    private func tally(_ convergence: BenchClusterConvergence, into metrics: inout [String: Double]) {
        metrics["waits.total", default: 0] += 1
        metrics["waits.acks_lagging", default: 0] += convergence.convergedBeforeAcks ? 1 : 0
    }

    /// Lets acknowledgements drain (untimed, up to `--settle` s) and records the lag left.
    private func settle(
        _ cluster: BenchClusterPeers, _ name: String, into metrics: inout [String: Double]
    ) async throws {
        guard options.settleSeconds > 0 else { return }
        let (seconds, lagLeft) = try await cluster.settle(name)
        metrics["\(name).lag_after_settle"] = Double(lagLeft)
        if let seconds { metrics["\(name).acks_drained_s"] = seconds }
    }

    /// Records what the engines did between `before` and `after` for `writes` writes that
    /// `receivers` peers each needed: deltas sent and received, and entries that changed state
    /// (replicated and repaired) per write per receiving peer; datagrams dropped and repairs.
    private func traffic(
        _ name: String, _ before: ReplicationStatistics, _ after: ReplicationStatistics, writes: Int, receivers: Int,
        into metrics: inout [String: Double]
    ) {
        let needed = Double(max(1, writes * receivers))
        metrics["\(name).deltas_sent_per_write_peer"] = Double(after.deltasSent - before.deltasSent) / needed
        metrics["\(name).deltas_received_per_write_peer"] =
            Double(after.deltasReceived - before.deltasReceived) / needed
        metrics["\(name).entries_applied_per_write_peer"] =
            Double(after.entriesApplied - before.entriesApplied) / needed
        metrics["\(name).repair_entries_applied"] = Double(after.repairEntriesApplied - before.repairEntriesApplied)
        let dropped = after.dropped.map { reason, count in (reason, count - (before.dropped[reason] ?? 0)) }
            .filter { $0.1 > 0 }.sorted { $0.0 < $1.0 }
        for (reason, count) in dropped { metrics["\(name).dropped.\(reason)"] = Double(count) }
        progress(
            "    \(name) traffic: deltas sent \(after.deltasSent - before.deltasSent), received "
                + "\(after.deltasReceived - before.deltasReceived), entries applied "
                + "\(after.entriesApplied - before.entriesApplied) (needed \(writes * receivers) if all distinct), "
                + "repairs \(after.repairsStarted - before.repairsStarted) applying "
                + "\(after.repairEntriesApplied - before.repairEntriesApplied), dropped "
                + (dropped.isEmpty ? "none" : dropped.map { "\($0.0) \($0.1)" }.joined(separator: ", ")))
    }

    private func say(_ name: String, _ metrics: [String: Double], _ keys: [String]) {
        let figures = keys.compactMap { key in
            metrics[key].map {
                "\(key.split(separator: ".").last ?? "") \(BenchReport.format($0, decimals: $0 < 100 ? 3 : 0))"
            }
        }
        progress("  \(name): \(figures.joined(separator: ", "))")
    }

    /// `mset` of the first `--burst` keys (cycling if there are fewer) in chunks of 1,000 at peer
    /// 0, timed from the first write until all peers converged.
    func burst(_ cluster: BenchClusterPeers, into metrics: inout [String: Double]) async throws {
        let keys = workloads.keyspace.keys
        let value = workloads.keyspace.value
        let peers = cluster.peers.count
        let before = await cluster.totalStatistics()
        let start = BenchClock.nanos()
        var written = 0
        while written < options.burst {
            let end = min(options.burst, written + 1_000)
            var entries: [String: JSONValue] = [:]
            entries.reserveCapacity(end - written)
            for index in written..<end { entries[keys[index % keys.count]] = value }
            try await cluster.stores[0].mset(entries)
            written = end
        }
        let acked = BenchClock.nanos()
        let converged = try await cluster.awaitConvergence("burst")
        tally(converged, into: &metrics)
        let after = await cluster.totalStatistics()
        traffic("burst", before, after, writes: options.burst, receivers: peers - 1, into: &metrics)
        metrics["burst.write_s"] = Self.seconds(acked - start)
        metrics["burst.converge_s"] = Self.seconds(converged.instant - start)
        metrics["burst.per_s"] = Double(options.burst) / Self.seconds(converged.instant - start)
        metrics["burst.bytes_per_write_peer"] =
            Double(after.bytesSent - before.bytesSent) / Double(options.burst * (peers - 1))
        say("burst \(options.burst)", metrics, ["burst.write_s", "burst.converge_s", "burst.per_s"])
        try await settle(cluster, "burst", into: &metrics)
    }

    /// `--concurrency` writers of random keys for `--duration` seconds, at peer 0 (`prefix`
    /// `one`) or each write at a random peer (`all`); replicated rate counted until convergence.
    func sustained(
        _ cluster: BenchClusterPeers, allPeers: Bool, seed: UInt64, baseline: Double,
        into metrics: inout [String: Double]
    ) async throws {
        let prefix = allPeers ? "all" : "one"
        let stores = cluster.stores
        let peers = stores.count
        let before = await cluster.totalStatistics()
        let start = BenchClock.nanos()
        let sample: BenchSample
        if allPeers {
            let (keyspace, value) = (workloads.keyspace, workloads.keyspace.value)
            sample = try await BenchDriver.run(
                concurrency: options.concurrency, durationNanos: workloads.durationNanos, seed: seed,
                expectedOps: workloads.expectedOps
            ) { random in
                let store = stores[random.next(below: stores.count)]
                try await store.set(keyspace.randomKey(&random), value)
            }
        } else {
            sample = try await workloads.set(stores[0], concurrency: options.concurrency, seed: seed)
        }
        let acked = BenchClock.nanos()
        let converged = try await cluster.awaitConvergence(
            allPeers ? "sustained writes at all peers" : "sustained writes at one peer")
        tally(converged, into: &metrics)
        let after = await cluster.totalStatistics()
        let figures = sample.figures()
        let writes = Double(sample.operations)
        let replicated = writes / Self.seconds(converged.instant - start)
        let perPeer = writes * Double(peers - 1)
        traffic(prefix, before, after, writes: sample.operations, receivers: peers - 1, into: &metrics)
        metrics["\(prefix).writes"] = writes
        metrics["\(prefix).acked_per_s"] = figures.opsPerSecond
        metrics["\(prefix).replicated_per_s"] = replicated
        if baseline > 0 { metrics["\(prefix).ratio"] = replicated / baseline }
        metrics["\(prefix).settle_s"] = Self.seconds(converged.instant - acked)
        metrics["\(prefix).ack_p50_us"] = figures.p50Micros
        metrics["\(prefix).ack_p99_us"] = figures.p99Micros
        metrics["\(prefix).bytes_per_write_peer"] = Double(after.bytesSent - before.bytesSent) / perPeer
        metrics["\(prefix).datagrams_per_write_peer"] = Double(after.datagramsSent - before.datagramsSent) / perPeer
        say(
            "sustained at \(prefix == "one" ? "one peer" : "all peers")", metrics,
            [
                "\(prefix).writes", "\(prefix).acked_per_s", "\(prefix).replicated_per_s", "\(prefix).settle_s",
                "\(prefix).bytes_per_write_peer",
            ])
        try await settle(cluster, prefix, into: &metrics)
    }

    /// `--samples` times: set one key at peer 0 to a new value and spin (yielding) on `get` at
    /// peer k (1, 2, ... N-1 in turn) until it returns that value.
    func visibility(_ cluster: BenchClusterPeers, into metrics: inout [String: Double]) async throws {
        let stores = cluster.stores
        let key = "visibility:probe"
        var latencies: [UInt64] = []
        latencies.reserveCapacity(options.samples)
        for sample in 0..<options.samples {
            let target = 1 + sample % (stores.count - 1)
            let value = JSONValue.integer(Int64(sample + 1))
            let start = BenchClock.nanos()
            try await stores[0].set(key, value)
            while try stores[target].get(key) != value {
                guard BenchClock.nanos() - start < deadlineNanos else {
                    throw BenchClusterTimeout(
                        description: "visibility sample \(sample): peer \(target) did not show the write within "
                            + "\(options.deadlineSeconds) s")
                }
                try await Task.sleep(nanoseconds: 50_000)
            }
            latencies.append(BenchClock.nanos() - start)
        }
        let sorted = latencies.sorted()
        metrics["visibility.p50_ms"] = BenchSample.percentile(sorted, 0.50) / 1_000
        metrics["visibility.p99_ms"] = BenchSample.percentile(sorted, 0.99) / 1_000
        metrics["visibility.max_ms"] = Double(sorted.last ?? 0) / 1e6
        say("visibility", metrics, ["visibility.p50_ms", "visibility.p99_ms", "visibility.max_ms"])
    }

    /// Stops peer N-1, writes `--catchup` fresh records at the other peers (one writer per
    /// peer, mset of 1,000), waits for them to converge, then restarts it from its directory on
    /// its old port and times until every digest is equal.
    func catchUp(_ cluster: inout BenchClusterPeers, into metrics: inout [String: Double]) async throws {
        let victim = cluster.peers.count - 1
        await cluster.stop(victim)
        let others = cluster.running
        let stores = others.map { cluster.stores[$0] }
        let (records, value) = (options.catchup, workloads.keyspace.value)
        let width = String(max(records - 1, 0)).count
        let writeStart = BenchClock.nanos()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (writer, store) in stores.enumerated() {
                group.addTask {
                    var chunk = writer
                    while chunk * 1_000 < records {
                        var entries: [String: JSONValue] = [:]
                        entries.reserveCapacity(1_000)
                        for index in (chunk * 1_000)..<min(records, chunk * 1_000 + 1_000) {
                            let digits = String(index)
                            entries["cu:" + String(repeating: "0", count: width - digits.count) + digits] = value
                        }
                        try await store.mset(entries)
                        chunk += stores.count
                    }
                }
            }
            try await group.waitForAll()
        }
        let written = BenchClock.nanos()
        let othersConverged = try await cluster.awaitConvergence("catch-up: the other peers")
        tally(othersConverged, into: &metrics)
        metrics["catchup.records"] = Double(records)
        metrics["catchup.write_s"] = Self.seconds(written - writeStart)
        metrics["catchup.others_s"] = Self.seconds(othersConverged.instant - written)
        say("catch-up writes", metrics, ["catchup.records", "catchup.write_s", "catchup.others_s"])
        try await settle(cluster, "catchup", into: &metrics)
        let before = await cluster.totalStatistics()
        let start = BenchClock.nanos()
        try await cluster.restart(victim)
        let converged = try await cluster.awaitConvergence("catch-up of the restarted peer")
        tally(converged, into: &metrics)
        let after = await cluster.totalStatistics()
        traffic("catchup", before, after, writes: records, receivers: 1, into: &metrics)
        metrics["catchup.s"] = Self.seconds(converged.instant - start)
        metrics["catchup.per_s"] = Double(records) / Self.seconds(converged.instant - start)
        metrics["catchup.bytes_per_record"] = Double(after.bytesSent - before.bytesSent) / Double(max(1, records))
        say("catch-up", metrics, ["catchup.s", "catchup.per_s", "catchup.bytes_per_record"])
    }
}
