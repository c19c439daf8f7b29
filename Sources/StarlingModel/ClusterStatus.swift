/// What `GET /v1/cluster` reports: this node and every member it knows, with replication lag.
public struct ClusterStatus: Sendable, Hashable {
    /// One member of the cluster as the answering node sees it.
    public struct Member: Sendable, Hashable {
        /// The member's node id.
        public var id: String
        /// Its gossip address, `HOST:PORT`.
        public var address: String
        /// `alive`, `suspect`, `dead` or `left`.
        public var state: String
        /// Its incarnation number (bumped when it refutes a suspicion).
        public var incarnation: Int64
        /// How many local changes it has not acknowledged yet.
        public var lagSeq: Int64
        /// How old, in milliseconds, the oldest change it has not acknowledged is.
        public var lagMillis: Int64
        /// When it last acknowledged, in Unix milliseconds, or nil if it never did.
        public var lastAckMillis: Int64?

        /// Creates a member.
        public init(
            id: String, address: String, state: String, incarnation: Int64, lagSeq: Int64, lagMillis: Int64,
            lastAckMillis: Int64?
        ) {
            self.id = id
            self.address = address
            self.state = state
            self.incarnation = incarnation
            self.lagSeq = lagSeq
            self.lagMillis = lagMillis
            self.lastAckMillis = lastAckMillis
        }
    }

    /// How far the answering node's writers may run ahead of replication.
    public struct Backpressure: Sendable, Hashable {
        /// The most changes an alive, acknowledging member may lack before local writes wait;
        /// nil: they never wait.
        public var maxBacklog: Int64?
        /// The longest one write waits, in milliseconds.
        public var maxWaitMillis: Int64
        /// What the member furthest behind lacks now, among those that count.
        public var backlog: Int64
        /// Local writes that waited so far.
        public var delayedWrites: Int64
        /// Of those, the ones that went on after the longest wait.
        public var timedOutWaits: Int64

        /// Creates a backpressure report.
        public init(
            maxBacklog: Int64?, maxWaitMillis: Int64, backlog: Int64, delayedWrites: Int64, timedOutWaits: Int64
        ) {
            self.maxBacklog = maxBacklog
            self.maxWaitMillis = maxWaitMillis
            self.backlog = backlog
            self.delayedWrites = delayedWrites
            self.timedOutWaits = timedOutWaits
        }
    }

    /// The answering node's id.
    public var id: String
    /// The answering node's gossip address, `HOST:PORT`, if the server reports it.
    public var address: String?
    /// Every member it knows, sorted by id; empty for a node without peers.
    public var members: [Member]
    /// Its backpressure on local writes, if the server reports it (nil without replication).
    public var backpressure: Backpressure?

    /// Creates a status.
    public init(id: String, address: String? = nil, members: [Member], backpressure: Backpressure? = nil) {
        self.id = id
        self.address = address
        self.members = members
        self.backpressure = backpressure
    }
}
