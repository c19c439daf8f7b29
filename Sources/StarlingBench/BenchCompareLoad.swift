import StarlingCore

/// What one timed phase against one system produced.
struct ComparePhase: Sendable {
    /// Successful operations, their wall time and latencies.
    var sample: BenchSample
    /// Successful operations per task, in task order: task `t` wrote keys `0..<perTask[t]`.
    var perTask: [Int]
    /// Operations the system refused or answered unexpectedly (a read of a key it should hold).
    var errors: Int
}

/// The load generator shared by every system: N tasks, each with its own client, each in a
/// loop awaiting one operation at a time until the phase's deadline.
enum CompareLoad {
    /// Runs `operation(client, task, iteration, random)` from `clients.count` tasks until
    /// `durationNanos` passed, recording the latency of every successful operation.
    /// - Throws: the first transport error an operation throws.
    static func run(
        clients: [any CompareClient], durationNanos: UInt64, seed: UInt64,
        _ operation: @escaping @Sendable (any CompareClient, Int, Int, inout BenchRandom) async throws -> Bool
    ) async throws -> ComparePhase {
        let start = BenchClock.nanos()
        let deadline = start + durationNanos
        let results = try await withThrowingTaskGroup(of: (Int, [UInt64], Int).self) { group in
            for (task, client) in clients.enumerated() {
                group.addTask {
                    var random = BenchRandom(seed: seed &+ UInt64(task) &* 0x1000_0000_01B3)
                    var latencies: [UInt64] = []
                    latencies.reserveCapacity(16_384)
                    var errors = 0
                    var iteration = 0
                    var now = BenchClock.nanos()
                    while now < deadline {
                        let succeeded = try await operation(client, task, iteration, &random)
                        let end = BenchClock.nanos()
                        if succeeded {
                            latencies.append(end - now)
                            iteration += 1
                        } else {
                            errors += 1
                        }
                        now = end
                    }
                    return (task, latencies, errors)
                }
            }
            var all: [(Int, [UInt64], Int)] = []
            for try await result in group { all.append(result) }
            return all.sorted { $0.0 < $1.0 }
        }
        let elapsed = BenchClock.nanos() - start
        let latencies = Array(results.map(\.1).joined())
        return ComparePhase(
            sample: BenchSample(operations: latencies.count, elapsedNanos: elapsed, latencies: latencies),
            perTask: results.map(\.1.count), errors: results.map(\.2).reduce(0, +))
    }

    /// The key task `task` writes in its `iteration`-th successful write of phase `phase`.
    static func key(phase: String, task: Int, iteration: Int) -> String {
        "\(phase)-t\(task)-\(iteration)"
    }

    /// Writes with one client per task, spread over the members round-robin, each task writing
    /// keys of its own (so every acknowledged write is a new key).
    static func writes(
        system: any CompareSystem, concurrency: Int, durationNanos: UInt64, phase: String, seed: UInt64
    ) async throws -> ComparePhase {
        try await withClients(system, concurrency) { clients in
            try await run(clients: clients, durationNanos: durationNanos, seed: seed) { client, task, iteration, _ in
                try await client.set(key(phase: phase, task: task, iteration: iteration))
            }
        }
    }

    /// Point reads of random keys written by `written` (the write phase `phase`), from one
    /// client per task spread over the members; a key not found counts as an error.
    static func reads(
        system: any CompareSystem, concurrency: Int, durationNanos: UInt64, phase: String, written: [Int], seed: UInt64
    ) async throws -> ComparePhase {
        let writers = written.indices.filter { written[$0] > 0 }
        guard !writers.isEmpty else {
            throw BenchFailure("\(system.name): the write phase \(phase) wrote nothing to read")
        }
        return try await withClients(system, concurrency) { clients in
            try await run(clients: clients, durationNanos: durationNanos, seed: seed) { client, _, _, random in
                let writer = writers[Int(random.next() % UInt64(writers.count))]
                let iteration = Int(random.next() % UInt64(written[writer]))
                return try await client.get(key(phase: phase, task: writer, iteration: iteration))
            }
        }
    }

    /// Runs `body` with `count` clients of `system`, client `t` talking to member
    /// `t % memberCount`, and closes them afterwards, also when `body` throws.
    private static func withClients<T>(
        _ system: any CompareSystem, _ count: Int, _ body: ([any CompareClient]) async throws -> T
    ) async throws -> T {
        var clients: [any CompareClient] = []
        do {
            for task in 0..<count { clients.append(try await system.client(member: task % system.memberCount)) }
            let result = try await body(clients)
            for client in clients { await client.close() }
            return result
        } catch {
            for client in clients { await client.close() }
            throw error
        }
    }

    /// The time from sending a write of a fresh key to member 0 until member 1 finds it,
    /// polling member 1 without pause after the write is acknowledged, `samples` times.
    /// - Returns: one duration per sample, in nanoseconds.
    /// - Throws: ``BenchFailure`` if a key is not readable within `deadlineNanos`.
    static func visibility(
        system: any CompareSystem, samples: Int, phase: String, deadlineNanos: UInt64
    ) async throws -> [UInt64] {
        guard system.memberCount >= 2 else { throw BenchFailure("\(system.name): visibility needs two members") }
        let writer = try await system.client(member: 0)
        let reader: any CompareClient
        do {
            reader = try await system.client(member: 1)
        } catch {
            await writer.close()
            throw error
        }
        do {
            let durations = try await visibilitySamples(
                system: system, writer: writer, reader: reader, samples: samples, phase: phase,
                deadlineNanos: deadlineNanos)
            await writer.close()
            await reader.close()
            return durations
        } catch {
            await writer.close()
            await reader.close()
            throw error
        }
    }

    private static func visibilitySamples(
        system: any CompareSystem, writer: any CompareClient, reader: any CompareClient, samples: Int, phase: String,
        deadlineNanos: UInt64
    ) async throws -> [UInt64] {
        var durations: [UInt64] = []
        for sample in 0..<samples {
            let key = "\(phase)-v\(sample)"
            let start = BenchClock.nanos()
            guard try await writer.set(key) else {
                throw BenchFailure("\(system.name): the write of \(key) was refused")
            }
            while try await !reader.get(key) {
                guard BenchClock.nanos() - start < deadlineNanos else {
                    throw BenchFailure(
                        "\(system.name): \(key) written on member 1 was not readable on member 2 in time")
                }
            }
            durations.append(BenchClock.nanos() - start)
        }
        return durations
    }
}
