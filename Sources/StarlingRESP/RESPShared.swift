import Foundation
import NIOCore
import Starling
import StarlingCore
import Synchronization

/// What every connection of one listener shares: the node, replication, settings and counters.
final class RESPShared: Sendable {
    /// The Redis version reported to clients (`HELLO`, `INFO`): the one whose commands and reply
    /// shapes Starling follows, so that client libraries enable the right features.
    static let redisVersion = "7.2.0"

    let node: Node
    let replication: ReplicationEngine?
    let settings: RESPSettings
    let port: Int
    private let started = Date()
    private let nextClientID = Atomic<Int64>(1)
    /// The connections being served (what `INFO clients` counts), and whether the listener is
    /// closing: a connection that starts then is closed at once.
    private let connections = Mutex<(open: [ObjectIdentifier: any Channel], closing: Bool)>(([:], false))

    init(node: Node, replication: ReplicationEngine?, settings: RESPSettings, port: Int) {
        self.node = node
        self.replication = replication
        self.settings = settings
        self.port = port
    }

    /// A new client's id.
    func newClientID() -> Int64 {
        nextClientID.wrappingAdd(1, ordering: .relaxed).oldValue
    }

    /// Records a connection being served; closes it if the listener is closing.
    func opened(_ channel: any Channel) {
        let closing = connections.withLock { connections in
            connections.open[ObjectIdentifier(channel)] = channel
            return connections.closing
        }
        if closing { channel.close(promise: nil) }
    }

    /// Forgets a connection that ended.
    func ended(_ channel: any Channel) {
        _ = connections.withLock { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    /// Closes every connection, and any that starts from now on.
    func closeAll() {
        let open = connections.withLock { connections in
            connections.closing = true
            return Array(connections.open.values)
        }
        for channel in open { channel.close(promise: nil) }
    }

    var openClients: Int { connections.withLock { $0.open.count } }

    func serverSection() -> [String] {
        [
            "# Server", "redis_version:\(Self.redisVersion)", "redis_mode:standalone", "server_name:starling",
            "starling_node_id:\(node.id)", "starling_backend:kv.crdt", "starling_consistency:eventual",
            "os:\(ProcessInfo.processInfo.operatingSystemVersionString)",
            "process_id:\(ProcessInfo.processInfo.processIdentifier)", "tcp_port:\(port)",
            "uptime_in_seconds:\(Int(Date().timeIntervalSince(started)))",
            "databases:\(settings.databases.enumerated().map { "\($0)=\($1)" }.joined(separator: ","))", "",
        ]
    }

    /// `# Replication`: Starling has no primary; every peer is a `master` and lists its members
    /// with their state and how far they lag behind this peer's writes.
    func replicationSection() async -> [String] {
        var lines = ["# Replication", "role:master", "connected_slaves:0"]
        guard let replication else {
            lines += ["starling_members:0", ""]
            return lines
        }
        let members = await replication.members().sorted { $0.update.id < $1.update.id }
        lines.append("starling_address:\(replication.address)")
        lines.append("starling_members:\(members.count)")
        for (index, member) in members.enumerated() {
            lines.append(
                "member\(index):id=\(member.update.id),address=\(member.update.address),"
                    + "state=\(member.update.status),lag_seq=\(member.lagSeq),lag_ms=\(member.lagMillis)")
        }
        lines.append("")
        return lines
    }
}
