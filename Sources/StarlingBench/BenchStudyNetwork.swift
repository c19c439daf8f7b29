import Foundation
import StarlingCore
import Synchronization

/// The faults of the convergence study's loopback network, shared by every peer: a loss rate
/// applied where datagrams arrive (as a lossy link or the fault lab's ingress drop would), and
/// a set of isolated peers that neither receive from nor are heard by the others. Each
/// receiving port draws its losses from its own generator seeded from `seed`.
final class StudyFaults: Sendable {
    private struct State {
        var loss = 0.0
        var isolated: Set<UInt16> = []
        var generators: [UInt16: SplitMix64] = [:]
    }

    private let seed: UInt64
    private let state = Mutex(State())

    /// Faults whose loss draws derive from `seed`.
    init(seed: UInt64) {
        self.seed = seed
    }

    /// Drops each arriving datagram with probability `fraction` (0 to 1).
    func setLoss(_ fraction: Double) { state.withLock { $0.loss = fraction } }

    /// Cuts the peers bound to `ports` off from the rest (an empty set heals).
    func isolate(_ ports: Set<UInt16>) { state.withLock { $0.isolated = ports } }

    /// Whether a datagram from port `source` arriving at port `destination` is delivered: the
    /// inbound filter of every study peer's ``UDPReplication``.
    func delivers(from source: UInt16, to destination: UInt16) -> Bool {
        state.withLock { state in
            if state.isolated.contains(source) != state.isolated.contains(destination) { return false }
            var generator = state.generators[destination] ?? SplitMix64(seed: seed ^ UInt64(destination))
            let draw = Double(generator.next() >> 11) / Double(1 << 53)
            state.generators[destination] = generator
            return draw >= state.loss
        }
    }
}
