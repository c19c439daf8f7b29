import Foundation

/// One `starling-bench compare`: the phases of every run against every system, then the report.
struct CompareSession: Sendable {
    var starling: StarlingSystem?
    var etcd: EtcdSystem?
    var redis: RedisSystem?
    var valueBytes: Int
    var concurrency: [Int]
    var durationSeconds: Double
    var runs: Int
    var visibilitySamples: Int
    var convergeDeadlineSeconds: Double
    /// Scratch directory of the raw SQLite baseline.
    var directory: String
    var seed: UInt64
    /// Where progress lines go (standard error).
    var progress: @Sendable (String) -> Void

    private var durationNanos: UInt64 { UInt64(durationSeconds * 1e9) }

    /// Runs every measurement `runs` times and builds the report from the medians.
    func run() async throws -> CompareReport {
        let wallStart = BenchClock.nanos()
        // Keys carry a tag of this invocation, so repeated invocations against the same
        // clusters never rewrite an existing key.
        let tag = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        var figures = CompareFigures()
        var errors: [String: Int] = [:]
        var systems: [any CompareSystem] = []
        if let starling { systems.append(starling) }
        if let etcd { systems.append(etcd) }
        if let redis { systems.append(redis) }
        for run in 1...runs {
            // Rotate which system goes first so slow drift on a noisy machine spreads evenly.
            let order = systems.indices.map { systems[($0 + run - 1) % systems.count] }
            var starlingRows = 0
            for tasks in concurrency {
                for system in order {
                    let column = CompareColumn(rawValue: system.name) ?? .starling
                    let phase = "\(tag)-r\(run)-\(system.name)-c\(tasks)"
                    let written = try await writePhase(system, column, tasks, phase, &figures)
                    errors[system.name, default: 0] += written.errors
                    if column == .starling, starlingRows == 0 { starlingRows = written.sample.operations }
                    let read = try await CompareLoad.reads(
                        system: system, concurrency: tasks, durationNanos: durationNanos, phase: phase,
                        written: written.perTask, seed: seed &+ UInt64(run))
                    errors[system.name, default: 0] += read.errors
                    record(read, "get x\(tasks)", column, &figures)
                    progress(
                        "run \(run)/\(runs) \(system.name) x\(tasks): "
                            + "set \(Int(written.sample.opsPerSecond)) ops/s, get \(Int(read.sample.opsPerSecond)) ops/s"
                    )
                }
            }
            for system in order where system.memberCount >= 2 {
                let column = CompareColumn(rawValue: system.name) ?? .starling
                let durations = try await CompareLoad.visibility(
                    system: system, samples: visibilitySamples, phase: "\(tag)-r\(run)-\(system.name)-visible",
                    deadlineNanos: UInt64(convergeDeadlineSeconds * 1e9))
                let sorted = durations.sorted()
                figures.record("visible on member 2 p50 ms", column, BenchSample.percentile(sorted, 0.50) / 1_000)
                figures.record("visible on member 2 p99 ms", column, BenchSample.percentile(sorted, 0.99) / 1_000)
                progress(
                    "run \(run)/\(runs) \(system.name) visible on member 2: p50 "
                        + "\(BenchReport.format(BenchSample.percentile(sorted, 0.50) / 1_000, decimals: 2)) ms")
            }
            if starling != nil {
                let rows = max(10_000, starlingRows)
                let rate = try rawSQLite(rows: rows, run: run)
                figures.record("raw SQLite upsert rows/s", .starling, rate)
                progress("run \(run)/\(runs) raw SQLite: \(rows) rows at \(Int(rate)) rows/s")
            }
        }
        let first = concurrency.first ?? 16
        var goals: [CompareGoalSpec] = []
        for tasks in concurrency {
            goals.append(
                CompareGoalSpec(
                    name: "starling set x\(tasks) converged / etcd set x\(tasks)",
                    numerator: ("set x\(tasks) converged ops/s", .starling),
                    denominator: ("set x\(tasks) ops/s", .etcd), target: 10))
        }
        goals.append(
            CompareGoalSpec(
                name: "starling set x\(first) converged / raw SQLite upserts of as many rows",
                numerator: ("set x\(first) converged ops/s", .starling),
                denominator: ("raw SQLite upsert rows/s", .starling), target: 0.5))
        return CompareReport(
            figures: figures, goals: goals, valueBytes: valueBytes, runs: runs, durationSeconds: durationSeconds,
            concurrency: concurrency, starlingPeers: starling?.memberCount ?? 0, etcdMembers: etcd?.memberCount ?? 0,
            redis: redis != nil, errors: errors,
            wallSeconds: Double(BenchClock.nanos() - wallStart) / 1e9)
    }

    /// One write phase; for Starling also the wait until every peer holds every written key.
    private func writePhase(
        _ system: any CompareSystem, _ column: CompareColumn, _ concurrency: Int, _ phase: String,
        _ figures: inout CompareFigures
    ) async throws -> ComparePhase {
        guard column == .starling, let starling else {
            let written = try await CompareLoad.writes(
                system: system, concurrency: concurrency, durationNanos: durationNanos, phase: phase, seed: seed)
            record(written, "set x\(concurrency)", column, &figures)
            if column == .etcd {
                // etcd acknowledges a put once a majority committed it: its converged rate is its rate.
                figures.record("set x\(concurrency) converged ops/s", .etcd, written.sample.opsPerSecond)
            }
            return written
        }
        let probe = try await starling.statsProbe()
        do {
            let before = try await probe.activeKeys()
            let written = try await CompareLoad.writes(
                system: system, concurrency: concurrency, durationNanos: durationNanos, phase: phase, seed: seed)
            record(written, "set x\(concurrency)", column, &figures)
            let convergence = try await awaitConvergence(probe, before: before, added: written.sample.operations)
            let total = Double(written.sample.elapsedNanos + convergence)
            figures.record(
                "set x\(concurrency) converged ops/s", .starling, Double(written.sample.operations) * 1e9 / total)
            figures.record("convergence after set x\(concurrency) ms", .starling, Double(convergence) / 1e6)
            await probe.close()
            return written
        } catch {
            await probe.close()
            throw error
        }
    }

    private func record(_ phase: ComparePhase, _ name: String, _ column: CompareColumn, _ figures: inout CompareFigures)
    {
        let measured = phase.sample.figures()
        figures.record("\(name) ops/s", column, measured.opsPerSecond)
        figures.record("\(name) p50 ms", column, measured.p50Micros / 1_000)
        figures.record("\(name) p99 ms", column, measured.p99Micros / 1_000)
    }

    /// Polls every peer's `active_keys` until each holds `added` more keys than `before`.
    /// - Returns: nanoseconds from the call (the end of the write phase) until then.
    private func awaitConvergence(_ probe: StarlingSystem.StatsProbe, before: [Int], added: Int) async throws -> UInt64
    {
        let start = BenchClock.nanos()
        let deadline = start + UInt64(convergeDeadlineSeconds * 1e9)
        while true {
            let now = try await probe.activeKeys()
            if zip(now, before).allSatisfy({ $0 >= $1 + added }) { return BenchClock.nanos() - start }
            guard BenchClock.nanos() < deadline else {
                let missing = zip(now, before).map { max(0, $1 + added - $0) }
                throw BenchFailure(
                    "starling peers did not converge within \(convergeDeadlineSeconds) s after \(added) writes; "
                        + "keys missing per peer: \(missing)")
            }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    /// Upserts `rows` new keys into a fresh raw SQLite database, 1,000 per transaction.
    /// - Returns: rows per second.
    private func rawSQLite(rows: Int, run: Int) throws -> Double {
        let path = directory + "/raw-\(run).sqlite"
        let database = try BenchRawSQLite(path: path, fullSync: false)
        defer { database.close() }
        let keys = (0..<rows).map { "raw-t\($0 % 16)-\($0)" }
        let value = Array("\"\(String(repeating: "x", count: valueBytes - 2))\"".utf8)
        let start = BenchClock.nanos()
        try database.load(keys, value: value, perTransaction: 1_000)
        return Double(rows) * 1e9 / Double(BenchClock.nanos() - start)
    }
}
