import Foundation
import Logging
import Synchronization

/// Read-only connections for concurrent reads, separate from the writer.
///
/// In WAL mode readers never block the writer nor each other, and each sees the last committed
/// state when its read starts. A read runs synchronously on the caller's thread: point reads take
/// microseconds, so hopping to another thread would cost more than the read.
final class ReaderPool: Sendable {
    private let path: String
    private let maxIdle: Int
    private let logger: Logger
    private let pool = Mutex(Pool())

    private struct Pool {
        var idle: [SQLiteConnection] = []
        var closed = false
    }

    /// Connections on their way into or out of the pool. A connection is owned by the pool while
    /// idle and by one reader while checked out, never by two at once, which is why it may cross
    /// between threads.
    private struct Handoff: @unchecked Sendable {
        var connections: [SQLiteConnection]
    }

    init(path: String, maxIdle: Int, logger: Logger) {
        self.path = path
        self.maxIdle = max(1, maxIdle)
        self.logger = logger
    }

    /// Runs `body` with a reader connection checked out for its duration.
    /// - Throws: storage failures mapped by ``StoreError/init(_:while:)``, and what `body` throws.
    func read<T>(_ action: String, _ body: (SQLiteConnection) throws -> T) throws(StoreError) -> T {
        let connection = try checkOut()
        defer { checkIn(connection) }
        do {
            return try body(connection)
        } catch let error as SQLiteError {
            throw StoreError(error, while: action)
        } catch let error as StoreError {
            throw error
        } catch {
            throw .internal("unexpected failure while \(action): \(error)")
        }
    }

    /// Closes every idle connection; connections checked out are closed when returned.
    func close() {
        let idle = pool.withLock { pool in
            pool.closed = true
            defer { pool.idle.removeAll() }
            return Handoff(connections: pool.idle)
        }
        idle.connections.forEach(discard)
    }

    private func checkOut() throws(StoreError) -> SQLiteConnection {
        let taken = pool.withLock { pool -> Handoff? in
            pool.closed ? nil : Handoff(connections: pool.idle.popLast().map { [$0] } ?? [])
        }
        guard let taken else { throw .invalid("the node is closed") }
        if let connection = taken.connections.first { return connection }
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            // Readers never write; a busy timeout covers the brief WAL checkpoint locks. The
            // database is read through a memory map (StorageOpener.mmapBytes): profiling random
            // GETs found a reader in `pread64` in over a third of its samples, the 2 MB default
            // page cache holding a small part of a 100,000-key store.
            try connection.execute(
                "PRAGMA query_only = 1; PRAGMA busy_timeout = 5000; PRAGMA mmap_size = \(StorageOpener.mmapBytes);")
            return connection
        } catch {
            throw StoreError(error, while: "opening a reader on \(path)")
        }
    }

    /// Returns a connection to the pool; one still in a transaction (a ROLLBACK that failed
    /// after a failed read) is closed instead, so that no later read sees its old snapshot.
    private func checkIn(_ connection: SQLiteConnection) {
        let returned = Handoff(connections: [connection])
        let kept = pool.withLock { pool in
            guard !pool.closed, pool.idle.count < maxIdle, !connection.isInTransaction else { return false }
            pool.idle += returned.connections
            return true
        }
        if !kept { discard(connection) }
    }

    /// Closes `connection`, logging a failure: no caller waits on it.
    private func discard(_ connection: SQLiteConnection) {
        do {
            try connection.close()
        } catch {
            logger.error("closing a reader connection failed", metadata: ["database": "\(path)", "error": "\(error)"])
        }
    }
}
