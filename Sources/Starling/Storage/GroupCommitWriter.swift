import Dispatch
import StarlingCore
import Synchronization

/// The one writer of a database: it runs write requests on its own thread and groups
/// every request that arrives while a transaction is open into the next transaction
/// (group commit). A request's caller resumes only after the transaction holding it
/// committed: acknowledged means durable.
///
/// Each batch stamps, sequences and applies its requests in order, persists the clock, and
/// commits once. A storage failure rolls the whole batch back and fails every request in it
/// with `UNAVAILABLE`; a request's own validation failure fails only that request.
final class GroupCommitWriter: Sendable {
    // Touched only on `queue`, the writer's one thread: that confinement, not a lock, is what
    // keeps them safe, so they are exempt from the checker.
    nonisolated(unsafe) private let connection: SQLiteConnection
    nonisolated(unsafe) private var state: WriterState
    private let wallClock: any WallClock
    private let maxBatch: Int
    private let queue = DispatchQueue(label: "starling.writer")
    /// Checkpoints the WAL off the writer's thread; nil: the writer checkpoints itself.
    private let checkpointer: WALCheckpointer?
    private let walFrames = WALFrames()
    private let shared: Mutex<Shared>

    /// What callers and the writer's thread share.
    private struct Shared {
        var pending: [Job] = []
        var draining = false
        var closed = false
        var committedSeq: Int64
        var committedClock: HybridTimestamp
        var committedPurgeHorizon: HybridTimestamp?
        var observers: [Int: @Sendable (Int64) -> Void] = [:]
        var nextObserverID = 0
    }

    /// A queued request: runs inside the transaction and returns what to do once the
    /// transaction's fate is known.
    private struct Job: Sendable {
        let run: @Sendable (inout WriteContext) -> @Sendable (Result<Void, StoreError>) -> Void
        /// Fails the request without running it (the node closed, or its batch failed first).
        let fail: @Sendable (StoreError) -> Void
    }

    init(
        connection: SQLiteConnection, state: WriterState, wallClock: any WallClock, maxBatch: Int,
        checkpointer: WALCheckpointer?
    ) {
        self.connection = connection
        self.checkpointer = checkpointer
        walFrames.observe(connection)
        self.state = state
        self.wallClock = wallClock
        self.maxBatch = max(1, maxBatch)
        shared = Mutex(
            Shared(
                committedSeq: state.nextSeq - 1, committedClock: state.clock.last,
                committedPurgeHorizon: state.purgeHorizon))
    }

    /// The highest sequence number committed so far.
    var lastCommittedSeq: Int64 { committedPosition.seq }

    /// The head of the feed and the clock as of the same commit: every stamp this node issued
    /// up to `clock` is in the feed through `seq`.
    var committedPosition: (seq: Int64, clock: HybridTimestamp) {
        shared.withLock { ($0.committedSeq, $0.committedClock) }
    }

    /// The purge horizon as of the last commit.
    var purgeHorizon: HybridTimestamp? { shared.withLock { $0.committedPurgeHorizon } }

    /// Runs `body` in the next transaction and returns its result after the commit.
    /// - Throws: what `body` throws (nothing is written), or `UNAVAILABLE` if storage failed
    ///   (nothing of the batch is written).
    @discardableResult
    func write<T: Sendable>(_ body: @escaping @Sendable (inout WriteContext) throws(StoreError) -> T)
        async throws(StoreError) -> T
    {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            let job = Job(
                run: { context in
                    let writesBefore = context.writes
                    do throws(StoreError) {
                        let value = try body(&context)
                        return { outcome in continuation.resume(returning: outcome.map { value }) }
                    } catch {
                        if context.writes != writesBefore, context.batchFailure == nil {
                            context.batchFailure = .internal(
                                "a write request failed after writing (\(error)); its batch was rolled back — please report this"
                            )
                        }
                        return { _ in continuation.resume(returning: .failure(error)) }
                    }
                },
                fail: { error in continuation.resume(returning: .failure(error)) })
            enqueue(job)
        }
        return try result.get()
    }

    /// Stops accepting requests after the queued ones, waits for them, and closes the connection.
    /// Observers are called once more afterwards, with the last head, so that they see ``isClosed``.
    /// - Throws: SQLite's error if closing the connection failed (it counts as closed anyway).
    func close() async throws(SQLiteError) {
        let closing: Result<Void, SQLiteError> = await withCheckedContinuation { continuation in
            shared.withLock { $0.closed = true }
            queue.async {
                self.checkpointer?.close()
                let closing = Result { () throws(SQLiteError) in try self.connection.close() }
                let (head, observers) = self.shared.withLock { ($0.committedSeq, Array($0.observers.values)) }
                for observer in observers { observer(head) }
                continuation.resume(returning: closing)
            }
        }
        try closing.get()
    }

    /// Whether ``close()`` was called: no request is accepted any more.
    var isClosed: Bool { shared.withLock { $0.closed } }

    /// How many observers are registered (for tests that check a watcher unregistered).
    var observerCount: Int { shared.withLock { $0.observers.count } }

    /// Registers a handler called with the new feed head after each commit that advanced it.
    func addObserver(_ handler: @escaping @Sendable (Int64) -> Void) -> Int {
        shared.withLock { shared in
            shared.nextObserverID += 1
            shared.observers[shared.nextObserverID] = handler
            return shared.nextObserverID
        }
    }

    func removeObserver(_ id: Int) {
        shared.withLock { _ = $0.observers.removeValue(forKey: id) }
    }

    private func enqueue(_ job: Job) {
        let accepted = shared.withLock { shared in
            if shared.closed { return false }
            shared.pending.append(job)
            // Scheduled under the lock, so a close() that follows cannot close the connection first.
            if !shared.draining {
                shared.draining = true
                queue.async { self.drain() }
            }
            return true
        }
        if !accepted { job.fail(.invalid("the node is closed")) }
    }

    private func drain() {
        while true {
            let batch = shared.withLock { shared -> [Job] in
                if shared.pending.isEmpty {
                    shared.draining = false
                    return []
                }
                let count = min(shared.pending.count, maxBatch)
                defer { shared.pending.removeFirst(count) }
                return Array(shared.pending.prefix(count))
            }
            if batch.isEmpty { return }
            runBatch(batch)
        }
    }

    /// Asks the checkpointer to move the WAL into the database once it passed
    /// ``WALCheckpointer/threshold`` frames; past ``WALCheckpointer/backstop`` (or without a
    /// checkpointer) checkpoints here, so the log stays bounded.
    private func checkpointIfDue() {
        let frames = walFrames.count.load(ordering: .relaxed)
        guard frames >= WALCheckpointer.threshold else { return }
        if let checkpointer, frames < WALCheckpointer.backstop {
            checkpointer.request()
        } else {
            // A failed checkpoint is retried after the next commit; the commit itself succeeded.
            try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
        }
    }

    private func runBatch(_ batch: [Job]) {
        let snapshot = state
        var context = WriteContext(connection: connection, state: state, wallClock: wallClock)
        var completions: [@Sendable (Result<Void, StoreError>) -> Void] = []
        completions.reserveCapacity(batch.count)
        do throws(StoreError) {
            do {
                // A transaction that a failed ROLLBACK left open (below) is rolled back first.
                try connection.rollback()
                try connection.beginImmediate()
            } catch {
                throw StoreError(error, while: "starting a write")
            }
            for job in batch {
                completions.append(job.run(&context))
                if let failure = context.batchFailure { throw failure }
            }
            do {
                try connection.saveClock(context.state.clock.last)
                try connection.commit()
            } catch {
                throw StoreError(error, while: "committing a write")
            }
            state = context.state
            checkpointIfDue()
            let head = state.nextSeq - 1
            let committed = state
            let advanced = shared.withLock { shared in
                defer {
                    shared.committedPurgeHorizon = committed.purgeHorizon
                    shared.committedClock = committed.clock.last
                    shared.committedSeq = head
                }
                return head > shared.committedSeq
            }
            for completion in completions { completion(.success(())) }
            if advanced {
                for observer in shared.withLock({ Array($0.observers.values) }) { observer(head) }
            }
        } catch {
            // A ROLLBACK that fails leaves the transaction open; it is not acted on here, where
            // `error` is the one to report: the next batch rolls back before it begins, and fails
            // with the rollback's error if it still cannot.
            try? connection.rollback()
            // Keep the clock: stamps it issued must never be issued again.
            state = snapshot
            state.clock.advance(to: context.state.clock.last)
            for completion in completions { completion(.failure(error)) }
            for job in batch.dropFirst(completions.count) { job.fail(error) }
        }
    }
}
