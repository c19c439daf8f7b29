/// When a connection's request must be read by: the header timeout runs from the first byte of a
/// request until its head is complete, the body timeout from the head until the end of the body.
/// A pure state machine; ``HTTPRequestTimeoutHandler`` runs its timers.
///
/// Neither runs while the connection waits between requests (Hummingbird's idle timeout covers
/// that) or while a response is being written (a watch stream, a write waiting for its commit):
/// they bound how long a client may take to *send* a request, not how long an answer may take.
struct HTTPRequestDeadlines {
    /// The timer that is running.
    enum Timer: Equatable {
        case header
        case body
    }

    /// What the handler does after an event.
    enum Action: Equatable {
        case none
        /// Start `timer`, replacing any running one.
        case start(Timer)
        /// Stop the running timer.
        case stop
        /// `timer` ran out: refuse the request and close the connection.
        case expire(Timer)
    }

    /// The timer running now, if any.
    private(set) var running: Timer?
    /// Requests whose head was read and whose response is not written yet.
    private(set) var unanswered = 0
    /// A request's head was read and its end was not.
    private var readingBody = false

    /// Bytes arrived and no request head was decoded from them (a partial head), or none yet.
    mutating func bytesArrived() -> Action {
        guard running == nil, !readingBody, unanswered == 0 else { return .none }
        running = .header
        return .start(.header)
    }

    /// A request's head was decoded.
    mutating func headRead() -> Action {
        unanswered += 1
        readingBody = true
        running = .body
        return .start(.body)
    }

    /// A request's end was decoded.
    mutating func requestEnded() -> Action {
        readingBody = false
        guard running != nil else { return .none }
        running = nil
        return .stop
    }

    /// A response's end was written.
    mutating func responseEnded() -> Action {
        unanswered = Swift.max(0, unanswered - 1)
        return .none
    }

    /// `timer` fired.
    mutating func fired(_ timer: Timer) -> Action {
        guard running == timer else { return .none }
        running = nil
        return .expire(timer)
    }
}
