import Foundation
import Logging

/// Read-only connections for concurrent reads, separate from the writer.
///
/// In WAL mode readers never block the writer nor each other, and each sees the last committed
/// state when its read starts. A read runs synchronously on the caller's thread: point reads take
/// microseconds, so hopping to another thread would cost more than the read.
final class ReaderPool: @unchecked Sendable {
    // @unchecked: `idle` is touched only under `lock`; a checked-out connection has one owner.
    private let path: String
    private let maxIdle: Int
    private let logger: Logger
    private let lock = NSLock()
    private var idle: [SQLiteConnection] = []
    private var closed = false

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
        lock.lock()
        closed = true
        let connections = idle
        idle.removeAll()
        lock.unlock()
        connections.forEach(discard)
    }

    private func checkOut() throws(StoreError) -> SQLiteConnection {
        lock.lock()
        if closed {
            lock.unlock()
            throw .invalid("the node is closed")
        }
        if let connection = idle.popLast() {
            lock.unlock()
            return connection
        }
        lock.unlock()
        do {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            // Readers never write; a busy timeout covers the brief WAL checkpoint locks.
            try connection.execute("PRAGMA query_only = 1; PRAGMA busy_timeout = 5000;")
            return connection
        } catch {
            throw StoreError(error, while: "opening a reader on \(path)")
        }
    }

    /// Returns a connection to the pool; one still in a transaction (a ROLLBACK that failed
    /// after a failed read) is closed instead, so that no later read sees its old snapshot.
    private func checkIn(_ connection: SQLiteConnection) {
        lock.lock()
        if !closed, idle.count < maxIdle, !connection.isInTransaction {
            idle.append(connection)
            lock.unlock()
        } else {
            lock.unlock()
            discard(connection)
        }
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
