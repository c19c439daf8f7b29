import Foundation

/// One line of the report: a measurement's median figures over the runs and, for a Starling
/// measurement, the raw SQLite baseline it is compared with.
struct BenchRow: Codable, Sendable {
    /// What was measured, such as `set x16`.
    var name: String
    /// The median of each figure over the runs.
    var median: BenchFigures
    /// Each run's figures, in run order.
    var runs: [BenchFigures]
    /// The baseline row's name, or nil for a baseline itself.
    var baseline: String?
    /// The baseline's median operations per second.
    var baselineOpsPerSecond: Double?
    /// `median.opsPerSecond / baselineOpsPerSecond`.
    var ratio: Double?
    /// The ratio this measurement should reach, if it has a target.
    var target: Double?
    /// Whether `ratio >= target`, if there is a target.
    var meetsTarget: Bool?
}

/// Everything one `starling-bench local` run measured, as printed and as `--json` emits it.
struct BenchReport: Codable, Sendable {
    /// The keys loaded before measuring.
    var keys: Int
    /// The encoded size of every value, in bytes.
    var valueBytes: Int
    /// Runs per measurement; rows report the median.
    var runs: Int
    /// Seconds each measurement ran, per run.
    var durationSeconds: Double
    /// The concurrent writers or readers of the concurrent rows.
    var concurrency: Int
    /// `process` (`synchronous = NORMAL`) or `power` (`synchronous = FULL`), on both sides.
    var durability: String
    /// The SQLite library version both sides use.
    var sqliteVersion: String
    /// The measurements, baselines first within each group.
    var rows: [BenchRow]
    /// The process's peak resident set size (`VmHWM`), or nil where unknown.
    var peakRSSBytes: Int?
    /// Wall time of the whole benchmark, in seconds.
    var wallSeconds: Double

    /// The human-readable table: one row per measurement, then peak RSS.
    func table() -> String {
        var lines: [String] = []
        lines.append(
            "starling-bench local: \(keys) keys, \(valueBytes)-byte values, median of \(runs) run(s) x "
                + "\(Self.format(durationSeconds, decimals: 1)) s, durability \(durability), SQLite \(sqliteVersion)")
        lines.append("raw baselines use one SQLite connection through the C API, same schema and pragmas")
        lines.append("")
        let header = ["measurement", "ops/s", "p50 us", "p99 us", "baseline", "baseline ops/s", "ratio", "target"]
        var cells: [[String]] = [header]
        for row in rows {
            let target = row.target.map { target in
                let verdict = row.meetsTarget.map { $0 ? "ok" : "MISS" } ?? "(no baseline)"
                return ">= \(Self.format(target, decimals: 2)) \(verdict)"
            }
            cells.append([
                row.name,
                Self.format(row.median.opsPerSecond, decimals: 0),
                Self.format(row.median.p50Micros, decimals: 1),
                Self.format(row.median.p99Micros, decimals: 1),
                row.baseline ?? "-",
                row.baselineOpsPerSecond.map { Self.format($0, decimals: 0) } ?? "-",
                row.ratio.map { Self.format($0, decimals: 2) } ?? "-",
                target ?? "",
            ])
        }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        for (index, row) in cells.enumerated() {
            let padded = row.enumerated().map { column, cell in
                // Text columns align left, figures right.
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return [0, 4, 7].contains(column) ? cell + pad : pad + cell
            }
            lines.append(padded.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            if index == 0 { lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        }
        lines.append("")
        lines.append("load rows: latency per call of 1,000 keys. raw 1000/txn rows: latency per row, a commit")
        lines.append("charged to the row that ends its transaction. xN rows: N tasks, each awaiting its own call.")
        let peak = peakRSSBytes.map { Self.format(Double($0) / 1_048_576, decimals: 1) + " MB" } ?? "unknown"
        lines.append("peak RSS: \(peak) (VmHWM of this process: both databases and the benchmark's own key array)")
        lines.append("wall time: \(Self.format(wallSeconds, decimals: 1)) s")
        return lines.joined(separator: "\n")
    }

    /// The report as pretty-printed JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// `value` with `decimals` digits after the point and thousands separators for whole numbers.
    static func format(_ value: Double, decimals: Int) -> String {
        guard decimals == 0 else { return String(format: "%.\(decimals)f", value) }
        let digits = String(Int(value.rounded()))
        var grouped = ""
        for (offset, character) in digits.enumerated() {
            if offset > 0, (digits.count - offset) % 3 == 0, character != "-" { grouped.append(",") }
            grouped.append(character)
        }
        return grouped
    }
}
