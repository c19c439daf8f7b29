import Synchronization

/// Wakes a feed's iterator when the shared feed window moves, the node closes, or the feed is
/// stopped. It carries no data, only "look again": the iterator takes what changed from the window
/// (or storage), so nothing queues up however far behind the consumer is.
final class FeedSignal: Sendable {
    private struct State {
        /// A notification arrived while nobody waited; the next wait returns at once.
        var pending = false
        var stopped = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiter, or makes the next wait return at once.
    func notify() {
        let waiter = state.withLock { state in
            guard let waiter = state.waiter else {
                state.pending = true
                return CheckedContinuation<Void, Never>?.none
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Ends the feed: the iterator finishes at its next step. Idempotent.
    func stop() {
        state.withLock { $0.stopped = true }
        notify()
    }

    /// Whether ``stop()`` was called.
    var isStopped: Bool { state.withLock { $0.stopped } }

    /// Returns after the next notification (or at once if one is pending), or when the task is
    /// cancelled. Wake-ups may be spurious: the caller checks again what it waits for.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready = state.withLock { state in
                    if state.pending || state.stopped || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if ready { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }

    /// Like ``wait()``, but gives up after `timeout`.
    /// - Returns: false if the timeout passed first.
    func wait(timeout: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.wait()
                return true
            }
            group.addTask {
                do {
                    try await Task.sleep(for: timeout)
                    return false
                } catch {
                    return true
                }
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
    }
}

/// A feed iterator's subscription to its node's ``FeedHub``; dropping it unsubscribes. The hub
/// holds only the signal, so the registration is not kept alive by the node.
final class FeedRegistration: Sendable {
    let signal: FeedSignal
    private let hub: FeedHub
    private let id: Int
    private let cancelled = Atomic<Bool>(false)

    init(node: Node) {
        let signal = FeedSignal()
        self.signal = signal
        hub = node.feedHub
        id = hub.subscribe(signal, node: node)
    }

    /// Unsubscribes. Idempotent.
    func cancel() {
        guard !cancelled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        hub.unsubscribe(id)
    }

    deinit { cancel() }
}
