import NIOCore

/// The promises of the requests sent on one connection, in order: HTTP/1.1 and RESP both answer
/// in request order, so the next reply completes the oldest promise.
struct PendingReplies<Reply: Sendable> {
    private var promises = CircularBuffer<EventLoopPromise<Reply>>()

    /// Remembers the promise of a request just written.
    mutating func append(_ promise: EventLoopPromise<Reply>) {
        promises.append(promise)
    }

    /// Completes the oldest request's promise with `reply` (a reply nobody waits for is dropped).
    mutating func succeedNext(_ reply: Reply) {
        promises.popFirst()?.succeed(reply)
    }

    /// Fails every request still waiting: the connection failed or closed.
    mutating func failAll(_ error: any Error) {
        while let promise = promises.popFirst() { promise.fail(error) }
    }
}
