import Foundation

/// The systems a comparison measures, in column order.
enum CompareColumn: String, Codable, Sendable, CaseIterable {
    case starling, etcd, redis
}

/// Every figure of every run, by measurement and system, in the order first recorded.
struct CompareFigures: Sendable {
    private(set) var names: [String] = []
    private(set) var values: [String: [CompareColumn: [Double]]] = [:]

    /// Records one run's `value` of `name` for `column`.
    mutating func record(_ name: String, _ column: CompareColumn, _ value: Double) {
        if values[name] == nil {
            names.append(name)
            values[name] = [:]
        }
        values[name, default: [:]][column, default: []].append(value)
    }

    /// The median over the runs of `name` for `column`, or nil if it was never measured.
    func median(_ name: String, _ column: CompareColumn) -> Double? {
        guard let runs = values[name]?[column], !runs.isEmpty else { return nil }
        return BenchFigures.medianValue(runs)
    }
}

/// One line of the comparison: a measurement's median per system and Starling's ratios.
struct CompareRow: Codable, Sendable {
    /// What was measured, such as `set x16 ops/s`.
    var name: String
    /// Median per system; absent where the system was not measured.
    var starling: Double?
    var etcd: Double?
    var redis: Double?
    /// Each run's figure per system, in run order.
    var runs: [String: [Double]]

    /// `starling / etcd`, where both exist and etcd is not zero.
    var versusEtcd: Double? { Self.ratio(starling, etcd) }
    /// `starling / redis`, where both exist and redis is not zero.
    var versusRedis: Double? { Self.ratio(starling, redis) }

    static func ratio(_ top: Double?, _ bottom: Double?) -> Double? {
        guard let top, let bottom, bottom != 0 else { return nil }
        return top / bottom
    }
}

/// A goal to check: the median of one measurement over another's, at least `target`.
struct CompareGoalSpec: Sendable {
    var name: String
    var numerator: (measurement: String, column: CompareColumn)
    var denominator: (measurement: String, column: CompareColumn)
    var target: Double
}

/// A goal of issue 5 and whether the medians meet it.
struct CompareGoal: Codable, Sendable {
    /// The goal in words.
    var name: String
    /// The measured ratio.
    var ratio: Double?
    /// The ratio to reach.
    var target: Double
    /// Whether `ratio >= target`; nil when a side was not measured.
    var met: Bool? { ratio.map { $0 >= target } }
}

/// Everything one `starling-bench compare` measured, as printed and as `--json` emits it.
struct CompareReport: Codable, Sendable {
    var valueBytes: Int
    var runs: Int
    var durationSeconds: Double
    var concurrency: [Int]
    var starlingPeers: Int
    var etcdMembers: Int
    var redis: Bool
    var rows: [CompareRow]
    var goals: [CompareGoal]
    /// Operations refused or answered unexpectedly, per system, over all runs.
    var errors: [String: Int]
    var wallSeconds: Double

    /// The rows and goals from the recorded figures.
    init(
        figures: CompareFigures, goals: [CompareGoalSpec],
        valueBytes: Int, runs: Int, durationSeconds: Double, concurrency: [Int], starlingPeers: Int,
        etcdMembers: Int, redis: Bool, errors: [String: Int], wallSeconds: Double
    ) {
        self.valueBytes = valueBytes
        self.runs = runs
        self.durationSeconds = durationSeconds
        self.concurrency = concurrency
        self.starlingPeers = starlingPeers
        self.etcdMembers = etcdMembers
        self.redis = redis
        self.errors = errors
        self.wallSeconds = wallSeconds
        rows = figures.names.map { name in
            var runs: [String: [Double]] = [:]
            for column in CompareColumn.allCases { runs[column.rawValue] = figures.values[name]?[column] }
            return CompareRow(
                name: name, starling: figures.median(name, .starling), etcd: figures.median(name, .etcd),
                redis: figures.median(name, .redis), runs: runs)
        }
        self.goals = goals.map { goal in
            CompareGoal(
                name: goal.name,
                ratio: CompareRow.ratio(
                    figures.median(goal.numerator.measurement, goal.numerator.column),
                    figures.median(goal.denominator.measurement, goal.denominator.column)),
                target: goal.target)
        }
    }

    /// The human-readable table, then the goals.
    func table() -> String {
        var lines: [String] = []
        let concurrencyText = concurrency.map(String.init).joined(separator: " and ")
        lines.append(
            "starling-bench compare: \(valueBytes)-byte values, \(concurrencyText) concurrent clients, median of "
                + "\(runs) run(s) x \(BenchReport.format(durationSeconds, decimals: 1)) s per phase")
        lines.append(
            "starling: \(starlingPeers) peers over HTTP; etcd: \(etcdMembers) members over the v3 JSON gateway; "
                + "redis: \(redis ? "1 server over RESP" : "not measured"); clients spread round-robin over members")
        lines.append("")
        let header = ["measurement", "starling", "etcd", "redis", "starling/etcd", "starling/redis"]
        var cells: [[String]] = [header]
        for row in rows {
            let decimals = row.name.hasSuffix("ops/s") || row.name.hasSuffix("rows/s") ? 0 : 2
            cells.append([
                row.name,
                row.starling.map { BenchReport.format($0, decimals: decimals) } ?? "-",
                row.etcd.map { BenchReport.format($0, decimals: decimals) } ?? "-",
                row.redis.map { BenchReport.format($0, decimals: decimals) } ?? "-",
                row.versusEtcd.map { BenchReport.format($0, decimals: 2) } ?? "-",
                row.versusRedis.map { BenchReport.format($0, decimals: 2) } ?? "-",
            ])
        }
        let widths = header.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        for (index, row) in cells.enumerated() {
            let padded = row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return column == 0 ? cell + pad : pad + cell
            }
            lines.append(padded.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            if index == 0 { lines.append(String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))) }
        }
        lines.append("")
        lines.append("goals:")
        for goal in goals {
            let verdict = goal.met.map { $0 ? "ok" : "MISS" } ?? "not measured"
            let ratio = goal.ratio.map { BenchReport.format($0, decimals: 2) } ?? "-"
            lines.append(
                "  \(goal.name): \(ratio) (target >= \(BenchReport.format(goal.target, decimals: 2))) \(verdict)")
        }
        lines.append("")
        lines.append("set: a new key per write. converged: Starling's acknowledged writes divided by the write phase")
        lines.append("plus the time until every peer's active_keys held them all (etcd: its acknowledged rate).")
        lines.append(
            "get: random keys of the write phase; etcd reads are serializable (member-local, like Starling's).")
        lines.append("visible: write a new key via member 1, poll member 2 until found; from sending the write.")
        lines.append("raw SQLite: the same number of row upserts as Starling's set phase, 1,000 rows per transaction,")
        lines.append("one connection, Starling's schema and pragmas (starling-bench local's baseline).")
        let errorText = errors.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        lines.append("refused or unexpected answers: \(errorText.isEmpty ? "none" : errorText)")
        lines.append("wall time: \(BenchReport.format(wallSeconds, decimals: 1)) s")
        return lines.joined(separator: "\n")
    }

    /// The report as pretty-printed JSON with sorted keys.
    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}
