import Synchronization

/// A budget of open TCP connections shared by the listeners of one process (the HTTP API now, a
/// RESP listener later), kept below the file-descriptor limit so that SQLite, the UDP socket and
/// new log files still get descriptors when clients open many sockets.
///
/// A listener asks ``admit()`` for each accepted connection and calls ``release()`` when an
/// admitted one closes; a refused connection is closed at once by the listener (see
/// ``ConnectionLimiter/admit(_:listener:logger:)``), so the process never runs out of descriptors
/// and accepting never spins on `EMFILE`. Refusals are counted and reported at most once per
/// ``logInterval`` so that a flood of connections does not flood the log.
package final class ConnectionLimiter: Sendable {
    /// The most connections open at once, across every listener sharing the limiter.
    package let limit: Int
    /// The shortest time between two log lines about refused connections.
    package let logInterval: Duration

    /// What ``admit()`` decided.
    package enum Admission: Equatable, Sendable {
        /// The connection is admitted; ``release()`` must follow when it closes.
        case admitted
        /// The connection is over the limit. `report` is set when a log line is due: how many
        /// connections were refused since the last one, this one included.
        case refused(report: Int?)
    }

    private struct State {
        var open = 0
        var refused = 0
        var refusedSinceReport = 0
        var lastReport: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    private let now: @Sendable () -> ContinuousClock.Instant

    /// A limiter of `limit` connections.
    /// - Parameters:
    ///   - limit: the most open connections; at least 1.
    ///   - logInterval: the shortest time between two refusal reports. Default 10 seconds.
    ///   - now: the clock refusal reports are rate-limited by; tests pass a manual one.
    package init(
        limit: Int, logInterval: Duration = .seconds(10),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.limit = Swift.max(1, limit)
        self.logInterval = logInterval
        self.now = now
    }

    /// Takes one connection from the budget if there is room.
    package func admit() -> Admission {
        let instant = now()
        return state.withLock { state in
            if state.open < limit {
                state.open += 1
                return .admitted
            }
            state.refused += 1
            state.refusedSinceReport += 1
            if let last = state.lastReport, instant - last < logInterval { return .refused(report: nil) }
            defer {
                state.lastReport = instant
                state.refusedSinceReport = 0
            }
            return .refused(report: state.refusedSinceReport)
        }
    }

    /// Gives back the connection of an earlier ``Admission/admitted``.
    package func release() {
        state.withLock { $0.open = Swift.max(0, $0.open - 1) }
    }

    /// How many admitted connections are open.
    package var openConnections: Int { state.withLock { $0.open } }

    /// How many connections were refused since the limiter was made.
    package var refusedConnections: Int { state.withLock { $0.refused } }
}
