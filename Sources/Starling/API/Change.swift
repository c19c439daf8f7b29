public import StarlingCore

/// One applied change in the node's change feed.
public struct Change: Sendable, Hashable {
    /// The local sequence number: every applied change, local or replicated, gets the next one.
    public var seq: Int64
    /// The store id.
    public var store: String
    /// The key; empty for the store's `clear()` range tombstone.
    public var key: String
    /// The key's register after the change.
    public var register: Register
    /// The peer this register was received from, when this node holds exactly what that peer
    /// sent; nil for local writes and merges. Replication does not send it back there.
    public var via: NodeID?

    /// Creates a change.
    public init(seq: Int64, store: String, key: String, register: Register, via: NodeID? = nil) {
        self.seq = seq
        self.store = store
        self.key = key
        self.register = register
        self.via = via
    }
}
