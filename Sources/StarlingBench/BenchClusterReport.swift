import Foundation

/// One cluster size's figures: each run's and their medians, keyed by metric (see
/// ``BenchClusterReport/metrics``). A metric missing from a run was not measured.
struct BenchClusterResult: Codable, Sendable {
    /// Peers in the cluster.
    var peers: Int
    /// The median of each metric over the runs that measured it.
    var median: [String: Double]
    /// Each run's metrics, in run order.
    var runs: [[String: Double]]

    init(peers: Int, runs: [[String: Double]]) {
        self.peers = peers
        self.runs = runs
        var median: [String: Double] = [:]
        for key in Set(runs.flatMap(\.keys)) {
            median[key] = BenchFigures.medianValue(runs.compactMap { $0[key] })
        }
        self.median = median
    }
}

/// Everything one `starling-bench cluster` run measured, as printed and as `--json` emits it.
struct BenchClusterReport: Codable, Sendable {
    /// What was asked for.
    var options: BenchClusterOptions
    /// The replication settings every peer used, as text.
    var settings: String
    /// The baseline's figures: single-node `set xN` without replication, one per run.
    var baselineRuns: [BenchFigures]
    /// Their median.
    var baseline: BenchFigures
    /// One result per cluster size, in `--peers` order.
    var clusters: [BenchClusterResult]
    /// Whether the peak RSS was reset before each cluster (so it is that cluster's own peak).
    var peakRSSResetPerCluster: Bool
    /// Measurements that did not finish (a wait past `--deadline`), one line each.
    var notes: [String]
    /// Wall time of the whole benchmark, in seconds.
    var wallSeconds: Double

    /// The rows of the table: metric key, label, and decimals (nil for a section heading).
    static let metrics: [(key: String, label: String, decimals: Int?)] = [
        ("join_s", "cluster formed (every peer sees all alive), s", 2),
        ("", "sustained writes at ONE peer (random keys)", nil),
        ("one.writes", "  acknowledged writes", 0),
        ("one.acked_per_s", "  acknowledged writes/s (local ack only)", 0),
        ("one.replicated_per_s", "  REPLICATED writes/s (until all peers hold all)", 0),
        ("one.ratio", "  ratio to baseline", 3),
        ("one.settle_s", "  last ack -> all peers converged, s", 3),
        ("one.ack_p50_us", "  write ack latency p50, us", 0),
        ("one.ack_p99_us", "  write ack latency p99, us", 0),
        ("one.bytes_per_write_peer", "  wire bytes / (writes x (N-1))", 1),
        ("one.datagrams_per_write_peer", "  datagrams / (writes x (N-1))", 3),
        ("one.lag_after_settle", "  seqs still unacknowledged --settle s after converged", 0),
        ("", "sustained writes at ALL peers (random peer per write)", nil),
        ("all.writes", "  acknowledged writes", 0),
        ("all.acked_per_s", "  acknowledged writes/s (local ack only)", 0),
        ("all.replicated_per_s", "  REPLICATED writes/s (until all peers hold all)", 0),
        ("all.ratio", "  ratio to baseline", 3),
        ("all.settle_s", "  last ack -> all peers converged, s", 3),
        ("all.ack_p50_us", "  write ack latency p50, us", 0),
        ("all.ack_p99_us", "  write ack latency p99, us", 0),
        ("all.bytes_per_write_peer", "  wire bytes / (writes x (N-1))", 1),
        ("all.datagrams_per_write_peer", "  datagrams / (writes x (N-1))", 3),
        ("all.lag_after_settle", "  seqs still unacknowledged --settle s after converged", 0),
        ("", "burst: mset chunks of 1,000 at peer 0", nil),
        ("burst.write_s", "  all chunks acknowledged at peer 0, s", 3),
        ("burst.converge_s", "  first write -> all peers converged, s", 3),
        ("burst.per_s", "  converged writes/s", 0),
        ("burst.bytes_per_write_peer", "  wire bytes / (writes x (N-1))", 1),
        ("burst.lag_after_settle", "  seqs still unacknowledged --settle s after converged", 0),
        ("", "single-write visibility: set at peer 0, get at peer k", nil),
        ("visibility.p50_ms", "  p50, ms", 3),
        ("visibility.p99_ms", "  p99, ms", 3),
        ("visibility.max_ms", "  max, ms", 3),
        ("", "catch-up of peer N-1 stopped while records were written", nil),
        ("catchup.records", "  records written while it was down", 0),
        ("catchup.write_s", "  writing them at the other peers (mset 1,000), s", 2),
        ("catchup.others_s", "  then until the other peers converged, s", 2),
        ("catchup.lag_after_settle", "  seqs still unacknowledged --settle s after that", 0),
        ("catchup.s", "  restart (open + join) -> its digest equals, s", 2),
        ("catchup.per_s", "  records caught up per second", 0),
        ("catchup.bytes_per_record", "  wire bytes during catch-up / records", 1),
        ("waits.total", "convergence waits", 0),
        ("waits.acks_lagging", "  of which digests matched while acks still lagged", 0),
        ("timeouts", "waits past --deadline (rest of that cluster skipped)", 0),
        ("", "memory (all peers share one process)", nil),
        ("rss.peak_mb", "  process peak RSS (VmHWM), MB", 1),
        ("rss.peak_per_peer_mb", "  VmHWM / N, MB", 1),
    ]

    /// The human-readable report: settings, then one row per metric and one column per size.
    func table() -> String {
        var lines: [String] = []
        lines.append(
            "starling-bench cluster: peers \(options.peerCounts.map(String.init).joined(separator: ", ")) "
                + "on 127.0.0.1 UDP, all in one process; median of \(options.runs) run(s)")
        lines.append("settings: \(settings)")
        lines.append(
            "workload: \(options.concurrency) writers, \(options.valueBytes)-byte values, random keys over "
                + "\(BenchReport.format(Double(options.keys), decimals: 0)) keys, "
                + "\(BenchReport.format(options.durationSeconds, decimals: 1)) s per sustained phase; burst "
                + "\(BenchReport.format(Double(options.burst), decimals: 0)); catch-up "
                + "\(BenchReport.format(Double(options.catchup), decimals: 0)); \(options.samples) visibility samples")
        lines.append(
            "baseline (same run): set x\(options.concurrency) on ONE node, no replication, 100% keys preloaded: "
                + "\(BenchReport.format(baseline.opsPerSecond, decimals: 0)) ops/s, p50 "
                + "\(BenchReport.format(baseline.p50Micros, decimals: 0)) us, p99 "
                + "\(BenchReport.format(baseline.p99Micros, decimals: 0)) us")
        lines.append("")
        var cells: [[String]] = [["measurement"] + clusters.map { "\($0.peers) peers" }]
        for metric in Self.metrics {
            guard let decimals = metric.decimals else {
                cells.append([metric.label] + clusters.map { _ in "" })
                continue
            }
            cells.append(
                [metric.label]
                    + clusters.map { cluster in
                        cluster.median[metric.key].map { BenchReport.format($0, decimals: decimals) } ?? "-"
                    })
        }
        lines += Self.render(cells)
        lines.append("")
        lines.append("converged = equal Node.stateDigest on every peer. Polled every 20 ms; digests are compared when")
        lines.append("every peer's whole feed is acknowledged by every other (converged at that poll) or when no")
        lines.append("peer's feed head moved for 20 ms (converged by the end of the comparison), at most ~1/5 of the")
        lines.append("time. REPLICATED writes/s = acknowledged writes / (first write -> converged). Wire bytes:")
        lines.append(
            "engine.statistics.bytesSent summed over all peers (membership traffic included). '-' = not measured.")
        let reset =
            peakRSSResetPerCluster
            ? "reset before each cluster size (clear_refs), so per size" : "NOT reset: cumulative"
        lines.append("peak RSS: VmHWM of this one process holding all N peers, \(reset); / N is a rough share.")
        for note in notes { lines.append("TIMEOUT \(note)") }
        lines.append("wall time: \(BenchReport.format(wallSeconds, decimals: 1)) s")
        return lines.joined(separator: "\n")
    }

    /// Pads `cells` into columns in `BenchReport`'s style: the first column left-aligned, the
    /// others right-aligned, a rule under the header.
    static func render(_ cells: [[String]]) -> [String] {
        guard let header = cells.first else { return [] }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        var lines: [String] = []
        for (index, row) in cells.enumerated() {
            let padded = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }
            var line = padded.joined(separator: "  ")
            while line.last == " " { line.removeLast() }
            lines.append(line)
            if index == 0 { lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        }
        return lines
    }

    /// The report as pretty-printed JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
