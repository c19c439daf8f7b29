import ArgumentParser
import Foundation
import StarlingTestKit

/// `starling-bench simulate`: how dissemination scales with the cluster, in simulated time.
struct BenchSimulation: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Study dissemination by cluster size: N simulated peers in this process, a burst at one.",
        discussion: """
            For every size in --peers, starts that many peers in this process (real nodes and \
            replication engines on temporary files) over the deterministic simulated network of \
            the convergence tests (1-5 ms per datagram, optional --loss), waits until every peer \
            sees every other alive, writes a --burst of new keys at peer 0 (msets of 100, values \
            of 100 bytes as `cluster` writes) and \
            runs simulated time until every peer holds them all. Reports, per size: simulated \
            time and gossip rounds (of the 200 ms round interval) to converge, the hops from \
            peer 0 to the farthest peer along the dissemination tree, bytes and datagrams sent \
            per receiving peer per write (every datagram of every peer, acknowledgements and \
            membership included, over the peers but the writer), and the \
            peak backlog of one peer to one neighbour (sequence numbers not yet acknowledged). \
            No wall-clock time enters any figure: a run replays exactly from --seed. Prints a \
            table, or one JSON object per size with --json; progress goes to standard error. \
            `tools/dissemination-study` runs it and plots the curve.

            Examples:
              starling-bench simulate
              starling-bench simulate --peers 3,9 --burst 200 --loss 5
            """
    )

    @Option(help: "Cluster sizes, comma-separated (each 2 to 512).")
    var peers = "3,9,33,129,257"

    @Option(help: "New keys written at peer 0.")
    var burst = 1_000

    @Option(help: "Datagram loss in percent (0 to 50).")
    var loss = 0.0

    @Option(help: "Simulated seconds the join, and then the convergence, may take.")
    var deadline = 600.0

    @Option(help: "Seed of the network and of every peer.")
    var seed: UInt64 = 1

    @Flag(help: "One JSON object per size instead of the table.")
    var json = false

    func validate() throws {
        let sizes = try BenchStudy.list(peers, "--peers")
        guard sizes.allSatisfy({ (2...512).contains($0) }) else {
            throw ValidationError("--peers must be 2 to 512 each, not \(peers)")
        }
        guard burst >= 1 else { throw ValidationError("--burst must be at least 1, not \(burst)") }
        guard (0...50).contains(loss) else { throw ValidationError("--loss must be 0 to 50, not \(loss)") }
        guard deadline > 0 else { throw ValidationError("--deadline must be more than 0, not \(deadline)") }
    }

    func run() async throws {
        var results: [BurstStudy.Result] = []
        for size in try BenchStudy.list(peers, "--peers") {
            FileHandle.standardError.write(Data("simulating \(size) peers\n".utf8))
            let study = BurstStudy(
                peers: size, burst: burst, loss: loss / 100, deadlineMillis: Int64(deadline * 1_000), seed: seed)
            let result = try await study.run()
            if json { print(try Self.json(result)) }
            results.append(result)
        }
        if !json { print(Self.table(results)) }
    }

    static func json(_ result: BurstStudy.Result) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return String(decoding: try encoder.encode(result), as: UTF8.self)
    }

    static func table(_ results: [BurstStudy.Result]) -> String {
        var lines = [
            "| peers | joined after (sim. s) | converged after (sim. ms) | rounds | tree hops from the writer "
                + "| bytes / receiving peer / write | datagrams / receiving peer / write | peak backlog (seqs) |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for result in results {
            let joined =
                result.joinMillis.map { String(format: "%.1f", Double($0) / 1_000) }
                ?? "did not join (fewest seen alive \(result.leastSeenAlive), \(result.peersSeeingFailures) peers see failures)"
            let converged = result.convergeMillis.map(String.init) ?? "did not converge"
            let rounds = result.rounds.map(String.init) ?? "–"
            let traffic = String(format: "%.0f | %.2f", result.bytesPerPeerPerWrite, result.datagramsPerPeerPerWrite)
            lines.append(
                "| \(result.peers) | \(joined) | \(converged) | \(rounds) | \(result.hops) | \(traffic) "
                    + "| \(result.peakBacklog) |")
        }
        return lines.joined(separator: "\n")
    }
}
