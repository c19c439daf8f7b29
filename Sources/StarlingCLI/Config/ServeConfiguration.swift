import Logging
import Starling
import StarlingAccess
import StarlingCore
import StarlingHTTP

/// Everything `starling serve` runs with, resolved from defaults, a TOML file, `STARLING_*`
/// environment variables and flags (``ServeConfiguration/resolve(flags:environment:readFile:)``).
///
/// The defaults here are the defaults of `starling serve`; ``ServeSetting/all`` documents each
/// field under its setting name.
struct ServeConfiguration {
    var dataDir = "./starling-data"
    /// Stores hosted besides `default`.
    var stores: [String] = []
    var durability = Node.Settings.Storage.Durability.process
    var checkOnOpen = Node.Settings.Storage().checkOnOpen
    var reinitialize = Node.Settings.Storage().reinitialize
    var http = PeerAddress(host: "127.0.0.1", port: 7070)
    var allowRemoteHTTP = false
    /// The Redis protocol listener; nil: off.
    var resp: PeerAddress? = PeerAddress(host: "127.0.0.1", port: 7379)
    /// The stores `SELECT` reaches, by index.
    var respDatabases = ["default"]
    var gossip = ReplicationEngine.Settings().bind
    var advertise: PeerAddress?
    var join: [PeerAddress] = []
    var clusterKeyFile: String?
    /// Let gossip run without a cluster key where that is unsafe (a non-loopback bind, or a policy).
    var allowInsecureGossip = false
    var maxDatagram = ReplicationEngine.Settings().maxDatagram
    var maxKeyBytes = Node.Settings.Limits().maxKeyBytes
    var maxValueBytes = Node.Settings.Limits().maxValueBytes
    var maxClockOffsetMillis = Int64(Node.Settings().maxClockOffsetMillis)
    /// The HTTP request body limit; nil: 1 MiB plus `maxValueBytes`.
    var maxBodyBytes: Int?
    /// The most TCP connections open at once; nil: the descriptor limit minus a reserve.
    var maxConnections: Int?
    /// The most watch streams open at once.
    var maxWatchers = HTTPAPI.Settings().maxWatchers
    /// How long a request's head, a request's body, and an idle connection may take; 0: no limit.
    var headerTimeoutMillis: Int64 = 10_000
    var bodyTimeoutMillis: Int64 = 30_000
    var idleTimeoutMillis: Int64 = 60_000
    var roundIntervalMillis = Replicator.Settings().roundIntervalMillis
    var ackTimeoutMillis = Replicator.Settings().ackTimeoutMillis
    var digestIntervalMillis = Replicator.Settings().digestIntervalMillis
    var probeIntervalMillis = Membership.Settings().probeIntervalMillis
    var probeTimeoutMillis = Membership.Settings().probeTimeoutMillis
    var suspicionTimeoutMillis = Membership.Settings().suspicionTimeoutMillis
    var tombstoneGraceMillis = ReplicationEngine.Settings().tombstoneGraceMillis
    /// Backpressure: the backlog past which writes wait (0: never), and the longest wait.
    var maxBacklog = Int(ReplicationEngine.Settings().backpressure.maxBacklog ?? 0)
    var maxWriteWaitMillis = ReplicationEngine.Settings().backpressure.maxWait.wholeMilliseconds
    var logLevel = Logger.Level.info
    /// The access policy file: bearer tokens and what they may do.
    var policyFile: String?
    /// The access policy parsed from ``policyFile`` by the resolver.
    var policy: AccessPolicy?

    /// The cluster keyring read from ``clusterKeyFile`` by the resolver.
    var keyring: ClusterKeyring?
    /// The configuration file read, if any, and where its path came from.
    var configFile: (path: String, origin: SettingOrigin)?
    /// Where each setting's value came from, by setting name; a setting absent here has its default.
    var origins: [String: SettingOrigin] = [:]

    /// Where `setting`'s value came from.
    func origin(of setting: String) -> SettingOrigin { origins[setting] ?? .defaultValue }

    /// The node's settings: stores, storage (durability, open-time check, re-initialising),
    /// limits, clock offset.
    var nodeSettings: Node.Settings {
        var settings = Node.Settings()
        for store in stores where !settings.stores.contains(store) { settings.stores.append(store) }
        settings.storage.durability = durability
        settings.storage.checkOnOpen = checkOnOpen
        settings.storage.reinitialize = reinitialize
        settings.limits.maxKeyBytes = maxKeyBytes
        settings.limits.maxValueBytes = maxValueBytes
        settings.maxClockOffset = .milliseconds(maxClockOffsetMillis)
        return settings
    }

    /// The replication settings: addresses, keyring, datagram size and protocol timing.
    var replicationSettings: ReplicationEngine.Settings {
        var settings = ReplicationEngine.Settings()
        settings.bind = gossip
        settings.advertise = advertise
        settings.seeds = join
        settings.keyring = keyring
        settings.maxDatagram = maxDatagram
        settings.tombstoneGrace = .milliseconds(tombstoneGraceMillis)
        settings.backpressure.maxBacklog = maxBacklog == 0 ? nil : Int64(maxBacklog)
        settings.backpressure.maxWait = .milliseconds(maxWriteWaitMillis)
        settings.replicator.roundInterval = .milliseconds(roundIntervalMillis)
        settings.replicator.ackTimeout = .milliseconds(ackTimeoutMillis)
        settings.replicator.digestInterval = .milliseconds(digestIntervalMillis)
        settings.membership.probeInterval = .milliseconds(probeIntervalMillis)
        settings.membership.probeTimeout = .milliseconds(probeTimeoutMillis)
        settings.membership.suspicionTimeout = .milliseconds(suspicionTimeoutMillis)
        return settings
    }
}
