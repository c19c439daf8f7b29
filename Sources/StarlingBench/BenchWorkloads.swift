import Starling
import StarlingCore

/// The measured operations, on each side: the Starling store through its public API, and the
/// raw SQLite baseline through the C API. Each returns one run's sample.
struct BenchWorkloads {
    /// The keys and value both sides use.
    let keyspace: BenchKeyspace
    /// How long each measurement runs, in nanoseconds.
    let durationNanos: UInt64
    /// How many operations to preallocate latency slots for.
    let expectedOps: Int

    // MARK: Starling

    /// Loads every key through `mset` in chunks of `chunk` (one transaction each), then sets
    /// every counter to 0. One latency per `mset` call.
    func load(_ store: Store, chunk: Int) async throws -> BenchSample {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(keyspace.keys.count / chunk + 1)
        let start = BenchClock.nanos()
        var index = 0
        while index < keyspace.keys.count {
            let end = min(keyspace.keys.count, index + chunk)
            var entries: [String: JSONValue] = [:]
            entries.reserveCapacity(end - index)
            for key in keyspace.keys[index..<end] { entries[key] = keyspace.value }
            let before = BenchClock.nanos()
            try await store.mset(entries)
            latencies.append(BenchClock.nanos() - before)
            index = end
        }
        let elapsed = BenchClock.nanos() - start
        try await store.mset(Dictionary(uniqueKeysWithValues: keyspace.counters.map { ($0, JSONValue.integer(0)) }))
        return BenchSample(operations: keyspace.keys.count, elapsedNanos: elapsed, latencies: latencies)
    }

    /// `set` of a random key to the value, from `concurrency` writers.
    func set(_ store: Store, concurrency: Int, seed: UInt64) async throws -> BenchSample {
        let (keyspace, value) = (keyspace, keyspace.value)
        return try await BenchDriver.run(
            concurrency: concurrency, durationNanos: durationNanos, seed: seed, expectedOps: expectedOps
        ) { random in
            try await store.set(keyspace.randomKey(&random), value)
        }
    }

    /// `get` of a random loaded key, from `concurrency` readers; a missing key fails the run.
    func get(_ store: Store, concurrency: Int, seed: UInt64) async throws -> BenchSample {
        let keyspace = keyspace
        return try await BenchDriver.run(
            concurrency: concurrency, durationNanos: durationNanos, seed: seed, expectedOps: expectedOps
        ) { random in
            let key = keyspace.randomKey(&random)
            guard try store.get(key) != nil else { throw BenchFailure("get: loaded key \(key) is missing") }
        }
    }

    /// `list(prefix:limit: 100)` of a random block of 100 keys, from `concurrency` readers;
    /// a short page fails the run.
    func list(_ store: Store, concurrency: Int, seed: UInt64) async throws -> BenchSample {
        let keyspace = keyspace
        return try await BenchDriver.run(
            concurrency: concurrency, durationNanos: durationNanos, seed: seed, expectedOps: expectedOps
        ) { random in
            let prefix = keyspace.blockPrefix(random.next(below: keyspace.blockCount))
            let page = try store.list(prefix: prefix, limit: 100)
            guard page.items.count == 100 else {
                throw BenchFailure("list: prefix \(prefix) returned \(page.items.count) entries, not 100")
            }
        }
    }

    /// `incr` of a random counter, from `concurrency` writers.
    func incr(_ store: Store, concurrency: Int, seed: UInt64) async throws -> BenchSample {
        let counters = keyspace.counters
        return try await BenchDriver.run(
            concurrency: concurrency, durationNanos: durationNanos, seed: seed, expectedOps: expectedOps
        ) { random in
            try await store.incr(counters[random.next(below: counters.count)])
        }
    }

    // MARK: Raw SQLite

    /// Loads every key in transactions of `chunk` rows, then sets every counter to 0. One
    /// latency per transaction.
    func rawLoad(_ raw: BenchRawSQLite, chunk: Int) throws -> BenchSample {
        var latencies: [UInt64] = []
        latencies.reserveCapacity(keyspace.keys.count / chunk + 1)
        let start = BenchClock.nanos()
        var index = 0
        while index < keyspace.keys.count {
            let end = min(keyspace.keys.count, index + chunk)
            let before = BenchClock.nanos()
            try raw.load(Array(keyspace.keys[index..<end]), value: keyspace.encodedValue, perTransaction: chunk)
            latencies.append(BenchClock.nanos() - before)
            index = end
        }
        let elapsed = BenchClock.nanos() - start
        try raw.load(keyspace.counters, value: Array("0".utf8), perTransaction: chunk)
        return BenchSample(operations: keyspace.keys.count, elapsedNanos: elapsed, latencies: latencies)
    }

    /// Upserts of random keys, `perTransaction` rows per transaction. A row's latency is its
    /// statement's, plus the commit for the row that ends a transaction; the final partial
    /// transaction's commit counts in the elapsed time.
    func rawUpsert(_ raw: BenchRawSQLite, perTransaction: Int, seed: UInt64) throws -> BenchSample {
        var random = BenchRandom(seed: seed)
        let value = keyspace.encodedValue
        if perTransaction == 1 {
            return try BenchDriver.runSynchronously(durationNanos: durationNanos, expectedOps: expectedOps) {
                try raw.upsert(keyspace.randomKey(&random), value, ownTransaction: true)
            }
        }
        var inBatch = 0
        var sample = try BenchDriver.runSynchronously(durationNanos: durationNanos, expectedOps: expectedOps) {
            if inBatch == 0 { try raw.beginBatch() }
            try raw.upsert(keyspace.randomKey(&random), value, ownTransaction: false)
            inBatch += 1
            if inBatch == perTransaction {
                try raw.commitBatch()
                inBatch = 0
            }
        }
        if inBatch > 0 {
            let before = BenchClock.nanos()
            try raw.commitBatch()
            sample.elapsedNanos += BenchClock.nanos() - before
        }
        return sample
    }

    /// Increments of random counters (read, then upsert), `perTransaction` per transaction,
    /// timed like ``rawUpsert(_:perTransaction:seed:)``.
    func rawIncrement(_ raw: BenchRawSQLite, perTransaction: Int, seed: UInt64) throws -> BenchSample {
        var random = BenchRandom(seed: seed)
        let counters = keyspace.counters
        var inBatch = 0
        var sample = try BenchDriver.runSynchronously(durationNanos: durationNanos, expectedOps: expectedOps) {
            if perTransaction > 1, inBatch == 0 { try raw.beginBatch() }
            try raw.increment(counters[random.next(below: counters.count)], ownTransaction: perTransaction == 1)
            inBatch += 1
            if perTransaction > 1, inBatch == perTransaction {
                try raw.commitBatch()
                inBatch = 0
            }
        }
        if perTransaction > 1, inBatch > 0 {
            let before = BenchClock.nanos()
            try raw.commitBatch()
            sample.elapsedNanos += BenchClock.nanos() - before
        }
        return sample
    }

    /// Prepared point reads of random loaded keys; a missing key fails the run.
    func rawGet(_ raw: BenchRawSQLite, seed: UInt64) throws -> BenchSample {
        var random = BenchRandom(seed: seed)
        return try BenchDriver.runSynchronously(durationNanos: durationNanos, expectedOps: expectedOps) {
            let key = keyspace.randomKey(&random)
            guard try raw.read(key) >= 0 else { throw BenchFailure("raw read: loaded key \(key) is missing") }
        }
    }

    /// Prepared key-ordered scans of 100 rows from a random loaded key; a short scan fails the run.
    func rawList(_ raw: BenchRawSQLite, seed: UInt64) throws -> BenchSample {
        var random = BenchRandom(seed: seed)
        let starts = keyspace.keys.count - 100
        return try BenchDriver.runSynchronously(durationNanos: durationNanos, expectedOps: expectedOps) {
            let start = keyspace.keys[random.next(below: starts)]
            let rows = try raw.scan(from: start)
            guard rows == 100 else { throw BenchFailure("raw scan: from \(start) read \(rows) rows, not 100") }
        }
    }
}
