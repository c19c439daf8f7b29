extension Membership {
    /// A ping sent on another member's behalf: its ack is relayed to the requester.
    struct Relay: Sendable, Hashable {
        var requester: NodeID
        var requesterAddress: PeerAddress
        /// The probe id the requester used, echoed in the relayed ack.
        var requesterProbeID: UInt64
        var target: NodeID
        /// Forgotten after one probe period: the requester has given up by then.
        var expiresMillis: Int64
    }

    /// Handles a SWIM message from another peer.
    ///
    /// Gossip piggybacked on every SWIM message is applied first, by precedence (gossip about
    /// this peer may make it refute). Then:
    /// - `ping`: the sender is learned as alive at `senderAddress` and `senderIncarnation` (a
    ///   new member is added; a dead one with a higher incarnation comes back). This peer MUST
    ///   answer with an ack to `senderAddress` carrying its current incarnation. When it
    ///   believes something else of the sender (suspect or dead at that incarnation, a higher
    ///   incarnation, another address), it MUST put that first in the ack's gossip, so the
    ///   sender refutes.
    /// - `pingRequest`: the sender is learned likewise; this peer MUST ping the target on the
    ///   sender's behalf and relay the target's ack (or ack at once if it is the target).
    /// - `ack`: the target is learned as alive at `targetIncarnation`; a pending probe of it
    ///   with this id is resolved, or the ack is relayed to the member that asked for it.
    ///
    /// Messages from this peer itself (or from ``NodeID/none``) are ignored, and so are
    /// replication messages: pass their piggybacked gossip to ``received(gossip:from:nowMillis:)``.
    /// - Parameters:
    ///   - message: the message.
    ///   - sender: the envelope's sender.
    ///   - nowMillis: the current time in milliseconds.
    /// - Returns: messages to send and member changes; never a tick.
    public mutating func received(_ message: Message, from sender: NodeID, nowMillis: Int64) -> [Directive] {
        guard sender != me, sender != .none else { return [] }
        var directives: [Directive] = []
        switch message {
        case .ping(let ping):
            onPing(ping, from: sender, nowMillis: nowMillis, into: &directives)
        case .pingRequest(let request):
            onPingRequest(request, from: sender, nowMillis: nowMillis, into: &directives)
        case .ack(let ack):
            onAck(ack, from: sender, nowMillis: nowMillis, into: &directives)
        case .delta, .deltaAck, .digest, .fragment:
            break
        }
        return directives
    }

    mutating func onPing(_ ping: Ping, from sender: NodeID, nowMillis: Int64, into directives: inout [Directive]) {
        apply(ping.gossip, nowMillis: nowMillis, into: &directives)
        let claim = MemberUpdate(
            id: sender, address: ping.senderAddress, incarnation: ping.senderIncarnation, status: .alive)
        apply(claim, nowMillis: nowMillis, into: &directives)
        let ack = Ack(
            probeID: ping.probeID, target: me, targetIncarnation: incarnation, senderAddress: address,
            gossip: outgoingGossip(to: sender, correction: correction(for: claim)))
        directives.append(.send(.ack(ack), to: ping.senderAddress))
    }

    mutating func onPingRequest(
        _ request: PingRequest, from sender: NodeID, nowMillis: Int64, into directives: inout [Directive]
    ) {
        apply(request.gossip, nowMillis: nowMillis, into: &directives)
        let claim = MemberUpdate(
            id: sender, address: request.senderAddress, incarnation: request.senderIncarnation, status: .alive)
        apply(claim, nowMillis: nowMillis, into: &directives)
        guard request.target != me else {
            let ack = Ack(
                probeID: request.probeID, target: me, targetIncarnation: incarnation, senderAddress: address,
                gossip: outgoingGossip(to: sender, correction: correction(for: claim)))
            directives.append(.send(.ack(ack), to: request.senderAddress))
            return
        }
        let probeID = newProbeID()
        relays[probeID] = Relay(
            requester: sender, requesterAddress: request.senderAddress, requesterProbeID: request.probeID,
            target: request.target,
            expiresMillis: Self.adding(settings.probeIntervalMillis, to: nowMillis))
        directives.append(
            ping(
                probeID: probeID, to: request.targetAddress, recipient: request.target,
                correction: correction(for: request.target)))
    }

    mutating func onAck(_ ack: Ack, from sender: NodeID, nowMillis: Int64, into directives: inout [Directive]) {
        apply(ack.gossip, nowMillis: nowMillis, into: &directives)
        if ack.target == sender {
            let claim = MemberUpdate(
                id: sender, address: ack.senderAddress, incarnation: ack.targetIncarnation, status: .alive)
            apply(claim, nowMillis: nowMillis, into: &directives)
        } else if let known = table[ack.target]?.update {
            // Relayed: the target is alive at that incarnation, at the address we know.
            let proof = MemberUpdate(
                id: ack.target, address: known.address, incarnation: ack.targetIncarnation, status: .alive)
            apply(proof, nowMillis: nowMillis, into: &directives)
        }
        if let relay = relays[ack.probeID], relay.target == ack.target {
            relays[ack.probeID] = nil
            let relayed = Ack(
                probeID: relay.requesterProbeID, target: ack.target, targetIncarnation: ack.targetIncarnation,
                senderAddress: address,
                gossip: outgoingGossip(to: relay.requester, correction: correction(for: relay.requester)))
            directives.append(.send(.ack(relayed), to: relay.requesterAddress))
        }
        if let probe = pendingProbes[ack.probeID], probe.target == ack.target {
            pendingProbes[ack.probeID] = nil
        }
    }
}
