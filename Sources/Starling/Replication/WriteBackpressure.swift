import Metrics
import Synchronization

/// Backpressure from replication to the node's local writers: while the backlog to the members
/// that count (``ReplicationEngine`` reports it) is above the bound, a local write waits, at most
/// ``BackpressureStatus/maxWait``, for it to come down; then it proceeds either way. The write
/// itself is durable locally: replication lag slows writers, it never fails a write.
///
/// Without replication (or with no bound) nothing waits: offline writes never do.
package final class WriteBackpressure: Sendable {
    fileprivate struct State {
        var status = BackpressureStatus()
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        /// The timer of each waiter, cancelled when the waiter is released sooner.
        var timers: [Int: Task<Void, Never>] = [:]
        var nextWaiter = 0
    }

    private let state = Mutex(State())
    private let backlogGauge: Gauge
    private let boundGauge: Gauge
    private let delayedCounter: Counter
    private let timedOutCounter: Counter

    package init(node: String) {
        let dimensions = [("node", node)]
        backlogGauge = Gauge(label: "starling_replication_backlog", dimensions: dimensions)
        boundGauge = Gauge(label: "starling_replication_backlog_bound", dimensions: dimensions)
        delayedCounter = Counter(label: "starling_writes_delayed_total", dimensions: dimensions)
        timedOutCounter = Counter(label: "starling_write_waits_timed_out_total", dimensions: dimensions)
    }

    /// The bound, the wait, the backlog and what waited so far.
    package var status: BackpressureStatus { state.withLock { $0.status } }

    /// Sets the bound (nil: writes never wait) and the longest wait; replication does at start,
    /// and clears the bound when it stops, which releases every waiting write.
    package func configure(maxBacklog: Int64?, maxWait: Duration) {
        let released = state.withLock { state in
            state.status.maxBacklog = maxBacklog
            state.status.maxWait = maxWait
            return releaseIfBelowBound(&state)
        }
        boundGauge.record(maxBacklog ?? 0)
        for waiter in released { waiter.resume() }
    }

    /// Records the current backlog; writes waiting for it to come down go on once it is at or
    /// below the bound.
    /// The engine calls this after every event, so an unchanged backlog costs one lock and nothing else.
    package func update(backlog: Int64) {
        let (changed, released) = state.withLock { state -> (Bool, [CheckedContinuation<Void, Never>]) in
            guard state.status.backlog != backlog else { return (false, []) }
            state.status.backlog = backlog
            return (true, releaseIfBelowBound(&state))
        }
        guard changed else { return }
        backlogGauge.record(backlog)
        for waiter in released { waiter.resume() }
    }

    /// Returns at once while the backlog is within the bound; otherwise once it is, or after
    /// the longest wait, whichever comes first.
    package func admit() async {
        guard state.withLock({ $0.isOverBound }) else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let registered: (id: Int, wait: Duration)? = state.withLock { state in
                guard state.isOverBound else { return nil }
                state.nextWaiter += 1
                state.waiters[state.nextWaiter] = continuation
                state.status.delayedWrites += 1
                return (state.nextWaiter, state.status.maxWait)
            }
            guard let registered else { return continuation.resume() }
            delayedCounter.increment()
            let timer = Task {
                try? await Task.sleep(for: registered.wait)
                if !Task.isCancelled { self.timeOut(registered.id) }
            }
            let released = state.withLock { state in
                guard state.waiters[registered.id] != nil else { return true }
                state.timers[registered.id] = timer
                return false
            }
            if released { timer.cancel() }
        }
    }

    /// Lets waiter `id` go on if it still waits: its longest wait has passed.
    private func timeOut(_ id: Int) {
        let waiter = state.withLock { state in
            state.timers[id] = nil
            let waiter = state.waiters.removeValue(forKey: id)
            if waiter != nil { state.status.timedOutWaits += 1 }
            return waiter
        }
        guard let waiter else { return }
        timedOutCounter.increment()
        waiter.resume()
    }

    private func releaseIfBelowBound(_ state: inout State) -> [CheckedContinuation<Void, Never>] {
        guard !state.isOverBound, !state.waiters.isEmpty else { return [] }
        for timer in state.timers.values { timer.cancel() }
        state.timers.removeAll()
        defer { state.waiters.removeAll() }
        return Array(state.waiters.values)
    }
}

extension WriteBackpressure.State {
    var isOverBound: Bool { status.maxBacklog.map { status.backlog > $0 } ?? false }
}

/// The state of the backpressure replication puts on local writes, as `GET /v1/cluster` shows it.
public struct BackpressureStatus: Sendable, Hashable {
    /// The most changes an alive, acknowledging member may lack before local writes wait; nil:
    /// writes never wait (no replication, or no bound).
    public var maxBacklog: Int64?
    /// The longest one write waits.
    public var maxWait: Duration = .zero
    /// What the member furthest behind lacks now, among those that count.
    public var backlog: Int64 = 0
    /// Local writes that waited so far.
    public var delayedWrites = 0
    /// Of those, the ones that went on after the longest wait rather than the backlog coming down.
    public var timedOutWaits = 0

    /// No bound, nothing waited.
    public init() {}
}
