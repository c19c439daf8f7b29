import Logging
public import NIOCore
public import StarlingCore

extension ReplicationEngine {
    /// Handles one datagram from the network. Anything unauthenticated, malformed, from another
    /// cluster or refused by the clock check is dropped and counted; it never touches the store.
    public func receive(_ datagram: ByteBuffer, from source: PeerAddress) async {
        guard !stopped else { return }
        statistics.datagramsReceived += 1
        statistics.bytesReceived += datagram.readableBytes
        metrics.received(bytes: datagram.readableBytes)
        let plaintext: ByteBuffer
        do {
            plaintext = try sealer.open(datagram)
        } catch {
            drop(reason: error.reason.label, from: source)
            return
        }
        await receivePlaintext(plaintext, from: source)
    }

    /// Decodes and handles one envelope; `outer` is the fragment envelope it was reassembled
    /// from, which it must match (same cluster and sender, and not itself a fragment).
    private func receivePlaintext(_ plaintext: ByteBuffer, from source: PeerAddress, outer: Envelope? = nil) async {
        var buffer = plaintext
        let envelope: Envelope
        do {
            envelope = try buffer.readStarlingEnvelope()
        } catch {
            drop(reason: error.reason.label, from: source)
            return
        }
        if let outer {
            if case .fragment = envelope.message { return drop(reason: "nestedFragment", from: source) }
            guard envelope.sender == outer.sender, envelope.clusterID == outer.clusterID else {
                return drop(reason: "fragmentMismatch", from: source)
            }
        }
        guard envelope.clusterID == settings.clusterID else { return drop(reason: "otherCluster", from: source) }
        guard envelope.sender != node.id else { return drop(reason: "fromSelf", from: source) }
        sourceAddresses[envelope.sender] = source
        let now = node.wallClock.nowMillis()
        switch envelope.message {
        case .ping, .pingRequest, .ack:
            await perform(membership.received(envelope.message, from: envelope.sender, nowMillis: now))
        case .delta(let delta):
            statistics.deltasReceived += 1
            await perform(replicator.received(delta, from: envelope.sender, ownClock: node.committedPosition.clock))
        case .deltaAck(let ack):
            await perform(replicator.received(ack, from: envelope.sender, nowMillis: now))
        case .digest(let digest):
            await answerDigest(digest, from: envelope.sender)
        case .fragment(let fragment):
            if let whole = assembler.receive(fragment, from: envelope.sender, nowMillis: now) {
                var inner = ByteBuffer()
                inner.writeBytes(whole)
                await receivePlaintext(inner, from: source, outer: envelope)
            }
        }
    }

    func drop(reason: String, from source: PeerAddress) {
        statistics.dropped[reason, default: 0] += 1
        metrics.dropped(reason: reason)
        logger.debug("dropped a datagram", metadata: ["reason": "\(reason)", "from": "\(source)"])
    }

    /// Merges a delta through the node's merge path, then lets the replicator acknowledge it.
    func apply(_ delta: Delta, from member: NodeID) async {
        do {
            let report = try await node.apply(delta.entries)
            statistics.entriesApplied += report.applied
            metrics.applied(entries: report.applied)
            if delta.repair { statistics.repairEntriesApplied += report.applied }
            statistics.staleWritesDropped += report.stale
            if !report.invalid.isEmpty {
                statistics.invalidEntries += report.invalid.count
                metrics.dropped(reason: "invalidEntry")
                logger.warning(
                    "refused malformed entries from a peer", metadata: ["sender": "\(member)", "reasons": "\(report.invalid.prefix(3))"])
            }
            if !report.staleAnswers.isEmpty, let address = addressOf(member) {
                await sendRepair(report.staleAnswers, to: address)
            }
        } catch where error.detail == .clockOffset {
            statistics.clockOffsetRejections += 1
            metrics.dropped(reason: "clockOffset")
            logger.warning(
                "refused a delta stamped too far ahead of local time",
                metadata: ["sender": "\(member)", "error": "\(error.message)"])
            return
        } catch {
            logger.warning("could not apply a delta; the sender will retry", metadata: ["sender": "\(member)", "error": "\(error)"])
            return
        }
        await perform(replicator.deltaApplied(delta, from: member, ownClock: node.committedPosition.clock))
        // Applied changes took new local sequence numbers: pass them on.
        await perform(replicator.committed(head: node.lastSeq, nowMillis: node.wallClock.nowMillis()))
    }
}
