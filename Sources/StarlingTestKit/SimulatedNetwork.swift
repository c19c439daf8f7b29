import Foundation
import NIOCore
public import Starling
public import StarlingCore

/// A seeded, simulated datagram network with its own clock: loss, duplication, delay (and so
/// reordering), partitions. Events run one at a time in time order, so a run is a pure function
/// of its seed and the test's actions: a failing seed replays exactly.
public final class SimulatedNetwork: @unchecked Sendable {
    // @unchecked: every field is touched only under `lock`, and events run one at a time.

    /// Network faults, each chosen per datagram.
    public struct Faults: Sendable {
        /// Probability a datagram is lost.
        public var loss = 0.0
        /// Probability a datagram is delivered twice.
        public var duplication = 0.0
        /// Delivery delay range, in milliseconds; spread reorders datagrams.
        public var delayMillis: ClosedRange<Int64> = 1...5

        /// No loss or duplication, 1-5 ms delay.
        public init() {}
    }

    private struct Event {
        var time: Int64
        var order: Int
        var action: Action
    }

    private enum Action {
        /// A timer.
        case run(@Sendable () async -> Void)
        /// A datagram arriving at `to`.
        case deliver(Datagram, to: PeerAddress)
    }

    private let lock = NSLock()
    private var queue: [Event] = []
    private var order = 0
    private var rng: SeededGenerator
    private var handlers: [PeerAddress: @Sendable ([Datagram]) async -> Void] = [:]
    private var blocked: Set<[PeerAddress]> = []
    /// The faults in force.
    public var faults: Faults {
        get { lock.withLock { storedFaults } }
        set { lock.withLock { storedFaults = newValue } }
    }
    private var storedFaults = Faults()
    /// Simulated time, in Unix milliseconds.
    public private(set) var now: Int64
    /// Datagrams delivered and dropped so far.
    public private(set) var delivered = 0
    public private(set) var lost = 0
    /// Deliveries that handed a host more than one datagram at once.
    public private(set) var batchedDeliveries = 0

    /// Creates a network starting at `startMillis`.
    public init(seed: UInt64, startMillis: Int64 = 1_767_225_600_000) {
        rng = SeededGenerator(seed: seed)
        now = startMillis
    }

    /// A random number from the network's generator (for tests that need more randomness in the same stream).
    public func random(in range: ClosedRange<Int>) -> Int { lock.withLock { Int.random(in: range, using: &rng) } }
    public func chance(_ probability: Double) -> Bool { lock.withLock { Double.random(in: 0..<1, using: &rng) < probability } }

    /// Routes datagrams for `address` to `handler` (nil detaches: the host is down). Datagrams
    /// arriving at the same simulated millisecond are handed over together, as a real receive
    /// loop hands over what arrived while the engine worked.
    public func attach(_ address: PeerAddress, _ handler: (@Sendable ([Datagram]) async -> Void)?) {
        lock.withLock { handlers[address] = handler }
    }

    /// Cuts the network between `a` and `b` in the direction a→b only (`oneWay`) or both.
    public func block(_ a: PeerAddress, _ b: PeerAddress, oneWay: Bool = false) {
        lock.withLock {
            blocked.insert([a, b])
            if !oneWay { blocked.insert([b, a]) }
        }
    }

    /// Splits the hosts into groups that cannot reach each other.
    public func partition(_ groups: [[PeerAddress]]) {
        for (i, left) in groups.enumerated() {
            for right in groups[(i + 1)...] {
                for a in left { for b in right { block(a, b) } }
            }
        }
    }

    /// Removes every partition.
    public func heal() {
        lock.withLock { blocked.removeAll() }
    }

    /// Sends a datagram, subject to the faults.
    func send(_ datagram: ByteBuffer, from: PeerAddress, to: PeerAddress) {
        lock.withLock {
            if blocked.contains([from, to]) || Double.random(in: 0..<1, using: &rng) < storedFaults.loss {
                lost += 1
                return
            }
            let copies = Double.random(in: 0..<1, using: &rng) < storedFaults.duplication ? 2 : 1
            for _ in 0..<copies {
                let delay = Int64.random(in: storedFaults.delayMillis, using: &rng)
                enqueueLocked(at: now + delay, .deliver(Datagram(datagram, address: from), to: to))
            }
        }
    }

    /// Runs `action` at simulated time `now + millis`.
    public func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void) {
        lock.withLock { enqueueLocked(at: now + max(0, millis), .run(action)) }
    }

    private func enqueueLocked(at time: Int64, _ action: Action) {
        order += 1
        queue.append(Event(time: time, order: order, action: action))
    }

    /// Runs every event due up to `deadline` (simulated Unix ms), in time order, then sets the
    /// clock to `deadline`. `onTime` is called before each event with its time (to move clocks).
    public func run(until deadline: Int64, onTime: (Int64) -> Void) async {
        while let event = popNext(before: deadline) {
            onTime(event.time)
            switch event.action {
            case .run(let action):
                await action()
            case .deliver(let first, let to):
                let (batch, handler) = takeDeliveries(startingWith: first, to: to, at: event.time)
                await handler?(batch)
            }
        }
        lock.withLock { now = max(now, deadline) }
        onTime(deadline)
    }

    private func popNext(before deadline: Int64) -> Event? {
        lock.withLock {
            guard let index = queue.indices.min(by: { (queue[$0].time, queue[$0].order) < (queue[$1].time, queue[$1].order) }),
                  queue[index].time <= deadline
            else { return nil }
            let event = queue.remove(at: index)
            now = max(now, event.time)
            return event
        }
    }

    /// `first` and every other datagram due at `to` at `time`, in order, with `to`'s handler
    /// (nil if the host is down: the datagrams are lost).
    private func takeDeliveries(startingWith first: Datagram, to: PeerAddress, at time: Int64)
        -> ([Datagram], (@Sendable ([Datagram]) async -> Void)?)
    {
        lock.withLock {
            var batch = [first]
            let due = queue.indices.filter { index in
                guard queue[index].time == time, case .deliver(_, let destination) = queue[index].action else { return false }
                return destination == to
            }.sorted { queue[$0].order < queue[$1].order }
            for index in due {
                if case .deliver(let datagram, _) = queue[index].action { batch.append(datagram) }
            }
            for index in due.sorted(by: >) { queue.remove(at: index) }
            let handler = handlers[to]
            if handler != nil {
                delivered += batch.count
                if batch.count > 1 { batchedDeliveries += 1 }
            }
            return (batch, handler)
        }
    }
}

/// The transport and scheduler of one simulated host.
struct SimulatedHost: DatagramTransport, TickScheduler {
    let network: SimulatedNetwork
    let address: PeerAddress
    /// Timers of an engine that crashed must not fire into its successor.
    let generation: Int
    let currentGeneration: @Sendable () -> Int

    func send(_ datagram: ByteBuffer, to destination: PeerAddress) async {
        network.send(datagram, from: address, to: destination)
    }

    func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void) {
        let generation = self.generation
        let current = currentGeneration
        network.schedule(afterMillis: millis) {
            if current() == generation { await action() }
        }
    }
}
