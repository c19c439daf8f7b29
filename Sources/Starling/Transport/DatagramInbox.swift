import Foundation
import NIOCore

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
final class DatagramInbox: @unchecked Sendable {
    // @unchecked: every field is touched only under `lock`.
    private let lock = NSLock()
    private var queued: [Datagram] = []
    private var queuedBytes = 0
    private let capacity: Int
    private let capacityBytes: Int
    /// The most datagrams one ``next()`` hands over, so one batch's transaction stays short
    /// (256 datagrams of 1,200 bytes are about 2,300 small entries).
    let maxBatch: Int
    private var finished = false
    private var consumer: CheckedContinuation<[Datagram], Never>?
    private var producer: CheckedContinuation<Void, Never>?

    /// Creates an inbox holding up to `capacity` datagrams and `capacityBytes` bytes (always at
    /// least one datagram), handing over up to `maxBatch` at once.
    init(capacity: Int, capacityBytes: Int = 8 << 20, maxBatch: Int = 256) {
        self.capacity = max(1, capacity)
        self.capacityBytes = max(1, capacityBytes)
        self.maxBatch = max(1, maxBatch)
    }

    private func hasRoomLocked(for bytes: Int) -> Bool {
        queued.isEmpty || (queued.count < capacity && queuedBytes + bytes <= capacityBytes)
    }

    /// Queues a datagram, waiting while the inbox is full. Returns at once after ``finish()``.
    func push(_ received: Datagram) async {
        let datagram = Datagram(ByteBuffer(bytes: received.bytes.readableBytesView), address: received.address)
        let size = datagram.bytes.readableBytes
        while true {
            let waitForRoom: Bool = lock.withLock {
                if finished { return false }
                if hasRoomLocked(for: size) {
                    queued.append(datagram)
                    queuedBytes += size
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
                    if finished || hasRoomLocked(for: size) { return true }
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
        let (consumer, rest, producer): (CheckedContinuation<[Datagram], Never>?, [Datagram], CheckedContinuation<Void, Never>?) =
            lock.withLock {
                finished = true
                let consumer = self.consumer
                self.consumer = nil
                // Taking a batch may already wake the producer: read it afterwards.
                let rest = consumer == nil ? [] : takeLocked()
                let producer = self.producer
                self.producer = nil
                return (consumer, rest, producer)
            }
        consumer?.resume(returning: rest)
        producer?.resume()
    }

    /// Takes up to ``maxBatch`` datagrams from the front of the queue and wakes a waiting
    /// producer. Call under `lock`.
    private func takeLocked() -> [Datagram] {
        let taken = Array(queued.prefix(maxBatch))
        queued.removeFirst(taken.count)
        queuedBytes -= taken.reduce(0) { $0 + $1.bytes.readableBytes }
        if let producer {
            self.producer = nil
            producer.resume()
        }
        return taken
    }
}
