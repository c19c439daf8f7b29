import NIOCore
import Synchronization

/// A bounded queue between a socket's receive loop and the engine: the receive loop keeps
/// reading while the engine works, and the engine takes what arrived meanwhile as one batch
/// (one transaction, one acknowledgement per sender). When the queue is full the receive loop
/// waits, the socket buffer fills, and the kernel drops datagrams, as UDP may. One producer and
/// one consumer.
///
/// The bound is in bytes as well as datagrams, and each datagram is copied into a buffer of its
/// own size: NIO reads into 64 KiB buffers that it reuses only once nobody holds them, so
/// queueing the read buffers themselves would hold 64 KiB per queued datagram (and anyone can
/// send datagrams, authenticated or not).
final class DatagramInbox: Sendable {
    private struct State {
        var queued: [Datagram] = []
        var queuedBytes = 0
        var finished = false
        var consumer: CheckedContinuation<[Datagram], Never>?
        var producer: CheckedContinuation<Void, Never>?

        func hasRoom(for bytes: Int, capacity: Int, capacityBytes: Int) -> Bool {
            queued.isEmpty || (queued.count < capacity && queuedBytes + bytes <= capacityBytes)
        }

        /// Takes up to `maxBatch` datagrams from the front of the queue, and the producer to
        /// wake now that there is room.
        mutating func take(_ maxBatch: Int) -> ([Datagram], CheckedContinuation<Void, Never>?) {
            let taken = Array(queued.prefix(maxBatch))
            queued.removeFirst(taken.count)
            queuedBytes -= taken.reduce(0) { $0 + $1.bytes.readableBytes }
            defer { producer = nil }
            return (taken, producer)
        }
    }

    private let state = Mutex(State())
    private let capacity: Int
    private let capacityBytes: Int
    /// The most datagrams one ``next()`` hands over, so one batch's transaction stays short
    /// (256 datagrams of 1,200 bytes are about 2,300 small entries).
    let maxBatch: Int

    /// Creates an inbox holding up to `capacity` datagrams and `capacityBytes` bytes (always at
    /// least one datagram), handing over up to `maxBatch` at once.
    init(capacity: Int, capacityBytes: Int = 8 << 20, maxBatch: Int = 256) {
        self.capacity = max(1, capacity)
        self.capacityBytes = max(1, capacityBytes)
        self.maxBatch = max(1, maxBatch)
    }

    /// Queues a datagram, waiting while the inbox is full. Returns at once after ``finish()``.
    func push(_ received: Datagram) async {
        let datagram = Datagram(ByteBuffer(bytes: received.bytes.readableBytesView), address: received.address)
        let size = datagram.bytes.readableBytes
        let (capacity, capacityBytes, maxBatch) = (self.capacity, self.capacityBytes, self.maxBatch)
        while true {
            let (waitForRoom, wake): (Bool, (CheckedContinuation<[Datagram], Never>, [Datagram])?) = state.withLock {
                if $0.finished { return (false, nil) }
                guard $0.hasRoom(for: size, capacity: capacity, capacityBytes: capacityBytes) else {
                    return (true, nil)
                }
                $0.queued.append(datagram)
                $0.queuedBytes += size
                guard let consumer = $0.consumer else { return (false, nil) }
                $0.consumer = nil
                // The producer is this caller, not waiting: nothing to wake.
                let (batch, _) = $0.take(maxBatch)
                return (false, (consumer, batch))
            }
            if let (consumer, batch) = wake { consumer.resume(returning: batch) }
            guard waitForRoom else { return }
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow: Bool = state.withLock {
                    if $0.finished || $0.hasRoom(for: size, capacity: capacity, capacityBytes: capacityBytes) {
                        return true
                    }
                    $0.producer = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    /// Up to ``maxBatch`` of the datagrams queued, oldest first, waiting until one is; empty
    /// once ``finish()`` was called and the queue is drained.
    func next() async -> [Datagram] {
        let maxBatch = self.maxBatch
        return await withCheckedContinuation { continuation in
            let ready: ([Datagram], CheckedContinuation<Void, Never>?)? = state.withLock {
                if !$0.queued.isEmpty || $0.finished { return $0.take(maxBatch) }
                $0.consumer = continuation
                return nil
            }
            if let (batch, producer) = ready {
                producer?.resume()
                continuation.resume(returning: batch)
            }
        }
    }

    /// Ends the inbox: pending and later ``next()`` calls return what is left, then empty batches.
    func finish() {
        let maxBatch = self.maxBatch
        let (consumer, rest, producers) = state.withLock { state in
            state.finished = true
            let consumer = state.consumer
            state.consumer = nil
            var rest: [Datagram] = []
            var woken: CheckedContinuation<Void, Never>?
            if consumer != nil { (rest, woken) = state.take(maxBatch) }
            let producer = state.producer
            state.producer = nil
            return (consumer, rest, [woken, producer].compactMap { $0 })
        }
        consumer?.resume(returning: rest)
        for producer in producers { producer.resume() }
    }
}
