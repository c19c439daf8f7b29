public import NIOCore
public import StarlingCore

/// Sends datagrams for a replication engine: real UDP in production (``UDPTransport``),
/// a simulated lossy network in tests.
public protocol DatagramTransport: Sendable {
    /// Sends one datagram to `address`. Failures are the network's business: a datagram may be
    /// lost silently, as UDP may lose it.
    func send(_ datagram: ByteBuffer, to address: PeerAddress) async
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
