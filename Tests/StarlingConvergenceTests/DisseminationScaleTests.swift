import Foundation
import StarlingCore
import StarlingTestKit
import Testing

/// Dissemination at scale in simulated time (Replication.md, "Dissemination along a tree"): a
/// burst at one peer reaches every peer, and what each receiving peer costs per write does not
/// grow with the cluster. Deterministic: byte counts replay exactly from the seed, so these are
/// properties of the protocol, not timings. 33 peers run in the default suite; 257 with
/// `STARLING_SOAK=1` (about two minutes in a release build, several in a debug one).
@Suite(.showsLogsOnFailure) struct DisseminationScaleTests {
    static let soak = ProcessInfo.processInfo.environment["STARLING_SOAK"] == "1"

    /// Runs the burst study at `sizes` and checks each against the smallest.
    static func checkFlat(_ sizes: [Int], burst: Int, seed: UInt64) async throws {
        var results: [BurstStudy.Result] = []
        for size in sizes {
            let result = try await BurstStudy(peers: size, burst: burst, seed: seed).run()
            #expect(result.joinMillis != nil, "seed \(seed): \(size) peers did not all see each other")
            #expect(result.convergeMillis != nil, "seed \(seed): \(size) peers did not converge")
            results.append(result)
        }
        let base = try #require(results.first)
        for result in results.dropFirst() {
            #expect(
                result.bytesPerPeerPerWrite <= 1.5 * base.bytesPerPeerPerWrite,
                "seed \(seed): \(result.peers) peers cost \(result.bytesPerPeerPerWrite) bytes per receiving peer per write, \(base.peers) cost \(base.bytesPerPeerPerWrite)"
            )
        }
    }

    /// Peers past the 254th once got 10.77.0.255 and on: not addresses, so refused on the wire,
    /// and a 257-peer cluster never formed.
    @Test func everySimulatedPeerHasADistinctNumericAddress() {
        let addresses = (0..<600).map(SimulatedCluster.address(of:))
        #expect(addresses.allSatisfy { $0.isNumeric })
        #expect(Set(addresses).count == 600)
        #expect(SimulatedCluster.address(of: 0).host == "10.77.0.1", "the first 254 keep their addresses")
    }

    @Test func aBurstCostsEachPeerAboutTheSameFromThreeToThirtyThreePeers() async throws {
        try await Self.checkFlat([3, 33], burst: 300, seed: 3)
    }

    @Test(.enabled(if: soak))
    func aBurstCostsEachPeerAboutTheSameUpToTwoHundredFiftySevenPeers() async throws {
        try await Self.checkFlat([3, 9, 33, 129, 257], burst: 1_000, seed: 1)
    }
}
