extension Membership {
    /// Failure-detection timing and gossip sizes.
    ///
    /// Every setting has a documented default and unit. Each is validated on set: a value below
    /// its minimum is raised to that minimum, so no configuration can stop the protocol or trap.
    /// All members of a cluster SHOULD use the same settings.
    public struct Settings: Sendable, Hashable {
        /// The protocol period: how often one member is probed, in milliseconds.
        /// Default 1,000 ms; at least 1.
        public var probeIntervalMillis: Int64 = 1_000 {
            didSet { probeIntervalMillis = max(1, probeIntervalMillis) }
        }

        /// How long to wait for a direct ack before asking other members to probe indirectly,
        /// in milliseconds. Default 400 ms; at least 1. It SHOULD be well below
        /// ``probeIntervalMillis``: the indirect probes must complete within the same period, and
        /// a timeout at or past the period leaves no time for them.
        public var probeTimeoutMillis: Int64 = 400 {
            didSet { probeTimeoutMillis = max(1, probeTimeoutMillis) }
        }

        /// How many members are asked to probe a target that missed its direct ack (`k` in
        /// SWIM). Default 3; at least 0 (0 disables indirect probes).
        public var indirectProbeCount: Int = 3 {
            didSet { indirectProbeCount = max(0, indirectProbeCount) }
        }

        /// How long a member stays suspect before it is declared dead, unless it refutes, in
        /// milliseconds. Default 5,000 ms; at least 1.
        public var suspicionTimeoutMillis: Int64 = 5_000 {
            didSet { suspicionTimeoutMillis = max(1, suspicionTimeoutMillis) }
        }

        /// The most membership updates piggybacked on one message. Default 8; at least 1.
        public var maxGossipPerMessage: Int = 8 {
            didSet { maxGossipPerMessage = max(1, maxGossipPerMessage) }
        }

        /// How often each update is piggybacked: about `multiplier * ceil(log2(n + 1))` times in
        /// a cluster of `n` live members (self included). Default 3; at least 1.
        public var gossipRetransmitMultiplier: Int = 3 {
            didSet { gossipRetransmitMultiplier = max(1, gossipRetransmitMultiplier) }
        }

        /// How long dead and left members are remembered before they are removed, in
        /// milliseconds. While remembered, stale gossip cannot bring them back, and dead members
        /// are still pinged now and then so a healed partition merges again. A peer with no live
        /// member keeps its dead members past this, since they may be its only way back (its
        /// seeds may be gone for good); their retention resumes once a member is live. Default
        /// 60,000 ms; at least 0.
        public var deadMemberRetentionMillis: Int64 = 60_000 {
            didSet { deadMemberRetentionMillis = max(0, deadMemberRetentionMillis) }
        }

        /// How often one remembered dead member, or one seed that is not a live member, is
        /// pinged, in milliseconds, so that the two sides of a healed partition find each other
        /// again; also while no member is live (the seeds are then pinged every period, and the
        /// dead at this interval). Default 5,000 ms; at least 1.
        public var reconnectIntervalMillis: Int64 = 5_000 {
            didSet { reconnectIntervalMillis = max(1, reconnectIntervalMillis) }
        }

        /// Creates settings with every default.
        public init() {}
    }
}
