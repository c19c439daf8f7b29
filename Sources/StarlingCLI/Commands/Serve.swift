import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import Starling
import StarlingCore
import StarlingHTTP
import StarlingRESP
import UnixSignals

/// `starling serve`: runs a peer on a data directory until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a peer: host the stores of a data directory and replicate them over UDP.",
        discussion: """
            Opens (creating if needed) the data directory, hosts the `default` store and any \
            --store given, replicates with the peers it reaches through --join (gossip over UDP), \
            serves the HTTP API on --http (with Prometheus metrics at GET /metrics), expires keys in \
            the background, and on SIGINT or SIGTERM stops the HTTP API, leaves the cluster, \
            finishes queued writes and closes the database cleanly. Without an access policy \
            (--policy-file) every request is allowed, so --http must then be a loopback address \
            unless --allow-remote-http is given.

            Every setting can also come from a TOML file (--config FILE or STARLING_CONFIG) and \
            from an environment variable STARLING_<SETTING> (lists comma-separated); flags win over \
            the environment, which wins over the file. Unknown keys and variables are refused.

            A data directory that was initialised (it has node.id) but lost its starling.db, holds \
            a write-ahead log without its database, belongs to another node, or whose database is \
            corrupt is refused with a message naming the file; restore a backup, or start once with \
            --reinitialize to move the old files aside (renamed, never deleted) and start empty.

            Examples:
              starling serve
              starling serve --data-dir /var/lib/starling --gossip 0.0.0.0:7946 \\
                  --advertise 10.0.0.1:7946 --join 10.0.0.2:7946 --join 10.0.0.3:7946
              starling serve --config /etc/starling/starling.toml
              STARLING_JOIN=10.0.0.2:7946,10.0.0.3:7946 starling serve --cluster-key-file /etc/starling/cluster.keys
            """
    )

    @Option(help: "A TOML configuration file (STARLING_CONFIG).")
    var config: String?

    @Option(help: ArgumentHelp(ServeSetting.help("data_dir"), valueName: "dir"))
    var dataDir: String?

    @Option(name: .customLong("store"), help: ArgumentHelp(ServeSetting.help("stores"), valueName: "id"))
    var stores: [String] = []

    @Option(help: ArgumentHelp(ServeSetting.help("durability"), valueName: "process|power"))
    var durability: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(ServeSetting.help("check_on_open")))
    var checkOnOpen: Bool?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(ServeSetting.help("reinitialize")))
    var reinitialize: Bool?

    @Option(help: ArgumentHelp(ServeSetting.help("http"), valueName: "host:port"))
    var http: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(ServeSetting.help("allow_remote_http")))
    var allowRemoteHttp: Bool?

    @Option(help: ArgumentHelp(ServeSetting.help("resp"), valueName: "host:port|off"))
    var resp: String?

    @Option(
        name: .customLong("resp-database"),
        help: ArgumentHelp(ServeSetting.help("resp_databases"), valueName: "store"))
    var respDatabases: [String] = []

    @Option(help: ArgumentHelp(ServeSetting.help("gossip"), valueName: "host:port"))
    var gossip: String?

    @Flag(inversion: .prefixedNo, help: ArgumentHelp(ServeSetting.help("allow_insecure_gossip")))
    var allowInsecureGossip: Bool?

    @Option(help: ArgumentHelp(ServeSetting.help("advertise"), valueName: "host:port"))
    var advertise: String?

    @Option(name: .customLong("join"), help: ArgumentHelp(ServeSetting.help("join"), valueName: "host:port"))
    var seeds: [String] = []

    @Option(help: ArgumentHelp(ServeSetting.help("cluster_key_file"), valueName: "file"))
    var clusterKeyFile: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_datagram"), valueName: "bytes"))
    var maxDatagram: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_key_bytes"), valueName: "bytes"))
    var maxKeyBytes: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_value_bytes"), valueName: "bytes"))
    var maxValueBytes: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_clock_offset"), valueName: "duration"))
    var maxClockOffset: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_body_bytes"), valueName: "bytes"))
    var maxBodyBytes: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_connections"), valueName: "count"))
    var maxConnections: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_watchers"), valueName: "count"))
    var maxWatchers: String?

    @Option(help: ArgumentHelp(ServeSetting.help("header_timeout"), valueName: "duration"))
    var headerTimeout: String?

    @Option(help: ArgumentHelp(ServeSetting.help("body_timeout"), valueName: "duration"))
    var bodyTimeout: String?

    @Option(help: ArgumentHelp(ServeSetting.help("idle_timeout"), valueName: "duration"))
    var idleTimeout: String?

    @Option(help: ArgumentHelp(ServeSetting.help("round_interval"), valueName: "duration"))
    var roundInterval: String?

    @Option(help: ArgumentHelp(ServeSetting.help("ack_timeout"), valueName: "duration"))
    var ackTimeout: String?

    @Option(help: ArgumentHelp(ServeSetting.help("digest_interval"), valueName: "duration"))
    var digestInterval: String?

    @Option(help: ArgumentHelp(ServeSetting.help("probe_interval"), valueName: "duration"))
    var probeInterval: String?

    @Option(help: ArgumentHelp(ServeSetting.help("probe_timeout"), valueName: "duration"))
    var probeTimeout: String?

    @Option(help: ArgumentHelp(ServeSetting.help("suspicion_timeout"), valueName: "duration"))
    var suspicionTimeout: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_backlog"), valueName: "changes"))
    var maxBacklog: String?

    @Option(help: ArgumentHelp(ServeSetting.help("max_write_wait"), valueName: "duration"))
    var maxWriteWait: String?

    @Option(help: ArgumentHelp(ServeSetting.help("tombstone_grace"), valueName: "duration"))
    var tombstoneGrace: String?

    @Option(help: ArgumentHelp(ServeSetting.help("log_level"), valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp(ServeSetting.help("policy_file"), valueName: "file"))
    var policyFile: String?

    @Flag(help: .hidden)
    var printConfig = false

    @Flag(help: .hidden)
    var printSettingsReference = false

    /// The flags given on the command line, by setting name; flags not given are absent.
    func givenFlags() -> [String: SettingValue] {
        let texts: [(String, String?)] = [
            ("config", config), ("data_dir", dataDir), ("durability", durability), ("http", http),
            ("resp", resp), ("gossip", gossip), ("advertise", advertise), ("cluster_key_file", clusterKeyFile),
            ("max_datagram", maxDatagram), ("max_key_bytes", maxKeyBytes), ("max_value_bytes", maxValueBytes),
            ("max_clock_offset", maxClockOffset), ("max_body_bytes", maxBodyBytes),
            ("max_connections", maxConnections), ("max_watchers", maxWatchers), ("header_timeout", headerTimeout),
            ("body_timeout", bodyTimeout), ("idle_timeout", idleTimeout),
            ("round_interval", roundInterval), ("ack_timeout", ackTimeout), ("digest_interval", digestInterval),
            ("probe_interval", probeInterval), ("probe_timeout", probeTimeout),
            ("suspicion_timeout", suspicionTimeout), ("max_backlog", maxBacklog), ("max_write_wait", maxWriteWait),
            ("tombstone_grace", tombstoneGrace),
            ("log_level", logLevel), ("policy_file", policyFile),
        ]
        var flags: [String: SettingValue] = [:]
        for case (let name, let text?) in texts { flags[name] = .unparsed(text) }
        if !stores.isEmpty { flags["stores"] = .list(stores) }
        if !seeds.isEmpty { flags["join"] = .list(seeds) }
        if !respDatabases.isEmpty { flags["resp_databases"] = .list(respDatabases) }
        if let allowRemoteHttp { flags["allow_remote_http"] = .boolean(allowRemoteHttp) }
        if let allowInsecureGossip { flags["allow_insecure_gossip"] = .boolean(allowInsecureGossip) }
        if let checkOnOpen { flags["check_on_open"] = .boolean(checkOnOpen) }
        if let reinitialize { flags["reinitialize"] = .boolean(reinitialize) }
        return flags
    }

    func run() async throws {
        if printSettingsReference {
            LineOutput.emit(ServeSetting.markdownReference())
            return
        }
        let configuration: ServeConfiguration
        do {
            configuration = try ServeConfiguration.resolve(
                flags: givenFlags(), environment: ProcessInfo.processInfo.environment, readFile: TextFile.read)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if printConfig {
            LineOutput.emit(configuration.tomlText())
            return
        }
        try await serve(configuration)
    }

    /// Runs the peer `configuration` describes until SIGINT or SIGTERM.
    private func serve(_ configuration: ServeConfiguration) async throws {
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "starling")
        if let risk = configuration.insecureGossipRisk {
            logger.warning(
                """
                INSECURE GOSSIP: \(risk); allow_insecure_gossip is set, so anyone who can send UDP to \
                \(configuration.gossip) can join this cluster and read, write or clear every store. Use it only \
                on a trusted network; `starling keygen FILE` writes a cluster key
                """)
        }
        // Before the node and engine exist: their instruments are created with the factory in place.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        var server = StarlingServer.Configuration()
        server.dataDirectory = configuration.dataDir
        server.node = configuration.nodeSettings
        server.replication = configuration.replicationSettings
        server.httpHost = configuration.http.host
        server.httpPort = Int(configuration.http.port)
        server.resp = configuration.resp.map { (host: $0.host, port: Int($0.port)) }
        server.respSettings.databases = configuration.respDatabases
        server.respSettings.policy = configuration.policy
        server.api.maxBodyBytes = configuration.maxBodyBytes
        server.maxConnections = configuration.maxConnections
        server.api.maxWatchers = configuration.maxWatchers
        server.api.headerTimeout = Self.limit(configuration.headerTimeoutMillis)
        server.api.bodyTimeout = Self.limit(configuration.bodyTimeoutMillis)
        server.api.idleTimeout = Self.limit(configuration.idleTimeoutMillis)
        server.api.metrics = registry
        server.api.policy = configuration.policy
        // Caught from the start: a supervisor may send SIGTERM the moment the ready line appears.
        server.shutdownSignals = [.sigterm, .sigint]
        server.onShutdown = {
            LineOutput.emit("shutting down: stopping HTTP, leaving the cluster, finishing queued writes")
        }
        let peer: StarlingServer
        do {
            peer = try await StarlingServer.start(server, logger: logger)
        } catch {
            throw Self.failure("\(error.kind.name): \(error.message)")
        }
        let stores = peer.node.storeNamesSorted.joined(separator: ", ")
        LineOutput.emit(
            "starling node \(peer.node.id) serving \(stores) from \(configuration.dataDir); "
                + "gossip on \(peer.replication.boundAddress); HTTP on \(configuration.http.host):\(peer.httpPort); "
                + (peer.respPort.map { "RESP on \(configuration.resp?.host ?? ""):\($0); " } ?? "")
                + "Ctrl-C to stop")
        do {
            try await peer.waitUntilStopped()
        } catch {
            throw Self.failure("the server stopped: \(error)")
        }
    }

    /// A timeout setting as the server takes it: 0 is no limit.
    private static func limit(_ millis: Int64) -> Duration? { millis == 0 ? nil : .milliseconds(millis) }

    /// Prints `error: message` to stderr and gives the exit status of an error kind (1).
    private static func failure(_ message: String) -> ExitCode {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        return ExitCode(1)
    }
}
