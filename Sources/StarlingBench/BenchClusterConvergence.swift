import Foundation
import Starling
import StarlingCore

/// How a convergence wait ended.
struct BenchClusterConvergence: Sendable {
    /// The monotonic instant (``BenchClock``) at which convergence was observed: the poll at
    /// which every feed was acknowledged (verified by equal digests computed right after it),
    /// or the end of a digest comparison that found every digest equal.
    var instant: UInt64
    /// Digest comparisons that found a difference.
    var digestMismatches: Int
    /// Whether the digests were equal while some feed was still unacknowledged.
    var convergedBeforeAcks: Bool
}

/// A wait for convergence (or visibility) passed `--deadline`: the cluster's remaining
/// measurements are skipped, and the report says so.
struct BenchClusterTimeout: Error, CustomStringConvertible {
    /// What did not converge, and the state of the acknowledgements then.
    var description: String
}

/// What the running peers' engines report about acknowledgements, at one poll.
struct BenchClusterLag: Sendable {
    /// One line per peer whose feed another running peer has not acknowledged in full.
    var lines: [String] = []
    /// Unacknowledged sequence numbers summed over all (peer, member) pairs.
    var total: Int64 = 0
    /// (peer, member) pairs with a lag.
    var pairs = 0
    /// How often each member status was seen across all peers' member lists.
    var statuses: [String: Int] = [:]

    var isEmpty: Bool { pairs == 0 }

    var summary: String {
        let seen = statuses.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        return "\(pairs) peer pairs lag \(total) seqs in all; member views: \(seen)"
    }
}

extension BenchClusterPeers {
    /// Waits until the running peers hold the same state; polls every 20 ms.
    ///
    /// Converged means equal `stateDigest` on every running peer. Digests are compared when
    /// every peer's whole feed (`node.lastSeq`) is acknowledged by every other running peer
    /// (converged at that poll), or, since acknowledgements can lag the data (a change also
    /// arrives relayed by other peers), when no peer's feed head moved since the previous poll
    /// (converged by the end of that comparison). Comparisons are spaced to take at most a
    /// fifth of the wall time, and happen at least every 5 s.
    /// - Throws: ``BenchFailure`` naming each peer's feed head and lags after the deadline.
    func awaitConvergence(_ what: String) async throws -> BenchClusterConvergence {
        let start = BenchClock.nanos()
        let deadline = start + UInt64(options.deadlineSeconds * 1e9)
        var mismatches = 0
        var (nextDigest, lastDigest, digestNanos) = (start, start, UInt64(0))
        var nextReport = start + 5_000_000_000
        var heads: [Int64] = []
        while true {
            let now = BenchClock.nanos()
            let lag = await unacknowledged()
            let newHeads = running.map { peers[$0].node.lastSeq }
            let quiet = newHeads == heads
            heads = newHeads
            if now >= nextReport {
                nextReport = now + 5_000_000_000
                progress("    \(what): waiting \(Self.seconds(now - start)) s; \(lag.summary)")
            }
            if lag.isEmpty || (quiet && now >= nextDigest) || now - lastDigest >= 5_000_000_000 {
                let equal = try await digestsEqual()
                let end = BenchClock.nanos()
                (lastDigest, digestNanos) = (end, end - now)
                nextDigest = end + max(20_000_000, 4 * digestNanos)
                if equal {
                    if !lag.isEmpty {
                        progress(
                            "    \(what): digests equal (compared in \(digestNanos / 1_000_000) ms) while "
                                + lag.summary)
                    }
                    return BenchClusterConvergence(
                        instant: lag.isEmpty ? now : end, digestMismatches: mismatches,
                        convergedBeforeAcks: !lag.isEmpty)
                }
                mismatches += 1
            }
            guard BenchClock.nanos() < deadline else {
                let detail =
                    lag.isEmpty ? "all feeds acknowledged but digests differ" : lag.lines.joined(separator: "; ")
                throw BenchClusterTimeout(
                    description:
                        "\(what): no convergence within \(options.deadlineSeconds) s (digest mismatches: \(mismatches), "
                        + "last comparison \(digestNanos / 1_000_000) ms): \(detail)")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }

    /// Waits, untimed, until every running peer's whole feed is acknowledged by every other,
    /// for at most `--settle` seconds, so that retransmissions of one phase do not run into the
    /// next. Returns the seconds it took, or nil with the lag left.
    func settle(_ what: String) async throws -> (seconds: Double?, lagLeft: Int64) {
        let start = BenchClock.nanos()
        var lag = await unacknowledged()
        while !lag.isEmpty, BenchClock.nanos() - start < UInt64(options.settleSeconds * 1e9) {
            try await Task.sleep(nanoseconds: 20_000_000)
            lag = await unacknowledged()
        }
        let elapsed = Double(BenchClock.nanos() - start) / 1e9
        progress(
            lag.isEmpty
                ? "    \(what): every feed acknowledged \(BenchReport.format(elapsed, decimals: 2)) s after convergence"
                : "    \(what): after \(options.settleSeconds) s of settling, \(lag.summary)")
        return (lag.isEmpty ? elapsed : nil, lag.total)
    }

    private static func seconds(_ nanos: UInt64) -> String { BenchReport.format(Double(nanos) / 1e9, decimals: 1) }

    /// For each running peer: which of its neighbours in the dissemination tree (the members it
    /// sends its feed to) among the running peers have not acknowledged its whole feed, by the
    /// engine's own `lagSeq`, with the member's status as that peer sees it. Every peer empty
    /// means every feed is acknowledged along every edge.
    func unacknowledged() async -> BenchClusterLag {
        var lag = BenchClusterLag()
        let live = running
        for index in live {
            let peer = peers[index]
            let head = peer.node.lastSeq
            var byID: [NodeID: MemberSnapshot] = [:]
            for member in await peer.replication.engine.members() {
                byID[member.update.id] = member
                lag.statuses["\(member.update.status)", default: 0] += 1
            }
            let behind = live.filter { $0 != index && (byID[peers[$0].node.id]?.lagSeq ?? 0) > 0 }
            guard !behind.isEmpty else { continue }
            let parts = behind.map { other in
                guard let member = byID[peers[other].node.id] else { return "peer \(other) unknown" }
                lag.total += member.lagSeq
                return "peer \(other) lags \(member.lagSeq) (acked \(member.acked), \(member.update.status))"
            }
            lag.pairs += behind.count
            lag.lines.append("peer \(index) head \(head): \(parts.joined(separator: ", "))")
        }
        return lag
    }

    /// Whether every running peer's `stateDigest` is the same, computed at one instant. Runs on
    /// a dispatch queue, so the scans (up to seconds on big clusters) do not hold one of the few
    /// threads the peers' engines and writers share.
    func digestsEqual() async throws -> Bool {
        let nodes = running.map { peers[$0].node }
        let now = Int64(Date().timeIntervalSince1970 * 1_000)
        let result: Result<Bool, StoreError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(
                    returning: Result { () throws(StoreError) -> Bool in
                        Set(try nodes.map { node throws(StoreError) in try node.stateDigest(at: now) }).count <= 1
                    })
            }
        }
        return try result.get()
    }
}
