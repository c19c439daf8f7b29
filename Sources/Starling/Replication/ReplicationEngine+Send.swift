import Logging
import NIOCore
import StarlingCore

extension ReplicationEngine {
    /// Feed entries read per delta: a 1,200-byte datagram holds a few dozen small entries, and
    /// reading far more than fit would decode rows only to drop them.
    static let changesPerRead = 64

    /// Bytes available for a message inside one datagram.
    var messageBudget: Int { settings.maxDatagram - DatagramSealer.overhead }

    /// Encodes, fragments if needed and seals a message into the outbox; ``flushOutbox()`` sends it.
    func send(_ message: Message, to address: PeerAddress) {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(Envelope(clusterID: settings.clusterID, sender: node.id, message: message))
        if buffer.readableBytes <= messageBudget {
            enqueueSealed(buffer, to: address)
            return
        }
        nextMessageID &+= 1
        let pieces = Fragmenter.fragments(
            of: Array(buffer.readableBytesView), messageID: nextMessageID, clusterID: settings.clusterID,
            sender: node.id, maxDatagram: messageBudget)
        guard !pieces.isEmpty else {
            statistics.dropped["tooLarge", default: 0] += 1
            logger.error(
                "a message is too large to send even in fragments", metadata: ["bytes": "\(buffer.readableBytes)"])
            return
        }
        for piece in pieces {
            var fragment = ByteBuffer()
            fragment.writeStarlingEnvelope(piece)
            enqueueSealed(fragment, to: address)
        }
    }

    private func enqueueSealed(_ plaintext: ByteBuffer, to address: PeerAddress) {
        let datagram = sealer.seal(plaintext)
        statistics.datagramsSent += 1
        statistics.bytesSent += datagram.readableBytes
        outbox.append(Datagram(datagram, address: address))
    }

    /// Hands every datagram queued so far to the transport at once, with the acknowledgements
    /// owed unless `includingAcknowledgements` is false. Each entry point (a received batch, a
    /// tick, a local commit) ends with it, so the datagrams one event produces leave together.
    func flushOutbox(includingAcknowledgements: Bool = true) async {
        expediteTickIfNeeded()
        updateBackpressure()
        if includingAcknowledgements {
            for (member, ack) in pendingAcks {
                if let address = addressOf(member) { send(.deltaAck(ack), to: address) }
            }
            pendingAcks.removeAll()
        }
        guard !outbox.isEmpty else { return }
        let datagrams = outbox
        outbox.removeAll(keepingCapacity: true)
        metrics.sent(datagrams: datagrams.count, bytes: datagrams.reduce(0) { $0 + $1.bytes.readableBytes })
        await transport.send(datagrams)
    }

    /// Sends `member` deltas of the feed continuing after `after`, as many as its window takes,
    /// each packing as many entries as fit in a datagram. The feed is read in chunks of
    /// ``changesPerRead`` and a chunk's leftovers start the next delta, so a full window costs a
    /// few reads, not one per delta.
    func sendDeltas(to member: NodeID, after start: Int64) {
        guard let address = addressOf(member) else { return }
        var feed = FeedCursor(node: node, after: start)
        var after = start
        // What the member holds is not sent: a plain write it made itself, sent this node, or
        // claimed to hold. (Counters are always sent: other peers' slots may be new to it.)
        let claimed = replicator.heldBy[member] ?? [:]
        let holds = { (change: Change) -> Bool in
            change.register.increments.isEmpty
                && (change.register.stamp.origin == member || change.via == member
                    || Replicator.claims(claimed, cover: change.register))
        }
        // A member that has acknowledged nothing yet (a new edge of the tree) gets this node's
        // claims on the first delta, room taken from its entries, so that its own stream here
        // leaves out what this node holds; it is sent one delta until it answers (the window
        // opens with its first acknowledgement), and by then its claims have usually arrived too.
        var opening =
            replicator.opensStream(to: member)
            ? replicator.claims(for: member, limit: Self.openingClaims, all: true) : []
        while true {
            let budget = deltaBudget - opening.count * WireFormat.claimBytes
            guard
                let next = feed.nextDelta(
                    after: after, budget: budget, logger: logger, holds: holds, read: readFeed)
            else { return }
            var delta = next.delta
            attachClaims(to: &delta, for: member, room: budget - next.size)
            if !opening.isEmpty, delta.claims.isEmpty {
                delta.claims = opening
            }
            opening = []
            statistics.deltasSent += 1
            metrics.deltaSent(entries: delta.entries.count)
            replicator.deltaSent(
                to: member, after: after, through: delta.through, nowMillis: node.wallClock.nowMillis())
            send(.delta(delta), to: address)
            guard replicator.nextDeltaStart(to: member) == delta.through else { return }
            after = delta.through
        }
    }

    /// Claims the first delta to a member that has acknowledged nothing yet carries: 32 (512 bytes).
    static let openingClaims = 32

    /// Adds to a delta that reaches the end of the feed the claims it has room for: the parts of
    /// this node's version vector that moved since `member` was last told.
    func attachClaims(to delta: inout Delta, for member: NodeID, room: Int) {
        guard delta.clock != .zero else { return }
        delta.claims = replicator.claims(for: member, limit: max(0, room) / WireFormat.claimBytes)
        replicator.claimsSent(delta.claims, to: member)
    }

    /// Up to `limit` changes of the feed after `after`, reusing the last read when it asked the
    /// same and nothing was committed since: a commit pushed to several members reads its rows
    /// once. (The head is taken before the read, so a commit racing the read only makes the next
    /// call read again.)
    func readFeed(after: Int64, limit: Int) throws(StoreError) -> [Change] {
        let head = node.lastSeq
        if let last = lastFeedRead, last.after == after, last.limit == limit, last.head == head {
            return last.changes
        }
        let changes = try node.changes(after: after, limit: limit)
        lastFeedRead = FeedRead(after: after, limit: limit, head: head, changes: changes)
        return changes
    }

    /// Bytes available for a delta's entries inside one datagram.
    var deltaBudget: Int { messageBudget - WireFormat.envelopeOverhead }

    /// Tombstones older than the grace period are left out of digests.
    var digestOmitsDeadBefore: HybridTimestamp {
        let cutoff = node.wallClock.nowMillis() - settings.tombstoneGraceMillis
        return HybridTimestamp(physicalMillis: UInt64(clamping: max(0, cutoff)), logical: 0)
    }

    /// Sends this node's bucket digest to `member`.
    func sendDigest(to member: NodeID, reply: Bool) {
        guard let address = addressOf(member) else { return }
        do {
            let hashes = try node.bucketDigest(
                buckets: settings.digestBuckets, nowMillis: node.wallClock.nowMillis(),
                omitDeadBefore: digestOmitsDeadBefore)
            send(.digest(Digest(hashes: hashes, reply: reply)), to: address)
        } catch {
            logger.warning("could not compute a digest", metadata: ["error": "\(error)"])
        }
    }

    /// Compares a member's digest with this node's and sends repair deltas for every bucket that
    /// differs; both sides repair, because the member receives this node's digest in reply.
    /// While a neighbour does not hold this node's whole feed yet, the digest is not answered:
    /// the buckets deltas are still filling would differ and be repaired whole. The member asks
    /// again later, and after `digestDeferralLimit` deferrals in a row it is answered anyway.
    func answerDigest(_ digest: Digest, from member: NodeID) {
        guard let address = addressOf(member) else { return }
        guard
            replicator.isQuiet
                || digestDeferrals[member, default: 0] >= settings.replicator.digestDeferralLimit
        else {
            digestDeferrals[member, default: 0] += 1
            statistics.digestsDeferred += 1
            return
        }
        digestDeferrals[member] = nil
        // A digest of another size would make every bucket differ (and one bucket would make this
        // node send its whole state): peers of one cluster use the same setting.
        guard digest.hashes.count == settings.digestBuckets else { return drop(reason: "digestSize", from: address) }
        do {
            let mine = try node.bucketDigest(
                buckets: digest.hashes.count, nowMillis: node.wallClock.nowMillis(),
                omitDeadBefore: digestOmitsDeadBefore)
            let differing = Set(mine.indices.filter { mine[$0] != digest.hashes[$0] })
            if !differing.isEmpty {
                statistics.repairsStarted += 1
                metrics.repair()
                let entries = try node.entries(inBuckets: differing, of: digest.hashes.count)
                sendRepair(entries, to: address)
            }
            if digest.reply {
                send(.digest(Digest(hashes: mine, reply: false)), to: address)
            }
        } catch {
            logger.warning("could not answer a digest", metadata: ["error": "\(error)"])
        }
    }

    /// The most repair one received datagram (a digest, or a delta answered for its stale
    /// writes) is answered with: one window of deltas. What differs beyond it is repaired at the
    /// next digest exchange, so no datagram makes this peer send more than a bounded multiple of
    /// its size (a replayed digest once made a peer re-send its whole state).
    var maxRepairBytes: Int { settings.replicator.window * deltaBudget }

    /// Sends `entries` as repair deltas, up to ``maxRepairBytes``; the rest is left for the next
    /// digest exchange and counted.
    func sendRepair(_ entries: [DeltaEntry], to address: PeerAddress) {
        let budget = deltaBudget
        var batch: [DeltaEntry] = []
        var size = 0
        var total = 0
        for (index, entry) in entries.enumerated() {
            let entrySize = WireFormat.encodedSize(of: entry)
            total += entrySize
            if total > maxRepairBytes, index > 0 {
                statistics.repairEntriesDeferred += entries.count - index
                break
            }
            if !batch.isEmpty, size + entrySize > budget {
                send(.delta(Delta(after: 0, through: 0, entries: batch, repair: true)), to: address)
                batch.removeAll()
                size = 0
            }
            batch.append(entry)
            size += entrySize
        }
        if !batch.isEmpty {
            send(.delta(Delta(after: 0, through: 0, entries: batch, repair: true)), to: address)
        }
    }
}
