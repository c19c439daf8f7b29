import HeapModule
import NIOCore
public import Starling
public import StarlingCore
import Synchronization

/// A seeded, simulated datagram network with its own clock: loss, duplication, delay (and so
/// reordering), partitions. Events run one at a time in time order, so a run is a pure function
/// of its seed and the test's actions: a failing seed replays exactly.
public final class SimulatedNetwork: Sendable {

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

    /// One event, in a heap ordered by time and then by when it was scheduled, so that a run
    /// costs O(log n) per event however many peers and datagrams are in flight.
    private struct Event: Comparable {
        var time: Int64
        var order: Int
        var action: Action

        static func == (a: Event, b: Event) -> Bool { (a.time, a.order) == (b.time, b.order) }
        static func < (a: Event, b: Event) -> Bool { (a.time, a.order) < (b.time, b.order) }
    }

    private enum Action {
        /// A timer.
        case run(@Sendable () async -> Void)
        /// The datagrams arriving at `to` at the event's time (``State/arrivals``).
        case deliver(to: PeerAddress)
    }

    /// The datagrams that arrive at one host at one instant: handed over together.
    private struct Arrival: Hashable {
        var time: Int64
        var destination: PeerAddress
    }

    private struct State {
        var events = Heap<Event>()
        /// The datagrams of each pending arrival, in the order they were sent; its event sits
        /// in ``events`` at the place of the first.
        var arrivals: [Arrival: [Datagram]] = [:]
        var order = 0
        var rng: SeededGenerator
        var handlers: [PeerAddress: @Sendable ([Datagram]) async -> Void] = [:]
        var blocked: Set<[PeerAddress]> = []
        var faults = Faults()
        var now: Int64
        var delivered = 0
        var lost = 0
        var batchedDeliveries = 0

        mutating func enqueue(at time: Int64, _ action: Action) {
            order += 1
            events.insert(Event(time: time, order: order, action: action))
        }

        mutating func enqueue(_ datagram: Datagram, arrivingAt destination: PeerAddress, time: Int64) {
            let arrival = Arrival(time: time, destination: destination)
            if arrivals[arrival] != nil {
                arrivals[arrival]?.append(datagram)
            } else {
                arrivals[arrival] = [datagram]
                enqueue(at: time, .deliver(to: destination))
            }
        }
    }

    private let state: Mutex<State>

    /// The faults in force.
    public var faults: Faults {
        get { state.withLock { $0.faults } }
        set { state.withLock { $0.faults = newValue } }
    }
    /// Simulated time, in Unix milliseconds.
    public var now: Int64 { state.withLock { $0.now } }
    /// Datagrams delivered so far.
    public var delivered: Int { state.withLock { $0.delivered } }
    /// Datagrams dropped so far (lost, or cut by a partition).
    public var lost: Int { state.withLock { $0.lost } }
    /// Deliveries that handed a host more than one datagram at once.
    public var batchedDeliveries: Int { state.withLock { $0.batchedDeliveries } }

    /// Creates a network starting at `startMillis`.
    public init(seed: UInt64, startMillis: Int64 = 1_767_225_600_000) {
        state = Mutex(State(rng: SeededGenerator(seed: seed), now: startMillis))
    }

    /// A random number from the network's generator (for tests that need more randomness in the same stream).
    public func random(in range: ClosedRange<Int>) -> Int { state.withLock { Int.random(in: range, using: &$0.rng) } }
    /// A coin that comes up true with `probability`, from the network's generator.
    public func chance(_ probability: Double) -> Bool {
        state.withLock { Double.random(in: 0..<1, using: &$0.rng) < probability }
    }

    /// Routes datagrams for `address` to `handler` (nil detaches: the host is down). Datagrams
    /// arriving at the same simulated millisecond are handed over together, as a real receive
    /// loop hands over what arrived while the engine worked.
    public func attach(_ address: PeerAddress, _ handler: (@Sendable ([Datagram]) async -> Void)?) {
        state.withLock { $0.handlers[address] = handler }
    }

    /// Cuts the network between `a` and `b` in the direction a→b only (`oneWay`) or both.
    public func block(_ a: PeerAddress, _ b: PeerAddress, oneWay: Bool = false) {
        state.withLock { state in
            state.blocked.insert([a, b])
            if !oneWay { state.blocked.insert([b, a]) }
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
        state.withLock { $0.blocked.removeAll() }
    }

    /// Sends a datagram, subject to the faults.
    func send(_ datagram: ByteBuffer, from: PeerAddress, to: PeerAddress) {
        state.withLock { state in
            if state.blocked.contains([from, to]) || Double.random(in: 0..<1, using: &state.rng) < state.faults.loss {
                state.lost += 1
                return
            }
            let copies = Double.random(in: 0..<1, using: &state.rng) < state.faults.duplication ? 2 : 1
            for _ in 0..<copies {
                let delay = Int64.random(in: state.faults.delayMillis, using: &state.rng)
                state.enqueue(Datagram(datagram, address: from), arrivingAt: to, time: state.now + delay)
            }
        }
    }

    /// Runs `action` at simulated time `now + millis`.
    public func schedule(afterMillis millis: Int64, _ action: @escaping @Sendable () async -> Void) {
        state.withLock { $0.enqueue(at: $0.now + max(0, millis), .run(action)) }
    }

    /// Runs every event due up to `deadline` (simulated Unix ms), in time order, then sets the
    /// clock to `deadline`. `onTime` is called before each event with its time (to move clocks).
    public func run(until deadline: Int64, onTime: (Int64) -> Void) async {
        while let event = popNext(before: deadline) {
            onTime(event.time)
            switch event.action {
            case .run(let action):
                await action()
            case .deliver(let to):
                let (batch, handler) = takeArrival(at: to, time: event.time)
                await handler?(batch)
            }
        }
        state.withLock { $0.now = max($0.now, deadline) }
        onTime(deadline)
    }

    private func popNext(before deadline: Int64) -> Event? {
        state.withLock { state in
            guard let next = state.events.min, next.time <= deadline else { return nil }
            let event = state.events.removeMin()
            state.now = max(state.now, event.time)
            return event
        }
    }

    /// The datagrams arriving at `destination` at `time`, in the order they were sent, with its
    /// handler (nil if the host is down: the datagrams are lost).
    private func takeArrival(at destination: PeerAddress, time: Int64)
        -> ([Datagram], (@Sendable ([Datagram]) async -> Void)?)
    {
        state.withLock { state in
            let batch = state.arrivals.removeValue(forKey: Arrival(time: time, destination: destination)) ?? []
            let handler = state.handlers[destination]
            if handler != nil {
                state.delivered += batch.count
                if batch.count > 1 { state.batchedDeliveries += 1 }
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
