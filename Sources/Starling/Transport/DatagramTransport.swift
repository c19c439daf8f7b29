public import NIOCore
public import StarlingCore

/// Sends datagrams for a replication engine: real UDP in production (``UDPTransport``),
/// a simulated lossy network in tests.
public protocol DatagramTransport: Sendable {
    /// Sends one datagram to `address`. Failures are the network's business: a datagram may be
    /// lost silently, as UDP may lose it.
    func send(_ datagram: ByteBuffer, to address: PeerAddress) async

    /// Sends datagrams in order. A transport that can hand several datagrams to the network at
    /// once (one wake-up of the I/O thread instead of one per datagram) implements this; the
    /// default sends them one by one.
    func send(_ datagrams: [Datagram]) async
}

extension DatagramTransport {
    public func send(_ datagrams: [Datagram]) async {
        for datagram in datagrams { await send(datagram.bytes, to: datagram.address) }
    }
}

/// A datagram's bytes on the wire and the peer address it goes to (outgoing) or came from
/// (received).
public struct Datagram: Sendable {
    /// The bytes on the wire.
    public var bytes: ByteBuffer
    /// The destination of an outgoing datagram, the source of a received one.
    public var address: PeerAddress

    /// Creates a datagram to or from `address`.
    public init(_ bytes: ByteBuffer, address: PeerAddress) {
        self.bytes = bytes
        self.address = address
    }
}

/// Runs the engine's timers: real sleeps in production, simulated time in tests.
public protocol TickScheduler: Sendable {
    /// Calls `action` once, after `millis` milliseconds.
    func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void)
}

/// A scheduler on real time: each timer is a task that sleeps, then runs the action.
public struct TaskScheduler: TickScheduler {
    /// Creates the scheduler.
    public init() {}

    public func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void) {
        Task {
            if millis > 0 { try? await Task.sleep(for: .milliseconds(millis)) }
            if !Task.isCancelled { await action() }
        }
    }
}
