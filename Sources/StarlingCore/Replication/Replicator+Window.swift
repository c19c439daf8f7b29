extension Replicator {
    /// Where the next delta to `member` starts, if `member` is behind and its window has room;
    /// nil otherwise. After reporting a delta with
    /// ``deltaSent(to:after:through:nowMillis:)`` the shell asks this to keep packing deltas from
    /// the same feed read while it equals the end of the last one.
    public func nextDeltaStart(to member: NodeID) -> Int64? {
        guard let state = progress[member], state.sent < head, state.inFlight.count < window(of: state) else {
            return nil
        }
        return state.sent
    }

    /// Deltas that may be in flight to a member: one until it first acknowledges (a new edge,
    /// or the first after a restart: its claims, on its own first delta, then leave out of this
    /// stream what it holds), `window` after.
    func window(of state: MemberProgress) -> Int {
        state.lastAckMillis == nil ? 1 : settings.window
    }

    /// Whether the next delta to `member` opens its stream: it has acknowledged nothing yet and
    /// nothing is in flight to it. The shell puts this peer's claims on that delta.
    public func opensStream(to member: NodeID) -> Bool {
        guard let state = progress[member] else { return false }
        return state.lastAckMillis == nil && state.inFlight.isEmpty
    }

    /// Whether `member` holds this peer's whole feed with nothing in flight: the only time a
    /// digest comparison with it shows real divergence rather than deltas on the way.
    public func isCaughtUp(_ member: NodeID) -> Bool {
        guard let state = progress[member] else { return false }
        return state.acked >= head && state.inFlight.isEmpty
    }

    /// Whether every target holds this peer's whole feed with nothing in flight.
    public var isQuiet: Bool { targets.allSatisfy(isCaughtUp) }

    /// When the earliest delta in flight to a replication target times out (Unix ms), if any
    /// is in flight. Deltas sent between ticks (pushed on commit, or sent on an acknowledgement)
    /// may time out before the tick already scheduled; the shell then calls ``tick(nowMillis:)``
    /// at this time instead.
    public var earliestAckExpiryMillis: Int64? {
        targets.compactMap { progress[$0]?.ackExpiryMillis }.min()
    }
}
