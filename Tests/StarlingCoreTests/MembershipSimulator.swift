import StarlingCore
import StarlingTestKit

/// N membership machines exchanging their directives through a simulated network driven by
/// simulated time: seeded latency and loss, a set of cut links (partitions), killed and
/// restarted peers. Everything, including loss, follows from `seed`, so a failure replays.
struct MembershipSimulator {
    /// One simulated peer.
    struct Peer {
        var id: NodeID
        var address: PeerAddress
        var seeds: [PeerAddress]
        var membership: Membership
        var up = true
        var nextTickMillis: Int64?
        /// Every member change this peer reported: (time, directive).
        var changes: [(millis: Int64, directive: Membership.Directive)] = []
        /// The address of every member this peer ever reported live, in order: what the shell
        /// persists (its peers table is never pruned) and a restart adds to the seeds.
        var persisted: [PeerAddress] = []
    }

    /// A message on its way.
    struct InFlight {
        var deliverMillis: Int64
        var sequence: Int
        var from: Int
        var to: Int
        var message: Message
    }

    let seed: UInt64
    let settings: Membership.Settings
    var peers: [Peer] = []
    var inFlight: [InFlight] = []
    var now: Int64 = 0
    var random: SeededGenerator
    /// Chance of losing each message, in thousandths.
    var lossPerMille = 0
    /// One-way latency range in milliseconds.
    var latencyMillis: ClosedRange<Int64> = 1...20
    /// Cut links, as index pairs `(low, high)`.
    var cut: Set<[Int]> = []
    var sequence = 0
    var messagesSent = 0
    var messagesLost = 0

    /// Creates `count` peers; every peer but the first joins through the first one's address.
    init(count: Int, seed: UInt64, settings: Membership.Settings = Membership.Settings()) {
        self.seed = seed
        self.settings = settings
        self.random = SeededGenerator(seed: seed)
        for index in 0..<count {
            let id = NodeID.random(using: &random)
            let address = PeerAddress(host: "10.0.0.\(index + 1)", port: 7946)
            let seeds = index == 0 ? [] : [peers[0].address]
            let membership = Membership(
                me: id, address: address, seeds: seeds, settings: settings, randomSeed: random.next())
            peers.append(Peer(id: id, address: address, seeds: seeds, membership: membership))
        }
    }

    /// Starts every peer, each at a random moment within the first probe period.
    mutating func startAll() {
        for index in peers.indices {
            run(until: now + Int64.random(in: 0..<settings.probeIntervalMillis, using: &random))
            handle(peers[index].membership.start(nowMillis: now), of: index)
        }
    }

    /// Starts one peer now (for tests that choose each start time).
    mutating func start(_ index: Int) {
        handle(peers[index].membership.start(nowMillis: now), of: index)
    }

    // MARK: Faults

    /// Stops a peer gracefully: it leaves (telling a few members), then goes down as a stopped
    /// process does.
    mutating func leave(_ index: Int) {
        handle(peers[index].membership.leave(nowMillis: now), of: index)
        kill(index)
    }

    /// Stops a peer: it sends nothing, receives nothing and stops ticking.
    mutating func kill(_ index: Int) {
        peers[index].up = false
        peers[index].nextTickMillis = nil
    }

    /// Restarts a killed peer with a fresh machine at incarnation 0, same identity and address.
    /// - Parameter withPersistedPeers: whether the seeds include the addresses of every member it
    ///   knew before, as ``ReplicationEngine`` seeds a restarted node from its peers table.
    mutating func restart(_ index: Int, withPersistedPeers: Bool = false) {
        let peer = peers[index]
        let seeds = peer.seeds + (withPersistedPeers ? peer.persisted : [])
        peers[index].membership = Membership(
            me: peer.id, address: peer.address, seeds: seeds, settings: settings, randomSeed: random.next())
        peers[index].up = true
        handle(peers[index].membership.start(nowMillis: now), of: index)
    }

    /// Cuts every link between the two groups.
    mutating func partition(_ groupA: [Int], _ groupB: [Int]) {
        for a in groupA {
            for b in groupB { cut.insert([min(a, b), max(a, b)]) }
        }
    }

    /// Restores every link.
    mutating func heal() {
        cut.removeAll()
    }

    // MARK: Running

    /// Delivers messages and runs ticks in time order up to `deadline`.
    mutating func run(until deadline: Int64) {
        while let (time, event) = nextEvent(), time <= deadline {
            now = time
            switch event {
            case .deliver(let position):
                let item = inFlight.remove(at: position)
                guard peers[item.to].up, !isCut(item.from, item.to) else { continue }
                let directives = peers[item.to].membership.received(
                    item.message, from: peers[item.from].id, nowMillis: now)
                handle(directives, of: item.to)
            case .tick(let index):
                peers[index].nextTickMillis = nil
                handle(peers[index].membership.tick(nowMillis: now), of: index)
            }
        }
        now = max(now, deadline)
    }

    /// Runs until `condition` holds (checked after every event) or `deadline` passes.
    /// - Returns: the time the condition first held, or nil.
    mutating func run(until deadline: Int64, stopWhen condition: (Self) -> Bool) -> Int64? {
        if condition(self) { return now }
        while let (time, _) = nextEvent(), time <= deadline {
            run(until: time)
            if condition(self) { return now }
        }
        now = max(now, deadline)
        return condition(self) ? now : nil
    }

    enum Event {
        case deliver(Int)
        case tick(Int)
    }

    func nextEvent() -> (Int64, Event)? {
        var best: (Int64, Int, Event)?
        for (position, item) in inFlight.enumerated()
        where best.map({ (item.deliverMillis, item.sequence) < ($0.0, $0.1) }) ?? true {
            best = (item.deliverMillis, item.sequence, .deliver(position))
        }
        for (index, peer) in peers.enumerated() where peer.up {
            guard let at = peer.nextTickMillis else { continue }
            // Ticks order after messages due at the same millisecond.
            if best.map({ at < $0.0 }) ?? true { best = (at, Int.max, .tick(index)) }
        }
        return best.map { ($0.0, $0.2) }
    }

    func isCut(_ a: Int, _ b: Int) -> Bool { cut.contains([min(a, b), max(a, b)]) }

    mutating func handle(_ directives: [Membership.Directive], of index: Int) {
        for directive in directives {
            switch directive {
            case .send(let message, let address):
                send(message, from: index, to: address)
            case .scheduleTick(let after):
                peers[index].nextTickMillis = now + after
            case .memberChanged(let update):
                peers[index].changes.append((now, directive))
                if update.status == .alive || update.status == .suspect,
                    !peers[index].persisted.contains(update.address)
                {
                    peers[index].persisted.append(update.address)
                }
            case .memberRemoved:
                peers[index].changes.append((now, directive))
            }
        }
    }

    mutating func send(_ message: Message, from index: Int, to address: PeerAddress) {
        messagesSent += 1
        let lost = Int(random.next() % 1_000) < lossPerMille
        guard peers[index].up, let target = peers.firstIndex(where: { $0.address == address }) else { return }
        guard !lost, !isCut(index, target) else {
            messagesLost += 1
            return
        }
        sequence += 1
        let latency = Int64.random(in: latencyMillis, using: &random)
        inFlight.append(
            InFlight(deliverMillis: now + latency, sequence: sequence, from: index, to: target, message: message))
    }

    // MARK: Views

    /// What peer `index` believes of peer `other`'s status, nil if unknown.
    func status(of other: Int, at index: Int) -> MemberStatus? {
        peers[index].membership.member(peers[other].id)?.status
    }

    /// True when every peer in `group` sees every other peer in `group` alive.
    func allAlive(_ group: [Int]) -> Bool {
        group.allSatisfy { index in
            group.allSatisfy { other in other == index || status(of: other, at: index) == .alive }
        }
    }

    /// True when every peer in `group` sees every other peer in `group` alive or suspect
    /// (suspects are still members; under loss some always are, briefly).
    func allLive(_ group: [Int]) -> Bool {
        group.allSatisfy { index in
            group.allSatisfy { other in
                other == index || status(of: other, at: index) == .alive || status(of: other, at: index) == .suspect
            }
        }
    }

    /// Peers whose change log ever reported `victim` with `status`.
    func reporters(of victim: Int, as status: MemberStatus) -> [Int] {
        peers.indices.filter { index in
            peers[index].changes.contains { change in
                if case .memberChanged(let update) = change.directive {
                    return update.id == peers[victim].id && update.status == status
                }
                return false
            }
        }
    }

    /// A compact trace of what every peer reported, for determinism checks.
    var trace: [String] {
        peers.map { peer in
            peer.changes.map { "\($0.millis):\($0.directive)" }.joined(separator: ";")
        }
    }
}
