import ArgumentParser
import Foundation
import Logging
import Starling
import StarlingCore
import StarlingHTTP

/// `starling serve`: runs a peer on a data directory until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a peer: host the stores of a data directory and replicate them over UDP.",
        discussion: """
            Opens (creating if needed) the data directory, hosts the `default` store and any \
            --store given, replicates with the peers it reaches through --join (gossip over UDP), \
            serves the HTTP API on --http, expires keys in the background, and on SIGINT or \
            SIGTERM stops the HTTP API, leaves the cluster, finishes queued writes and closes the \
            database cleanly. There is no access policy yet, so --http must be a loopback address \
            unless --allow-remote-http is given.

            Examples:
              starling serve
              starling serve --data-dir /var/lib/starling --gossip 0.0.0.0:7946 \\
                  --advertise 10.0.0.1:7946 --join 10.0.0.2:7946 --join 10.0.0.3:7946
              starling serve --cluster-key-file /etc/starling/cluster.keys
            """
    )

    @Option(help: "The data directory.")
    var dataDir = "./starling-data"

    @Option(name: .customLong("store"), help: "A store to host besides `default` (repeatable).")
    var stores: [String] = []

    @Option(help: "What an acknowledged write survives: process (default) or power.")
    var durability = "process"

    @Option(help: "TCP address of the HTTP API (HOST:PORT); loopback only unless --allow-remote-http.")
    var http = "127.0.0.1:7070"

    @Flag(help: """
        Let --http bind a non-loopback address. No access policy exists: anyone who can reach it \
        can read and write every store.
        """)
    var allowRemoteHttp = false

    @Option(help: "UDP address for gossip (HOST:PORT).")
    var gossip = "0.0.0.0:7946"

    @Option(help: "The gossip address other peers reach this one at (HOST:PORT). Default: the gossip address, with 0.0.0.0 as 127.0.0.1.")
    var advertise: String?

    @Option(name: .customLong("join"), help: "A peer's gossip address to join (HOST:PORT, repeatable).")
    var seeds: [String] = []

    @Option(help: "A file of base64 cluster keys, one per line, the first used to send: authenticates and encrypts gossip.")
    var clusterKeyFile: String?

    @Option(help: "The largest datagram sent, 1200 to 65000 bytes.")
    var maxDatagram = 1_200

    func run() async throws {
        let httpAddress = try Self.address(http, option: "--http")
        guard allowRemoteHttp || Self.isLoopback(httpAddress.host) else {
            throw ValidationError(
                "--http \(http) is not a loopback address and no access policy exists; "
                    + "pass --allow-remote-http to serve it anyway")
        }
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "starling")
        var settings = Node.Settings()
        settings.stores += stores
        guard let durability = StorageSettings.Durability(rawValue: durability) else {
            throw ValidationError("--durability must be process or power, not \(durability)")
        }
        settings.storage.durability = durability
        var configuration = StarlingServer.Configuration()
        configuration.dataDirectory = dataDir
        configuration.node = settings
        configuration.replication = try replicationSettings()
        configuration.httpHost = httpAddress.host
        configuration.httpPort = Int(httpAddress.port)
        let server: StarlingServer
        do {
            server = try await StarlingServer.start(configuration, logger: logger)
        } catch {
            throw CleanExit.message("error: \(error.kind.name): \(error.message)")
        }
        let node = server.node
        let stores = node.storeNamesSorted.joined(separator: ", ")
        LineOutput.emit(
            "starling node \(node.id) serving \(stores) from \(dataDir); gossip on \(server.replication.boundAddress); "
                + "HTTP on \(httpAddress.host):\(server.httpPort); Ctrl-C to stop")
        await SignalWaiter.waitForTermination()
        LineOutput.emit("shutting down: stopping HTTP, leaving the cluster, finishing queued writes")
        await server.shutdown()
    }

    private func replicationSettings() throws -> ReplicationSettings {
        var settings = ReplicationSettings()
        settings.bind = try Self.address(gossip, option: "--gossip")
        settings.advertise = try advertise.map { try Self.address($0, option: "--advertise") }
        settings.seeds = try seeds.map { try Self.address($0, option: "--join") }
        settings.maxDatagram = maxDatagram
        if let clusterKeyFile {
            let contents: String
            do {
                contents = try String(contentsOfFile: clusterKeyFile, encoding: .utf8)
            } catch {
                throw ValidationError("--cluster-key-file: cannot read \(clusterKeyFile): \(error.localizedDescription)")
            }
            do {
                settings.keyring = try ClusterKeyring(keyFileContents: contents)
            } catch {
                throw ValidationError("--cluster-key-file \(clusterKeyFile): \(error)")
            }
        }
        return settings
    }

    /// Whether `host` is a loopback address: `localhost`, `::1` or a dotted IPv4 `127.x.x.x`.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }

    static func address(_ text: String, option: String) throws -> PeerAddress {
        guard let address = PeerAddress(parsing: text) else {
            throw ValidationError("\(option) must be HOST:PORT, not \(text)")
        }
        return address
    }
}
