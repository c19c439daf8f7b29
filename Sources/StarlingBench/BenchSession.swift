import CStarlingSQLite
import Foundation
import Logging
import Starling

/// One `starling-bench local` session: opens both databases in a work directory, loads them,
/// runs every measurement `runs` times (baseline and Starling interleaved within each run, so
/// drift affects both alike) and builds the report from the medians.
struct BenchSession {
    /// A row of the report: its name, the baseline row it is compared with, and its target ratio.
    struct Spec {
        var name: String
        var baseline: String?
        var target: Double?
    }

    /// The rows, in report order. Every measured name appears here exactly once.
    static func specs(concurrency n: Int) -> [Spec] {
        [
            Spec(name: "raw load 1000/txn"),
            Spec(name: "load mset 1000", baseline: "raw load 1000/txn"),
            Spec(name: "raw upsert 1/txn"),
            Spec(name: "raw upsert 1000/txn"),
            Spec(name: "set x1", baseline: "raw upsert 1/txn"),
            Spec(name: "set x\(n)", baseline: "raw upsert 1000/txn", target: 0.5),
            Spec(name: "raw incr 1/txn"),
            Spec(name: "raw incr 1000/txn"),
            Spec(name: "incr x1", baseline: "raw incr 1/txn"),
            Spec(name: "incr x\(n)", baseline: "raw incr 1000/txn"),
            Spec(name: "raw point read"),
            Spec(name: "get x1", baseline: "raw point read", target: 0.5),
            Spec(name: "get x\(n)", baseline: "raw point read"),
            Spec(name: "raw list 100"),
            Spec(name: "list x1", baseline: "raw list 100"),
            Spec(name: "list x\(n)", baseline: "raw list 100"),
        ]
    }

    let directory: String
    let keys: Int
    let valueBytes: Int
    let runs: Int
    let durationSeconds: Double
    let concurrency: Int
    let durability: Node.Settings.Storage.Durability
    let seed: UInt64
    /// Only the measurements whose name contains one of these, and their baselines; all if
    /// empty. Loading always runs.
    let only: [String]
    /// Where progress lines go (standard error), so standard output holds only the report.
    let progress: @Sendable (String) -> Void

    /// Runs the session.
    /// - Throws: ``BenchFailure`` or `StoreError` from either side; the databases are closed.
    func run() async throws -> BenchReport {
        let wallStart = BenchClock.nanos()
        progress("generating \(keys) keys in \(directory)")
        let keyspace = BenchKeyspace(count: keys, counterCount: min(1_000, keys), valueBytes: valueBytes)
        let workloads = BenchWorkloads(
            keyspace: keyspace, durationNanos: UInt64(durationSeconds * 1e9),
            expectedOps: Int(durationSeconds * 300_000))
        let raw = try BenchRawSQLite(path: directory + "/raw.sqlite", fullSync: durability == .power)
        defer { raw.close() }
        var settings = Node.Settings()
        settings.storage.durability = durability
        var logger = Logger(label: "starling") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let node = try Node.open(directory: directory + "/starling", settings: settings, logger: logger)
        do {
            let figures = try await measure(raw: raw, store: try node.store("default"), workloads: workloads)
            await node.close()
            return report(figures, wallNanos: BenchClock.nanos() - wallStart)
        } catch {
            await node.close()
            throw error
        }
    }

    private func measure(raw: BenchRawSQLite, store: Store, workloads: BenchWorkloads) async throws
        -> [String: [BenchFigures]]
    {
        var figures: [String: [BenchFigures]] = [:]
        func record(_ name: String, _ sample: BenchSample) {
            let result = sample.figures()
            figures[name, default: []].append(result)
            progress(
                "  \(name): \(BenchReport.format(result.opsPerSecond, decimals: 0)) ops/s, "
                    + "p50 \(BenchReport.format(result.p50Micros, decimals: 1)) us, "
                    + "p99 \(BenchReport.format(result.p99Micros, decimals: 1)) us")
        }
        progress("loading \(keys) keys on each side")
        record("raw load 1000/txn", try workloads.rawLoad(raw, chunk: 1_000))
        record("load mset 1000", try await workloads.load(store, chunk: 1_000))
        let n = concurrency
        let steps: [(name: String, measure: (UInt64) async throws -> BenchSample)] = [
            ("raw upsert 1000/txn", { try workloads.rawUpsert(raw, perTransaction: 1_000, seed: $0) }),
            ("raw upsert 1/txn", { try workloads.rawUpsert(raw, perTransaction: 1, seed: $0) }),
            ("set x1", { try await workloads.set(store, concurrency: 1, seed: $0) }),
            ("set x\(n)", { try await workloads.set(store, concurrency: n, seed: $0) }),
            ("raw incr 1000/txn", { try workloads.rawIncrement(raw, perTransaction: 1_000, seed: $0) }),
            ("raw incr 1/txn", { try workloads.rawIncrement(raw, perTransaction: 1, seed: $0) }),
            ("incr x1", { try await workloads.incr(store, concurrency: 1, seed: $0) }),
            ("incr x\(n)", { try await workloads.incr(store, concurrency: n, seed: $0) }),
            ("raw point read", { try workloads.rawGet(raw, seed: $0) }),
            ("get x1", { try await workloads.get(store, concurrency: 1, seed: $0) }),
            ("get x\(n)", { try await workloads.get(store, concurrency: n, seed: $0) }),
            ("raw list 100", { try workloads.rawList(raw, seed: $0) }),
            ("list x1", { try await workloads.list(store, concurrency: 1, seed: $0) }),
            ("list x\(n)", { try await workloads.list(store, concurrency: n, seed: $0) }),
        ]
        let selected = selectedNames()
        for run in 0..<runs {
            progress("run \(run + 1) of \(runs)")
            for (index, step) in steps.enumerated() where selected.contains(step.name) {
                record(step.name, try await step.measure(seed &+ UInt64(run * 1_000 + index)))
            }
        }
        return figures
    }

    /// The measurements `only` selects, with the baselines they are compared with.
    private func selectedNames() -> Set<String> {
        let specs = Self.specs(concurrency: concurrency)
        let chosen = specs.filter { spec in only.isEmpty || only.contains(where: spec.name.contains) }
        return Set(chosen.map(\.name) + chosen.compactMap(\.baseline))
    }

    private func report(_ figures: [String: [BenchFigures]], wallNanos: UInt64) -> BenchReport {
        let medians = figures.mapValues(BenchFigures.median(of:))
        let rows = Self.specs(concurrency: concurrency).compactMap { spec -> BenchRow? in
            guard let median = medians[spec.name] else { return nil }
            let base = spec.baseline.flatMap { medians[$0]?.opsPerSecond }
            let ratio = base.flatMap { $0 > 0 ? median.opsPerSecond / $0 : nil }
            return BenchRow(
                name: spec.name, median: median, runs: figures[spec.name] ?? [], baseline: spec.baseline,
                baselineOpsPerSecond: base, ratio: ratio, target: spec.target,
                meetsTarget: spec.target.flatMap { target in ratio.map { $0 >= target } })
        }
        return BenchReport(
            keys: keys, valueBytes: valueBytes, runs: runs, durationSeconds: durationSeconds,
            concurrency: concurrency, durability: durability.rawValue,
            sqliteVersion: String(cString: sqlite3_libversion()), rows: rows,
            peakRSSBytes: BenchMemory.peakResidentBytes(), wallSeconds: Double(wallNanos) / 1e9)
    }
}
