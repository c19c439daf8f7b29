import Logging
public import NIOCore
public import StarlingCore

extension ReplicationEngine {
    /// Handles one datagram from the network; see ``receive(_:)``.
    public func receive(_ datagram: ByteBuffer, from source: PeerAddress) async {
        await receive([Datagram(datagram, address: source)])
    }

    /// Handles datagrams that arrived together. Anything unauthenticated, malformed, from another
    /// cluster or refused by the clock check is dropped and counted; it never touches the store.
    /// The deltas among them are merged in one transaction, and each sender gets one cumulative
    /// acknowledgement for the batch (also for deltas it already held); so a receiver under load
    /// commits and acknowledges per batch, not per datagram.
    public func receive(_ datagrams: [Datagram]) async {
        guard !stopped else { return }
        var bytes = 0
        for datagram in datagrams {
            bytes += datagram.bytes.readableBytes
            let opened: DatagramSealer.Opened
            do {
                opened = try sealer.open(datagram.bytes)
            } catch {
                drop(reason: error.reason.label, from: datagram.address)
                continue
            }
            if let sequence = opened.sequence {
                if let refusal = replayWindow.accept(
                    sender: sequence.sender, session: sequence.session, counter: sequence.counter)
                {
                    drop(reason: refusal.rawValue, from: datagram.address)
                    continue
                }
            }
            receivePlaintext(opened.plaintext, from: datagram.address, sealedBy: opened.sequence?.sender)
        }
        statistics.datagramsReceived += datagrams.count
        statistics.bytesReceived += bytes
        metrics.received(datagrams: datagrams.count, bytes: bytes)
        // Probe answers and digests leave before the batch's transaction, so a long apply does
        // not make this peer look slow to the failure detector; acknowledgements wait for it, so
        // each sender gets one for the whole batch.
        await flushOutbox(includingAcknowledgements: false)
        await applyPending()
        await flushOutbox()
    }

    /// Decodes and handles one envelope; `outer` is the fragment envelope it was reassembled
    /// from, which it must match (same cluster and sender, and not itself a fragment).
    /// `sealedBy` is the sender named in the sealed header, which the envelope's must match.
    private func receivePlaintext(
        _ plaintext: ByteBuffer, from source: PeerAddress, sealedBy: NodeID? = nil, outer: Envelope? = nil
    ) {
        var buffer = plaintext
        let envelope: Envelope
        do {
            envelope = try buffer.readStarlingEnvelope()
        } catch {
            // The message names what was wrong: for an old peer, the version it speaks.
            drop(reason: error.reason.label, from: source, detail: error.message)
            return
        }
        if let outer {
            if case .fragment = envelope.message { return drop(reason: "nestedFragment", from: source) }
            guard envelope.sender == outer.sender, envelope.clusterID == outer.clusterID else {
                return drop(reason: "fragmentMismatch", from: source)
            }
        }
        if let sealedBy, envelope.sender != sealedBy { return drop(reason: "senderMismatch", from: source) }
        guard envelope.clusterID == settings.clusterID else { return drop(reason: "otherCluster", from: source) }
        guard envelope.sender != node.id else { return drop(reason: "fromSelf", from: source) }
        sourceAddresses[envelope.sender] = source
        let now = node.wallClock.nowMillis()
        switch envelope.message {
        case .ping, .pingRequest, .ack:
            perform(membership.received(envelope.message, from: envelope.sender, nowMillis: now))
        case .delta(let delta):
            statistics.deltasReceived += 1
            statistics.entriesReceived += delta.entries.count
            perform(replicator.received(delta, from: envelope.sender, ownClock: node.committedPosition.clock))
        case .deltaAck(let ack):
            perform(replicator.received(ack, from: envelope.sender, nowMillis: now))
        case .digest(let digest):
            answerDigest(digest, from: envelope.sender)
        case .fragment(let fragment):
            if let whole = assembler.receive(fragment, from: envelope.sender, nowMillis: now) {
                var inner = ByteBuffer()
                inner.writeBytes(whole)
                receivePlaintext(inner, from: source, outer: envelope)
            }
        }
    }

    /// Counts a datagram dropped for `reason` and logs it (rate-limited per reason), with
    /// `detail` when there is more to say than the reason.
    func drop(reason: String, from source: PeerAddress, detail: String? = nil) {
        statistics.dropped[reason, default: 0] += 1
        metrics.dropped(reason: reason)
        if let warning = dropWarnings.warning(reason: reason, nowMillis: node.wallClock.nowMillis()) {
            var metadata: Logger.Metadata = [
                "reason": "\(reason)", "from": "\(source)", "unlogged_since_last": "\(warning.unlogged)",
            ]
            if let detail { metadata["detail"] = "\(detail)" }
            logger.warning("dropped a datagram: \(warning.hint)", metadata: metadata)
        } else {
            logger.debug("dropped a datagram", metadata: ["reason": "\(reason)", "from": "\(source)"])
        }
    }

    /// Merges the deltas queued by this batch in one transaction, each delta checked on its own
    /// (a delta stamped too far ahead is refused without refusing the others, as when deltas
    /// were applied one by one), then lets the replicator acknowledge them and pass the applied
    /// changes on.
    func applyPending() async {
        while !pendingApplies.isEmpty {
            let batch = pendingApplies
            pendingApplies.removeAll()
            let results: [Result<Node.ApplyReport, StoreError>]
            do {
                results = try await node.apply(batches: batch.map { ($0.member, $0.delta.entries) })
            } catch {
                logger.warning("could not apply deltas; the senders will retry", metadata: ["error": "\(error)"])
                return
            }
            var directives: [Replicator.Directive] = []
            for ((delta, member), result) in zip(batch, results) {
                switch result {
                case .success(let report):
                    record(report, from: member, repair: delta.repair)
                    directives += replicator.deltaApplied(delta, from: member, ownClock: node.committedPosition.clock)
                case .failure(let error):
                    statistics.clockOffsetRejections += 1
                    metrics.dropped(reason: "clockOffset")
                    logger.warning(
                        "refused a delta stamped too far ahead of local time",
                        metadata: ["sender": "\(member)", "error": "\(error.message)"])
                }
            }
            perform(directives)
            // Applied changes took new local sequence numbers: pass them on.
            perform(replicator.committed(head: node.lastSeq, nowMillis: node.wallClock.nowMillis()))
        }
    }

    /// Counts what applying a sender's deltas did, and answers its stale writes.
    private func record(_ report: Node.ApplyReport, from member: NodeID, repair: Bool) {
        statistics.entriesApplied += report.applied
        metrics.applied(entries: report.applied)
        if repair { statistics.repairEntriesApplied += report.applied }
        statistics.staleWritesDropped += report.stale
        if !report.invalid.isEmpty {
            statistics.invalidEntries += report.invalid.count
            metrics.dropped(reason: "invalidEntry")
            logger.warning(
                "refused malformed entries from a peer",
                metadata: ["sender": "\(member)", "reasons": "\(report.invalid.prefix(3))"])
        }
        if !report.staleAnswers.isEmpty, let address = addressOf(member) {
            sendRepair(report.staleAnswers, to: address)
        }
    }
}
