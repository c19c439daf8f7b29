import Dispatch
import Foundation
import StarlingCore

/// The one writer of a database: it runs write requests on its own thread and groups
/// every request that arrives while a transaction is open into the next transaction
/// (group commit). A request's caller resumes only after the transaction holding it
/// committed: acknowledged means durable.
///
/// Each batch stamps, sequences and applies its requests in order, persists the clock, and
/// commits once. A storage failure rolls the whole batch back and fails every request in it
/// with `UNAVAILABLE`; a request's own validation failure fails only that request.
final class GroupCommitWriter: @unchecked Sendable {
    // @unchecked: `connection` and `state` are touched only on `queue`; `pending` only under `lock`.
    private let connection: SQLiteConnection
    private var state: WriterState
    private let wallClock: any WallClock
    private let maxBatch: Int
    private let queue = DispatchQueue(label: "starling.writer")
    private let lock = NSLock()
    private var pending: [Job] = []
    private var draining = false
    private var closed = false
    private let committedSeq = ManagedCounter()

    /// A queued request: runs inside the transaction and returns what to do once the
    /// transaction's fate is known.
    private struct Job {
        let run: (inout WriteContext) -> (Result<Void, StoreError>) -> Void
        /// Fails the request without running it (the node closed, or its batch failed first).
        let fail: (StoreError) -> Void
    }

    init(connection: SQLiteConnection, state: WriterState, wallClock: any WallClock, maxBatch: Int) {
        self.connection = connection
        self.state = state
        self.wallClock = wallClock
        self.maxBatch = max(1, maxBatch)
        committedSeq.value = state.nextSeq - 1
    }

    /// The highest sequence number committed so far.
    var lastCommittedSeq: Int64 { committedSeq.value }

    /// Runs `body` in the next transaction and returns its result after the commit.
    /// - Throws: what `body` throws (nothing is written), or `UNAVAILABLE` if storage failed
    ///   (nothing of the batch is written).
    func write<T: Sendable>(_ body: @escaping @Sendable (inout WriteContext) throws(StoreError) -> T)
        async throws(StoreError) -> T
    {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            let job = Job(
                run: { context in
                    let staged = context.staged.count
                    do throws(StoreError) {
                        let value = try body(&context)
                        return { outcome in continuation.resume(returning: outcome.map { value }) }
                    } catch {
                        context.staged.removeSubrange(staged...)
                        return { _ in continuation.resume(returning: .failure(error)) }
                    }
                },
                fail: { error in continuation.resume(returning: .failure(error)) })
            enqueue(job)
        }
        return try result.get()
    }

    /// Stops accepting requests after the queued ones, waits for them, and closes the connection.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            closed = true
            lock.unlock()
            queue.async {
                self.connection.close()
                continuation.resume()
            }
        }
    }

    private func enqueue(_ job: Job) {
        lock.lock()
        if closed {
            lock.unlock()
            job.fail(.invalid("the node is closed"))
            return
        }
        pending.append(job)
        let start = !draining
        draining = true
        lock.unlock()
        if start { queue.async { self.drain() } }
    }

    private func drain() {
        while true {
            lock.lock()
            if pending.isEmpty {
                draining = false
                lock.unlock()
                return
            }
            let count = min(pending.count, maxBatch)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            lock.unlock()
            runBatch(batch)
        }
    }

    private func runBatch(_ batch: [Job]) {
        let snapshot = state
        var context = WriteContext(connection: connection, state: state, wallClock: wallClock)
        var completions: [(Result<Void, StoreError>) -> Void] = []
        completions.reserveCapacity(batch.count)
        do throws(SQLiteError) {
            try connection.execute("BEGIN IMMEDIATE")
            for job in batch {
                let before = context.staged.count
                completions.append(job.run(&context))
                if let failure = context.storageFailure { throw failure }
                try applyStaged(&context, from: before)
            }
            let persist = try connection.statement("INSERT OR REPLACE INTO meta (name, value) VALUES ('last_hlc', ?1)")
            persist.bind(1, context.state.clock.last.rawValue)
            try persist.run()
            try connection.execute("COMMIT")
            state = context.state
            committedSeq.value = state.nextSeq - 1
            for completion in completions { completion(.success(())) }
        } catch {
            try? connection.execute("ROLLBACK")
            // Keep the clock: stamps it issued must never be issued again.
            state = snapshot
            state.clock.advance(to: context.state.clock.last)
            let failure = StoreError(error, while: "committing a write")
            for completion in completions { completion(.failure(failure)) }
            for job in batch.dropFirst(completions.count) { job.fail(failure) }
        }
    }

    /// Writes the changes a request staged, each with the next sequence number.
    private func applyStaged(_ context: inout WriteContext, from start: Int) throws(SQLiteError) {
        for change in context.staged[start...] {
            switch change {
            case .upsert(let store, let key, let register):
                let statement = try connection.statement(
                    """
                    INSERT INTO entries (store, key, \(EntryRow.registerColumns), seq)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                    ON CONFLICT (store, key) DO UPDATE SET hlc = excluded.hlc, origin = excluded.origin,
                        value = excluded.value, expires_at = excluded.expires_at,
                        counters = excluded.counters, seq = excluded.seq
                    """)
                statement.bind(1, store.rawValue)
                statement.bind(2, blob: key)
                EntryRow.bind(register, to: statement, startingAt: 3)
                statement.bind(8, context.state.nextSeq)
                try statement.run()
                context.state.nextSeq += 1
                if key.isEmpty { context.state.clearStamps[store] = register.stamp }
            case .deleteCleared(let store, let stamp):
                try deleteCleared(store, before: stamp)
            }
        }
    }
}

extension GroupCommitWriter {
    /// Deletes every register of `store` whose base is older than `stamp`. Origins are unsigned
    /// but SQLite integers are signed, so ties on the timestamp are compared here, not in SQL.
    private func deleteCleared(_ store: StoreID, before stamp: Stamp) throws(SQLiteError) {
        let older = try connection.statement("DELETE FROM entries WHERE store = ?1 AND key <> x'' AND hlc < ?2")
        older.bind(1, store.rawValue)
        older.bind(2, stamp.hlc.rawValue)
        try older.run()
        let ties = try connection.statement(
            "SELECT key, origin FROM entries WHERE store = ?1 AND key <> x'' AND hlc = ?2")
        ties.bind(1, store.rawValue)
        ties.bind(2, stamp.hlc.rawValue)
        var doomed: [[UInt8]] = []
        while try ties.step() {
            if NodeID(rawValue: ties.uint64(1)) < stamp.origin { doomed.append(ties.blob(0)) }
        }
        ties.reset()
        let delete = try connection.statement("DELETE FROM entries WHERE store = ?1 AND key = ?2")
        for key in doomed {
            delete.bind(1, store.rawValue)
            delete.bind(2, blob: key)
            try delete.run()
        }
    }
}

/// An integer read from any thread and written by the writer thread.
private final class ManagedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: Int64 = 0
    var value: Int64 {
        get { lock.lock(); defer { lock.unlock() }; return storage }
        set { lock.lock(); storage = newValue; lock.unlock() }
    }
}
