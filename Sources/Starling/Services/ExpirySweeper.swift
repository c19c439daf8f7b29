import Logging
import StarlingCore
import Synchronization

/// Turns expired values into tombstones in the background, keeping their stamps, so their
/// bytes are freed while an older copy arriving later still cannot resurrect them.
/// Reads never depend on it: they hide an expired value at its expiry instant.
final class ExpirySweeper: Sendable {
    private let intervalMillis: Int64
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(intervalMillis: Int64) {
        self.intervalMillis = intervalMillis
    }

    /// Starts sweeping every interval; an interval of 0 disables the background sweep.
    func start(writer: GroupCommitWriter, logger: Logger) {
        guard intervalMillis > 0 else { return }
        let interval = intervalMillis
        let task = Task.detached(priority: .utility) {
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(interval))
                if Task.isCancelled { break }
                do {
                    while try await Self.sweep(writer: writer, limit: 1_000) == 1_000, !Task.isCancelled {}
                } catch {
                    logger.warning("expiry sweep failed; retrying next interval", metadata: ["error": "\(error)"])
                }
            }
        }
        self.task.withLock { $0 = task }
    }

    /// Stops the background sweep and waits for a running pass to end.
    func stop() async {
        let task = self.task.withLock { task in
            defer { task = nil }
            return task
        }
        task?.cancel()
        await task?.value
    }

    /// Sweeps up to `limit` expired values in one write.
    /// - Returns: how many were swept.
    static func sweep(writer: GroupCommitWriter, limit: Int) async throws(StoreError) -> Int {
        try await writer.write { context throws(StoreError) in
            let now = context.nowMillis()
            let expired = try context.expiredRegisters(before: now, limit: limit)
            for (store, key, register) in expired {
                guard register.sweptIfExpired(at: now) != nil else { continue }
                try context.sweepInPlace(store: store, key: key)
            }
            return expired.count
        }
    }
}
