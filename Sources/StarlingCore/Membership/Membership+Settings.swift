extension Membership {
    /// Failure-detection timing and gossip sizes.
    ///
    /// Every setting has a documented default and minimum; ``validate()`` (run when replication
    /// starts) refuses a value below it with `INVALID`, and the state machine reads times no
    /// shorter than a millisecond whatever it is given, so no configuration can stop the protocol
    /// or trap. All members of a cluster SHOULD use the same settings.
    public struct Settings: Sendable, Hashable {
        /// The protocol period: how often one member is probed.
        /// Default 1 s; at least 1 ms.
        public var probeInterval: Duration = .seconds(1)

        /// How long to wait for a direct ack before asking other members to probe indirectly,
        /// Default 400 ms; at least 1 ms. It SHOULD be well below
        /// ``probeInterval``: the indirect probes must complete within the same period, and
        /// a timeout at or past the period leaves no time for them.
        public var probeTimeout: Duration = .milliseconds(400)

        /// How many members are asked to probe a target that missed its direct ack (`k` in
        /// SWIM). Default 3; at least 0 (0 disables indirect probes).
        public var indirectProbeCount = 3

        /// How long a member stays suspect before it is declared dead, unless it refutes.
        /// Default 5 s; at least 1 ms.
        public var suspicionTimeout: Duration = .seconds(5)

        /// The most membership updates piggybacked on one message. Default 8; at least 1.
        public var maxGossipPerMessage = 8

        /// How often each update is piggybacked: about `multiplier * ceil(log2(n + 1))` times in
        /// a cluster of `n` live members (self included). Default 3; at least 1.
        public var gossipRetransmitMultiplier = 3

        /// How long dead and left members are remembered before they are removed. While remembered, stale gossip cannot bring them back, and dead members
        /// are still pinged now and then so a healed partition merges again. A peer with no live
        /// member keeps its dead members past this, since they may be its only way back (its
        /// seeds may be gone for good); their retention resumes once a member is live. Default
        /// 60 s; at least 0.
        public var deadMemberRetention: Duration = .seconds(60)

        /// How often one remembered dead member, or one seed that is not a live member, is
        /// pinged, so that the two sides of a healed partition find each other
        /// again; also while no member is live (the seeds are then pinged every period, and the
        /// dead at this interval). Default 5 s; at least 1 ms.
        public var reconnectInterval: Duration = .seconds(5)

        /// Creates settings with every default.
        public init() {}

        /// Refuses a setting below its minimum with `INVALID`, naming it (`membership.…`).
        public func validate() throws(StoreError) {
            let millisecond = Duration.milliseconds(1)
            try SettingCheck.check("membership.probeInterval", probeInterval, atLeast: millisecond)
            try SettingCheck.check("membership.probeTimeout", probeTimeout, atLeast: millisecond)
            try SettingCheck.check("membership.indirectProbeCount", indirectProbeCount, atLeast: 0)
            try SettingCheck.check("membership.suspicionTimeout", suspicionTimeout, atLeast: millisecond)
            try SettingCheck.check("membership.maxGossipPerMessage", maxGossipPerMessage, atLeast: 1)
            try SettingCheck.check("membership.gossipRetransmitMultiplier", gossipRetransmitMultiplier, atLeast: 1)
            try SettingCheck.check("membership.deadMemberRetention", deadMemberRetention, atLeast: .zero)
            try SettingCheck.check("membership.reconnectInterval", reconnectInterval, atLeast: millisecond)
        }

        // The times as the state machine counts them (and its counts, where it reads them): never
        // below their minimum.
        package var probeIntervalMillis: Int64 { max(1, probeInterval.wholeMilliseconds) }
        package var probeTimeoutMillis: Int64 { max(1, probeTimeout.wholeMilliseconds) }
        package var suspicionTimeoutMillis: Int64 { max(1, suspicionTimeout.wholeMilliseconds) }
        package var deadMemberRetentionMillis: Int64 { max(0, deadMemberRetention.wholeMilliseconds) }
        package var reconnectIntervalMillis: Int64 { max(1, reconnectInterval.wholeMilliseconds) }
    }
}
