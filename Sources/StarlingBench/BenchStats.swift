import Foundation
import StarlingCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The monotonic clock the benchmark reads around every operation: `CLOCK_MONOTONIC` in
/// nanoseconds, which is cheap enough (a vDSO call) to read twice per operation.
enum BenchClock {
    /// Nanoseconds since an arbitrary fixed point; never goes backwards.
    static func nanos() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}

/// The benchmark's key chooser: the core's seeded SplitMix64, so a run repeats with `--seed`.
typealias BenchRandom = SplitMix64

/// What one measurement of one run produced: how many operations completed in how long, and
/// each operation's latency in nanoseconds.
struct BenchSample: Sendable {
    /// Operations completed.
    var operations: Int
    /// Wall time from the first operation's start to the last one's end, in nanoseconds.
    var elapsedNanos: UInt64
    /// One latency per operation, in nanoseconds, in no particular order.
    var latencies: [UInt64]

    /// Operations per second.
    var opsPerSecond: Double {
        elapsedNanos == 0 ? 0 : Double(operations) * 1e9 / Double(elapsedNanos)
    }

    /// The figures of this run: throughput and latency percentiles (nearest rank).
    func figures() -> BenchFigures {
        let sorted = latencies.sorted()
        return BenchFigures(
            opsPerSecond: opsPerSecond,
            p50Micros: Self.percentile(sorted, 0.50),
            p99Micros: Self.percentile(sorted, 0.99))
    }

    /// The nearest-rank percentile `fraction` of `sorted` nanoseconds, in microseconds.
    static func percentile(_ sorted: [UInt64], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return Double(sorted[min(max(rank, 0), sorted.count - 1)]) / 1_000
    }
}

/// Throughput and latency of one measurement, for one run or as the median of several.
struct BenchFigures: Sendable, Codable {
    /// Operations per second.
    var opsPerSecond: Double
    /// Median latency in microseconds.
    var p50Micros: Double
    /// 99th-percentile latency in microseconds.
    var p99Micros: Double

    /// The median of each figure over `runs`, taken separately.
    static func median(of runs: [BenchFigures]) -> BenchFigures {
        BenchFigures(
            opsPerSecond: medianValue(runs.map(\.opsPerSecond)),
            p50Micros: medianValue(runs.map(\.p50Micros)),
            p99Micros: medianValue(runs.map(\.p99Micros)))
    }

    /// The median of `values` (the mean of the middle two for an even count); 0 if empty.
    static func medianValue(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

/// Drives an operation for a fixed time from one or more tasks and records every latency.
enum BenchDriver {
    /// Runs `operation` from `concurrency` tasks, each in a loop, until `durationNanos` passed.
    ///
    /// Each task owns its generator (seeded from `seed` and its index) and its latency array,
    /// preallocated for `expectedOps` operations in all. With more than one task, a task yields
    /// after each operation so that synchronous operations (reads) interleave across tasks
    /// instead of one task holding a thread for the whole measurement; the yield is not timed.
    /// - Throws: the first error `operation` throws.
    static func run(
        concurrency: Int, durationNanos: UInt64, seed: UInt64, expectedOps: Int,
        _ operation: @escaping @Sendable (inout BenchRandom) async throws -> Void
    ) async throws -> BenchSample {
        let tasks = max(1, concurrency)
        let capacity = max(1_024, expectedOps / tasks)
        let start = BenchClock.nanos()
        let deadline = start + durationNanos
        let perTask = try await withThrowingTaskGroup(of: [UInt64].self) { group in
            for index in 0..<tasks {
                group.addTask {
                    var random = BenchRandom(seed: seed &+ UInt64(index) &* 0x1000_0000_01B3)
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(capacity)
                    var now = BenchClock.nanos()
                    while now < deadline {
                        try await operation(&random)
                        let end = BenchClock.nanos()
                        latencies.append(end - now)
                        if tasks > 1 { await Task.yield() }
                        now = tasks > 1 ? BenchClock.nanos() : end
                    }
                    return latencies
                }
            }
            var all: [[UInt64]] = []
            for try await latencies in group { all.append(latencies) }
            return all
        }
        let elapsed = BenchClock.nanos() - start
        let latencies = Array(perTask.joined())
        return BenchSample(operations: latencies.count, elapsedNanos: elapsed, latencies: latencies)
    }

    /// Runs a synchronous `operation` on the calling thread until `durationNanos` passed: the
    /// raw SQLite baselines, which use one connection and no tasks.
    static func runSynchronously(
        durationNanos: UInt64, expectedOps: Int, _ operation: () throws -> Void
    ) rethrows -> BenchSample {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(max(1_024, expectedOps))
        let start = BenchClock.nanos()
        let deadline = start + durationNanos
        var now = start
        while now < deadline {
            try operation()
            let end = BenchClock.nanos()
            latencies.append(end - now)
            now = end
        }
        return BenchSample(operations: latencies.count, elapsedNanos: now - start, latencies: latencies)
    }
}

/// The process's memory high-water mark.
enum BenchMemory {
    /// Peak resident set size in bytes (`VmHWM` in `/proc/self/status`), or nil where there is
    /// no such file (not Linux).
    static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
            return kilobytes * 1_024
        }
        return nil
    }
}
