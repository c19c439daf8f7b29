import Logging
import Metrics
import StarlingCore
import Synchronization

extension Node {
    /// Runs a local write (one made through a ``Store``, as opposed to a replicated one) in the
    /// writer's next transaction, after replication's backpressure let it (a bounded wait while
    /// an alive member is far behind); a refusal because this node's clock runs too far ahead is
    /// counted and logged, so a skewed peer never fails writes silently.
    /// - Throws: what `body` throws, or `UNAVAILABLE` if storage failed.
    @discardableResult
    func localWrite<T: Sendable>(_ body: @escaping @Sendable (inout WriteContext) throws(StoreError) -> T)
        async throws(StoreError) -> T
    {
        await backpressure.admit()
        do {
            return try await writer.write(body)
        } catch {
            if case .clockAhead(let millis) = error.detail {
                clockAhead.refused(aheadMillis: millis, nowMillis: wallClock.nowMillis(), logger: logger)
            }
            throw error
        }
    }

    /// Local writes refused because this node's clock was more than `maxClockOffset` ahead of
    /// its wall clock.
    package var clockAheadRefusals: Int { clockAhead.refusals }
}

/// Counts (and logs, at most once per 10 s) local writes refused because the node's clock is
/// ahead of its wall clock: `starling_writes_refused_clock_ahead_total`, and the gauge
/// `starling_clock_ahead_milliseconds` of how far ahead it was at the last refusal.
final class ClockAheadMonitor: Sendable {
    private struct State {
        var refusals = 0
        var warnings = WarningRateLimit<Int>()
    }

    private let state = Mutex(State())
    private let counter = Counter(label: "starling_writes_refused_clock_ahead_total")
    private let gauge = Gauge(label: "starling_clock_ahead_milliseconds")

    var refusals: Int { state.withLock { $0.refusals } }

    func refused(aheadMillis: Int64, nowMillis: Int64, logger: Logger) {
        counter.increment()
        gauge.record(aheadMillis)
        let unlogged = state.withLock { state in
            state.refusals += 1
            return state.warnings.admit(0, nowMillis: nowMillis)
        }
        guard let unlogged else { return }
        logger.error(
            """
            refusing local writes: this node's clock is ahead of its wall clock by more than \
            max_clock_offset; fix the wall clock (writes resume once it catches up)
            """,
            metadata: ["ahead_ms": "\(aheadMillis)", "refused_unlogged_since_last": "\(unlogged)"])
    }
}

extension Node {
    /// How far this node's clock is ahead of its wall clock, in milliseconds (0 when it is not).
    /// Past `maxClockOffsetMillis` local writes are refused with `UNAVAILABLE`.
    package var clockAheadMillis: Int64 {
        let clock = HybridLogicalClock(last: committedPosition.clock, maxOffsetMillis: settings.maxClockOffsetMillis)
        return Int64(clamping: clock.millisAhead(ofWall: UInt64(clamping: wallClock.nowMillis())))
    }
}
