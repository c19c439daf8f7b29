import StarlingCore

extension ServeSetting {
    /// Every setting of `starling serve`, in the order the reference and `--print-config` show.
    static var all: [ServeSetting] {
        [
            ServeSetting("data_dir", \.dataDir, .path, doc: "The data directory, created if needed."),
            ServeSetting(
                "stores", \.stores, .textList, flag: "--store",
                doc: "Stores to host besides `default` (the flag repeats; the variable is comma-separated)."),
            ServeSetting(
                "durability", \.durability, .durability,
                doc: "What an acknowledged write survives: a crash of the process, or a power loss (fsync)."),
            ServeSetting(
                "check_on_open", \.checkOnOpen, .boolean,
                doc: "Read the whole database with `PRAGMA quick_check` at start, so a corrupt file is refused "
                    + "before the node serves (about 0.3 s per million keys)."),
            ServeSetting(
                "reinitialize", \.reinitialize, .boolean,
                doc: "Start over in a data directory that is refused as it is (database missing, emptied, "
                    + "corrupt or another node's; a log without its database): its files are renamed aside "
                    + "with a timestamp suffix, never deleted, and the node starts empty under a new id. "
                    + "A healthy directory is opened as it is."),
            ServeSetting(
                "http", \.http, .address,
                doc: "TCP address of the HTTP API; a non-loopback host needs `policy_file` or `allow_remote_http`."),
            ServeSetting(
                "allow_remote_http", \.allowRemoteHTTP, .boolean,
                doc: "Let `http` bind a non-loopback address without an access policy: anyone who can reach "
                    + "it can read and write every store."),
            ServeSetting(
                "resp", \.resp, .addressOrOff,
                doc: "TCP address of the Redis protocol (RESP2/RESP3), or `off`; a non-loopback host needs "
                    + "`policy_file` or `allow_remote_http`."),
            ServeSetting(
                "resp_databases", \.respDatabases, .textList, flag: "--resp-database",
                doc: "The stores Redis's `SELECT` reaches, by index: the first is database 0. List the same "
                    + "stores in the same order on every peer."),
            ServeSetting(
                "gossip", \.gossip, .address,
                doc: "UDP address replication and membership gossip bind to; a non-loopback host needs "
                    + "`cluster_key_file` (or `allow_insecure_gossip`)."),
            ServeSetting(
                "allow_insecure_gossip", \.allowInsecureGossip, .boolean,
                doc: "Let gossip run without a cluster key on a non-loopback address or beside an access policy: "
                    + "anyone who can send UDP to it can join and read, write or clear every store. Logged loudly."),
            ServeSetting(
                "advertise", \.advertise, SettingType.address.optional,
                defaultText: "the gossip address, 0.0.0.0 as 127.0.0.1",
                doc: "The gossip address other peers reach this one at; set it when gossip binds 0.0.0.0 on a "
                    + "multi-host cluster."),
            ServeSetting(
                "join", \.join, .addressList,
                doc: "Gossip addresses of peers to join (the flag repeats; the variable is comma-separated)."),
            ServeSetting(
                "cluster_key_file", \.clusterKeyFile, SettingType.path.optional,
                doc: "A file of base64 cluster keys, one per line, the first used to send (`starling keygen` "
                    + "writes one): authenticates and encrypts gossip. Unset: gossip is in the clear, on loopback only."
            ),
            ServeSetting(
                "max_datagram", \.maxDatagram, .integer(1_200...65_000),
                doc: "The largest datagram sent, in bytes (1200 to 65000); raise it only on loopback or "
                    + "jumbo-frame networks."),
            ServeSetting(
                "max_key_bytes", \.maxKeyBytes, .integer(1...65_535),
                doc: "The longest key, in UTF-8 bytes (1 to 65535)."),
            ServeSetting(
                "max_value_bytes", \.maxValueBytes, .integer(1...WireFormat.maxValueBytes),
                doc: "The largest value, in canonical JSON bytes (1 to \(WireFormat.maxValueBytes))."),
            ServeSetting(
                "max_clock_offset", \.maxClockOffsetMillis, .duration(minimum: 1),
                doc: "How far ahead of local time a replicated timestamp may be before its message is refused."),
            ServeSetting(
                "max_body_bytes", \.maxBodyBytes, SettingType.integer(1_024...Int(Int32.max)).optional,
                defaultText: "1 MiB + max_value_bytes",
                doc: "The largest HTTP request body, in bytes; a larger one is refused with 400 INVALID."),
            ServeSetting(
                "max_connections", \.maxConnections, SettingType.integer(16...1_000_000).optional,
                defaultText: "the open-file limit minus 128, 16 to 10,000",
                doc: "The most TCP connections open at once; a new one past it is closed at once, counted in "
                    + "`starling_http_connections_refused_total` and logged, while the open ones go on."),
            ServeSetting(
                "max_watchers", \.maxWatchers, .integer(1...1_000_000),
                doc: "The most watch streams open at once; another is refused with 503 UNAVAILABLE until one ends."),
            ServeSetting(
                "header_timeout", \.headerTimeoutMillis, .duration(minimum: 0),
                doc: "How long a client may take to send a request head, from its first byte; then 408 and "
                    + "the connection is closed. 0: no limit."),
            ServeSetting(
                "body_timeout", \.bodyTimeoutMillis, .duration(minimum: 0),
                doc: "How long a client may take to send a request body, from the end of its head; then the "
                    + "connection is closed. 0: no limit."),
            ServeSetting(
                "idle_timeout", \.idleTimeoutMillis, .duration(minimum: 0),
                doc: "How long a connection may stay open with no request in progress; a response being "
                    + "written (a watch stream) is never idle. 0: no limit."),
            ServeSetting(
                "round_interval", \.roundIntervalMillis, .duration(minimum: 1),
                doc: "The period of replication rounds, which send to members that are behind."),
            ServeSetting(
                "ack_timeout", \.ackTimeoutMillis, .duration(minimum: 20),
                doc: "The longest a delta may go unacknowledged before it is resent (the timeout adapts below it)."),
            ServeSetting(
                "digest_interval", \.digestIntervalMillis, .duration(minimum: 1),
                doc: "The period of digest exchanges (anti-entropy repair) with one random member."),
            ServeSetting(
                "probe_interval", \.probeIntervalMillis, .duration(minimum: 1),
                doc: "The failure detector's period: how often one member is probed. The same on every peer."),
            ServeSetting(
                "probe_timeout", \.probeTimeoutMillis, .duration(minimum: 1),
                doc: "How long a probe waits for a direct ack before asking others; below `probe_interval`."),
            ServeSetting(
                "suspicion_timeout", \.suspicionTimeoutMillis, .duration(minimum: 1),
                doc: "How long a member stays suspect before it is declared dead."),
            ServeSetting(
                "max_backlog", \.maxBacklog, .integer(0...Int(Int32.max)),
                doc: "Backpressure: local writes wait while an alive, acknowledging member lacks more than this "
                    + "many changes (members suspect, dead, bootstrapping or quiet never count). 0: never wait."),
            ServeSetting(
                "max_write_wait", \.maxWriteWaitMillis, .duration(minimum: 0, maximum: 10_000),
                doc: "The longest one write waits under backpressure (at most 10s); then it proceeds (it is "
                    + "durable locally either way)."),
            ServeSetting(
                "tombstone_grace", \.tombstoneGraceMillis, .duration(minimum: 0),
                doc: "How long a deletion's tombstone is kept after every member has it."),
            ServeSetting(
                "log_level", \.logLevel, .logLevel,
                doc: "The least severe level logged to stderr: trace, debug, info, notice, warning, error or critical."),
            ServeSetting(
                "policy_file", \.policyFile, SettingType.path.optional,
                doc: "The access policy (TOML): bearer tokens and the actions they may take on which stores "
                    + "and keys. Unset: every request is allowed, so `http` stays on loopback."),
        ]
    }

    /// Environment variables named `STARLING_*` that are not `serve` settings and are left alone:
    /// the client commands' endpoint and token, the test suite's switches, and the package's
    /// `STARLING_BENCH` (which adds the benchmark target).
    static let foreignEnvironmentVariables: Set<String> = [
        "STARLING_ENDPOINT", "STARLING_TOKEN", "STARLING_DEBUG", "STARLING_WRITE_FIXTURES", "STARLING_CHAOS_SEEDS",
        "STARLING_FUZZ_SEED", "STARLING_BENCH",
    ]

    /// The configuration file's flag and variable, which are not settings of the file itself.
    static let configFlag = "--config"
    static let configEnvironmentVariable = "STARLING_CONFIG"
}
