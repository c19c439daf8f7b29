import StarlingCore
import StarlingTestKit
import Testing

/// Two peers, B and C, that joined through one seed, A, and must keep each other once A is gone
/// (field report: with real `starling serve` processes, B and C never saw each other alive again
/// after A stopped). Each test sweeps 200 seeds of ``MembershipSimulator``; a failure names its
/// seed and the scenario's timing, and ``scenario(seed:departure:fault:)`` replays it exactly.
@Suite(.showsLogsOnFailure) struct MembershipLostSeedTests {
    static let sweep: ClosedRange<UInt64> = 1...200
    static let a = 0, b = 1, c = 2

    enum Departure: CaseIterable { case leave, crash }

    /// What happens to the pair after A is gone.
    enum Fault {
        /// Nothing.
        case none
        /// B and C cannot reach each other for a while, then can.
        case cut
        /// Heavy random loss for a minute.
        case loss
        /// B crashes (or stops gracefully) and restarts with only its configured seed, A, and
        /// the members it persisted.
        case restartB(graceful: Bool)
    }

    /// Runs one scenario: A starts; B and C start within the first two seconds (half of the
    /// seeds at the very same millisecond) with A as their only seed; once both have met A,
    /// A leaves or crashes 0 to 1.5 s later; then `fault`. Returns nil if B and C see each other
    /// alive within the bound after the fault and still do 100 s later, else what went wrong.
    static func scenario(seed: UInt64, departure: Departure, fault: Fault) -> String? {
        var simulator = MembershipSimulator(count: 3, seed: seed)
        var random = SeededGenerator(seed: seed ^ 0x5EED)
        let sameMoment = Bool.random(using: &random)
        simulator.start(a)
        let startB = Int64.random(in: 0..<2_000, using: &random)
        let startC = sameMoment ? startB : Int64.random(in: 0..<2_000, using: &random)
        for (index, at) in [(b, startB), (c, startC)].sorted(by: { $0.1 < $1.1 }) {
            simulator.run(until: at)
            simulator.start(index)
        }
        let met = simulator.run(until: 10_000) {
            $0.status(of: a, at: b) == .alive && $0.status(of: a, at: c) == .alive
        }
        guard met != nil else { return "B and C did not both meet A within 10 s" }
        let delay = Int64.random(in: 0...1_500, using: &random)
        simulator.run(until: simulator.now + delay)
        let context = "A \(departure) \(delay) ms after both met it (B at \(startB), C at \(startC))"
        switch departure {
        case .leave: simulator.leave(a)
        case .crash: simulator.kill(a)
        }
        let pair = [b, c]
        // Without faults, each meets the other within two probe periods of meeting A (the later
        // one learns the earlier from A's ack) or from A's leave pings.
        guard simulator.run(until: simulator.now + 10_000, stopWhen: { $0.allAlive(pair) }) != nil else {
            return "\(context): B and C never saw each other alive"
        }
        // After a fault is over, one reconnect interval (5 s) for a ping across, a period for the
        // refutations: bound 15 s.
        var faultContext = ""
        switch fault {
        case .none:
            break
        case .cut:
            let length = Int64.random(in: 1_000...150_000, using: &random)
            faultContext = ", then B and C cut off for \(length) ms"
            simulator.partition([b], [c])
            simulator.run(until: simulator.now + length)
            simulator.heal()
        case .loss:
            let lossPerMille = Int.random(in: 100...500, using: &random)
            faultContext = ", then \(lossPerMille)‰ loss for 60 s"
            simulator.lossPerMille = lossPerMille
            simulator.run(until: simulator.now + 60_000)
            simulator.lossPerMille = 0
        case .restartB(let graceful):
            let down = Int64.random(in: 0...120_000, using: &random)
            faultContext = ", then B \(graceful ? "stopped" : "crashed") for \(down) ms and restarted"
            if graceful { simulator.leave(b) } else { simulator.kill(b) }
            simulator.run(until: simulator.now + down)
            simulator.restart(b, withPersistedPeers: true)
        }
        let healedAt = simulator.now
        guard simulator.run(until: healedAt + 15_000, stopWhen: { $0.allAlive(pair) }) != nil else {
            let views =
                "B sees C \(describe(simulator.status(of: c, at: b))), C sees B \(describe(simulator.status(of: b, at: c)))"
            return "\(context)\(faultContext): not alive to each other 15 s later: \(views)"
        }
        simulator.run(until: simulator.now + 100_000)
        guard simulator.allAlive(pair) else { return "\(context)\(faultContext): lost each other again later" }
        return nil
    }

    static func describe(_ status: MemberStatus?) -> String { status.map { "\($0)" } ?? "unknown" }

    static func check(departure: Departure, fault: Fault) {
        for seed in sweep {
            if let failure = scenario(seed: seed, departure: departure, fault: fault) {
                Issue.record("seed \(seed): \(failure)")
            }
        }
    }

    @Test(arguments: Departure.allCases)
    func peersWhoseOnlySeedIsGoneKeepEachOther(departure: Departure) {
        Self.check(departure: departure, fault: .none)
    }

    @Test(arguments: Departure.allCases)
    func peersWhoseOnlySeedIsGoneFindEachOtherAfterBeingCutOff(departure: Departure) {
        Self.check(departure: departure, fault: .cut)
    }

    @Test(arguments: Departure.allCases)
    func peersWhoseOnlySeedIsGoneFindEachOtherAfterAMinuteOfHeavyLoss(departure: Departure) {
        Self.check(departure: departure, fault: .loss)
    }

    @Test(arguments: [false, true])
    func peerRestartedAfterItsOnlySeedIsGoneFindsTheOtherThroughPersistedPeers(graceful: Bool) {
        Self.check(departure: .leave, fault: .restartB(graceful: graceful))
        Self.check(departure: .crash, fault: .restartB(graceful: graceful))
    }
}
