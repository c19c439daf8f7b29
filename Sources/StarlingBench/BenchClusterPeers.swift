import Foundation
import Logging
import Starling
import StarlingCore

#if canImport(Glibc)
    import Glibc
#endif

/// The peers of one in-process loopback cluster: each a ``Node`` in its own data directory and
/// a ``UDPReplication`` bound to `127.0.0.1`, all joined through the first peer's address.
struct BenchClusterPeers {
    /// One running (or stopped) peer.
    struct Peer: Sendable {
        var directory: String
        var node: Node
        var replication: UDPReplication
        var store: Store
        var running = true
    }

    let options: BenchClusterOptions
    let logger: Logger
    /// Where progress lines go (standard error).
    let progress: @Sendable (String) -> Void
    private(set) var peers: [Peer] = []

    /// The default store of every peer, running or not, by index.
    var stores: [Store] { peers.map(\.store) }

    /// The indices of the running peers.
    var running: [Int] { peers.indices.filter { peers[$0].running } }

    /// Starts `count` peers in `directory/peer-<i>`, the first with no seeds, the others
    /// joined through it, and waits until every peer sees every other as alive.
    static func start(
        count: Int, directory: String, options: BenchClusterOptions, logger: Logger,
        progress: @escaping @Sendable (String) -> Void
    ) async throws -> BenchClusterPeers {
        var cluster = BenchClusterPeers(options: options, logger: logger, progress: progress)
        for index in 0..<count {
            let seeds = cluster.peers.first.map { [$0.replication.boundAddress] } ?? []
            let port = try freePort(avoiding: Set(cluster.peers.map(\.replication.boundAddress.port)))
            let peer = try await cluster.open(directory: directory + "/peer-\(index)", port: port, seeds: seeds)
            cluster.peers.append(peer)
        }
        try await cluster.awaitMembership()
        return cluster
    }

    /// A UDP port on 127.0.0.1 that no socket holds now, and not in `avoiding`.
    ///
    /// Not simply port 0: the library binds with `SO_REUSEADDR`, with which Linux may hand a
    /// port 0 bind a port another reuse socket of this process already holds (the later socket
    /// then receives all its unicast datagrams, and one peer goes deaf). A probe socket bound
    /// without `SO_REUSEADDR` only ever gets a port nobody holds.
    private static func freePort(avoiding: Set<UInt16>) throws -> UInt16 {
        #if canImport(Glibc)
            for _ in 0..<100 {
                let descriptor = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                guard descriptor >= 0 else { break }
                defer { close(descriptor) }
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let bound = withUnsafeMutablePointer(to: &address) { pointer in
                    pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                        bind(descriptor, generic, length) == 0 && getsockname(descriptor, generic, &length) == 0
                    }
                }
                let port = UInt16(bigEndian: address.sin_port)
                if bound, port != 0, !avoiding.contains(port) { return port }
            }
            throw BenchFailure("cannot find a free UDP port on 127.0.0.1")
        #else
            return 0
        #endif
    }

    private func open(directory: String, port: UInt16, seeds: [PeerAddress]) async throws -> Peer {
        let node = try Node.open(directory: directory, logger: logger)
        do {
            let replication = try await UDPReplication.start(
                node: node, settings: options.replicationSettings(port: port, seeds: seeds), logger: logger)
            return Peer(directory: directory, node: node, replication: replication, store: try node.store("default"))
        } catch {
            await node.close()
            throw error
        }
    }

    /// Stops peer `index` like a clean shutdown: leaves the cluster, closes its node, keeps its
    /// data directory.
    mutating func stop(_ index: Int) async {
        guard peers[index].running else { return }
        await peers[index].replication.stop()
        await peers[index].node.close()
        peers[index].running = false
    }

    /// Reopens the stopped peer `index` from its data directory, on its old port, joined
    /// through peer 0.
    mutating func restart(_ index: Int) async throws {
        let old = peers[index]
        precondition(!old.running && index != 0, "only a stopped peer other than the seed restarts")
        peers[index] = try await open(
            directory: old.directory, port: old.replication.boundAddress.port,
            seeds: [peers[0].replication.boundAddress])
    }

    /// Stops every running peer, then closes their nodes.
    mutating func stopAll() async {
        for index in running { await peers[index].replication.stop() }
        for index in running {
            await peers[index].node.close()
            peers[index].running = false
        }
    }

    /// The replication statistics of every running peer, summed (`dropped` merged by reason).
    func totalStatistics() async -> ReplicationStatistics {
        var total = ReplicationStatistics()
        for index in running {
            let one = await peers[index].replication.engine.statistics
            total.datagramsSent += one.datagramsSent
            total.datagramsReceived += one.datagramsReceived
            total.bytesSent += one.bytesSent
            total.bytesReceived += one.bytesReceived
            total.deltasSent += one.deltasSent
            total.deltasReceived += one.deltasReceived
            total.entriesApplied += one.entriesApplied
            total.dropped.merge(one.dropped, uniquingKeysWith: +)
            total.clockOffsetRejections += one.clockOffsetRejections
            total.repairsStarted += one.repairsStarted
            total.repairEntriesApplied += one.repairEntriesApplied
            total.staleWritesDropped += one.staleWritesDropped
        }
        return total
    }

    /// Waits until every running peer sees every other running peer as alive.
    func awaitMembership() async throws {
        let deadline = BenchClock.nanos() + UInt64(options.deadlineSeconds * 1e9)
        while true {
            var missing: [String] = []
            for index in running {
                let alive = Set(
                    await peers[index].replication.engine.members().filter { $0.update.status == .alive }.map(
                        \.update.id))
                let absent = running.filter { $0 != index && !alive.contains(peers[$0].node.id) }
                if !absent.isEmpty { missing.append("peer \(index) lacks \(absent)") }
            }
            if missing.isEmpty { return }
            guard BenchClock.nanos() < deadline else {
                let ports = running.map { "\($0)=\(peers[$0].replication.boundAddress.port)" }.joined(separator: " ")
                throw BenchFailure(
                    "membership did not form within \(options.deadlineSeconds) s: \(missing.joined(separator: "; ")) "
                        + "(UDP ports: \(ports))")
            }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
    }
}
