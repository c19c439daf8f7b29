import Foundation

/// A bounded queue between a socket's receive loop and the engine: the receive loop keeps
/// reading while the engine works, and the engine takes everything that arrived meanwhile as one
/// batch (one transaction, one acknowledgement per sender). When the queue is full the receive
/// loop waits, the socket buffer fills, and the kernel drops datagrams, as UDP may.
final class DatagramInbox: @unchecked Sendable {
    // @unchecked: every field is touched only under `lock`.
    private let lock = NSLock()
    private var queued: [Datagram] = []
    private let capacity: Int
    /// The most datagrams one ``next()`` hands over, so one batch's transaction stays short
    /// (256 datagrams of 1,200 bytes are about 2,300 small entries).
    let maxBatch: Int
    private var finished = false
    private var consumer: CheckedContinuation<[Datagram], Never>?
    private var producer: CheckedContinuation<Void, Never>?

    /// Creates an inbox holding up to `capacity` datagrams, handing over up to `maxBatch` at once.
    init(capacity: Int, maxBatch: Int = 256) {
        self.capacity = max(1, capacity)
        self.maxBatch = max(1, maxBatch)
    }

    /// Queues a datagram, waiting while the inbox is full. Returns at once after ``finish()``.
    func push(_ datagram: Datagram) async {
        while true {
            let waitForRoom: Bool = lock.withLock {
                if finished { return false }
                if queued.count < capacity {
                    queued.append(datagram)
                    if let consumer {
                        self.consumer = nil
                        consumer.resume(returning: takeLocked())
                    }
                    return false
                }
                return true
            }
            guard waitForRoom else { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = lock.withLock {
                    if finished || queued.count < capacity { return true }
                    producer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Up to ``maxBatch`` of the datagrams queued, oldest first, waiting until one is; empty
    /// once ``finish()`` was called and the queue is drained.
    func next() async -> [Datagram] {
        await withCheckedContinuation { continuation in
            let ready: [Datagram]? = lock.withLock {
                if !queued.isEmpty || finished { return takeLocked() }
                consumer = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Ends the inbox: pending and later ``next()`` calls return what is left, then empty batches.
    func finish() {
        let (consumer, producer, rest): (CheckedContinuation<[Datagram], Never>?, CheckedContinuation<Void, Never>?, [Datagram]) =
            lock.withLock {
                finished = true
                defer {
                    self.consumer = nil
                    self.producer = nil
                }
                return (self.consumer, self.producer, self.consumer == nil ? [] : takeLocked())
            }
        consumer?.resume(returning: rest)
        producer?.resume()
    }

    /// Takes up to ``maxBatch`` datagrams from the front of the queue and wakes a waiting
    /// producer. Call under `lock`.
    private func takeLocked() -> [Datagram] {
        let taken = Array(queued.prefix(maxBatch))
        queued.removeFirst(taken.count)
        if let producer {
            self.producer = nil
            producer.resume()
        }
        return taken
    }
}
