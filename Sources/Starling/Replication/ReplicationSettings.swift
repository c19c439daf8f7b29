public import StarlingCore

extension ReplicationEngine {
    /// How a node replicates: where it listens, whom it joins, and the protocol's timing.
    public struct Settings: Sendable {
        /// The address to bind the UDP socket to. Default `127.0.0.1:7946`: loopback, so gossip
        /// without a ``keyring`` is never exposed by default. Bind `0.0.0.0` (or a host address)
        /// with a keyring for a cluster of several hosts.
        public var bind = PeerAddress(host: "127.0.0.1", port: 7946)
        /// The address other peers reach this one at; default: the bound address (with `0.0.0.0`
        /// replaced by `127.0.0.1`). Set it when binding to all interfaces on a multi-host cluster.
        public var advertise: PeerAddress?
        /// Addresses of peers to join. Default none (a single peer, or others join it). Host names
        /// are resolved by ``UDPReplication`` at start, off the event loops, each within
        /// ``resolveTimeout``; one that does not resolve is retried in the background.
        public var seeds: [PeerAddress] = []
        /// How long resolving one configured host name may take. Default 5 seconds.
        public var resolveTimeout: Duration = .seconds(5)
        /// Peers drop datagrams of other clusters. Default 0x5354_4C47 ("STLG").
        public var clusterID: UInt64 = 0x5354_4C47
        /// With a keyring, every datagram is authenticated and encrypted (ChaCha20-Poly1305).
        /// Default nil: datagrams are sent in the clear (use only on trusted networks).
        public var keyring: ClusterKeyring?
        /// The largest datagram sent, in bytes (1,200 to 65,000). Default 1,200, which fits any
        /// path MTU; raise it on loopback or jumbo-frame networks.
        public var maxDatagram = 1_200
        /// The socket receive buffer, in bytes. Default 4 MiB (the kernel default drops 1-7% of
        /// datagrams on loopback at full rate).
        public var receiveBufferBytes = 4 * 1024 * 1024
        /// How long a tombstone is kept after every member has received it, for deliveries still in
        /// flight. Default 1 hour.
        public var tombstoneGrace: Duration = .seconds(3_600)
        /// How often tombstones are garbage-collected. Default 60 s.
        public var gcInterval: Duration = .seconds(60)
        /// Digest buckets for repair. Default 64.
        public var digestBuckets = 64
        /// Delta protocol timing and sizes.
        public var replicator = Replicator.Settings()
        /// Failure detection timing.
        public var membership = Membership.Settings()
        /// How far local writers may run ahead of replication.
        public var backpressure = Backpressure()

        /// Backpressure toward local writers: while a member that counts lacks more than
        /// ``maxBacklog`` of this node's changes, each local write waits (at most ``maxWait``) for
        /// it to catch up, then proceeds either way, durable locally. Only members that are alive
        /// and acknowledged within ``responsiveWithin`` count: a suspect, dead or partitioned member
        /// never slows writers, so offline writes keep their speed.
        public struct Backpressure: Sendable {
            /// The backlog, in changes, past which local writes wait; nil: they never wait.
            /// Default 20,000; at least 1.
            public var maxBacklog: Int64? = 20_000
            /// The longest one write waits. Default 250 ms; 0 to 10 s (a graceful shutdown may wait
            /// this long for the writes it drains).
            public var maxWait: Duration = .milliseconds(250)
            /// How recently a member must have acknowledged to count. Default 2 s; at least 1 ms.
            public var responsiveWithin: Duration = .seconds(2)

            /// Every default.
            public init() {}
        }

        /// Creates settings with every default.
        public init() {}

        /// Refuses settings that cannot work, naming the setting.
        /// Refuses a setting out of its range with `INVALID`, naming it (`replication.…`, and the
        /// nested `replicator.…` and `membership.…`); replication checks its settings when it starts.
        public func validate() throws(StoreError) {
            try SettingCheck.check("replication.maxDatagram", maxDatagram, in: 1_200...65_000)
            try SettingCheck.check("replication.digestBuckets", digestBuckets, in: 1...4_096)
            try SettingCheck.check("replication.receiveBufferBytes", receiveBufferBytes, atLeast: 65_536)
            try SettingCheck.check("replication.tombstoneGrace", tombstoneGrace, atLeast: .zero)
            try SettingCheck.check("replication.gcInterval", gcInterval, atLeast: .milliseconds(1))
            try SettingCheck.check("replication.resolveTimeout", resolveTimeout, atLeast: .milliseconds(1))
            try replicator.validate()
            try membership.validate()
            if let maxBacklog = backpressure.maxBacklog {
                try SettingCheck.check("backpressure.maxBacklog", maxBacklog, atLeast: 1)
            }
            try SettingCheck.check("backpressure.maxWait", backpressure.maxWait, atLeast: .zero)
            try SettingCheck.check("backpressure.maxWait", backpressure.maxWait, atMost: .seconds(10))
            try SettingCheck.check(
                "backpressure.responsiveWithin", backpressure.responsiveWithin, atLeast: .milliseconds(1))
        }

        // The times as the engine counts them.
        package var tombstoneGraceMillis: Int64 { max(0, tombstoneGrace.wholeMilliseconds) }
        package var gcIntervalMillis: Int64 { max(1, gcInterval.wholeMilliseconds) }

        /// The address peers are told to reach this one at.
        func advertisedAddress(bound: PeerAddress) -> PeerAddress {
            if let advertise { return advertise }
            if bound.host == "0.0.0.0" || bound.host == "::" { return PeerAddress(host: "127.0.0.1", port: bound.port) }
            return bound
        }
    }
}
