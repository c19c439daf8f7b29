import Logging
import NIOCore
import StarlingCore

extension ReplicationEngine {
    /// Feed entries read per delta: a 1,200-byte datagram holds a few dozen small entries, and
    /// reading far more than fit would decode rows only to drop them.
    static let changesPerRead = 64

    /// Bytes available for a message inside one datagram.
    var messageBudget: Int { settings.maxDatagram - DatagramSealer.overhead }

    /// Encodes, fragments if needed, seals and sends a message.
    func send(_ message: Message, to address: PeerAddress) async {
        var buffer = ByteBuffer()
        buffer.writeStarlingEnvelope(Envelope(clusterID: settings.clusterID, sender: node.id, message: message))
        if buffer.readableBytes <= messageBudget {
            await sendSealed(buffer, to: address)
            return
        }
        nextMessageID &+= 1
        let pieces = Fragmenter.fragments(
            of: Array(buffer.readableBytesView), messageID: nextMessageID, clusterID: settings.clusterID,
            sender: node.id, maxDatagram: messageBudget)
        guard !pieces.isEmpty else {
            statistics.dropped["tooLarge", default: 0] += 1
            logger.error("a message is too large to send even in fragments", metadata: ["bytes": "\(buffer.readableBytes)"])
            return
        }
        for piece in pieces {
            var fragment = ByteBuffer()
            fragment.writeStarlingEnvelope(piece)
            await sendSealed(fragment, to: address)
        }
    }

    private func sendSealed(_ plaintext: ByteBuffer, to address: PeerAddress) async {
        let datagram = sealer.seal(plaintext)
        statistics.datagramsSent += 1
        statistics.bytesSent += datagram.readableBytes
        metrics.sent(bytes: datagram.readableBytes)
        await transport.send(datagram, to: address)
    }

    /// Reads the feed after `after` and sends `member` one delta with as many entries as fit.
    func sendDelta(to member: NodeID, after: Int64) async {
        guard let address = addressOf(member) else { return }
        let (head, clock) = node.committedPosition
        let changes: [Change]
        do {
            changes = try node.changes(after: after, limit: Self.changesPerRead)
        } catch {
            logger.warning("could not read the change feed", metadata: ["error": "\(error)"])
            return
        }
        let budget = messageBudget - WireFormat.envelopeOverhead
        var entries: [DeltaEntry] = []
        var size = 0
        var through = after
        var examined = 0
        for change in changes {
            // A plain write the member made itself is not sent back to it: it holds that write or
            // a later one. (Counters are always sent: other peers' slots may be new to it.)
            if change.register.increments.isEmpty, change.register.stamp.origin == member {
                through = change.seq
                examined += 1
                continue
            }
            let entry = DeltaEntry(store: change.store, key: change.key, register: change.register)
            let entrySize = WireFormat.encodedSize(of: entry)
            if !entries.isEmpty, size + entrySize > budget { break }
            entries.append(entry)
            size += entrySize
            through = change.seq
            examined += 1
            if size >= budget { break }
        }
        // Reaching the end of the feed as of `head`, the delta also proves everything this node
        // had stamped up to `clock` (the receiver's part of the stable horizon).
        var endClock = HybridTimestamp.zero
        if examined == changes.count, changes.count < Self.changesPerRead, through <= head {
            through = head
            endClock = clock
        }
        guard through > after else { return }
        statistics.deltasSent += 1
        metrics.deltaSent(entries: entries.count)
        // Record it before the send's await, so a push arriving meanwhile continues after it.
        replicator.deltaSent(to: member, after: after, through: through, nowMillis: node.wallClock.nowMillis())
        await send(.delta(Delta(after: after, through: through, entries: entries, clock: endClock)), to: address)
    }

    /// Tombstones older than the grace period are left out of digests.
    var digestOmitsDeadBefore: HybridTimestamp {
        let cutoff = node.wallClock.nowMillis() - settings.tombstoneGraceMillis
        return HybridTimestamp(physicalMillis: UInt64(clamping: max(0, cutoff)), logical: 0)
    }

    /// Sends this node's bucket digest to `member`.
    func sendDigest(to member: NodeID, reply: Bool) async {
        guard let address = addressOf(member) else { return }
        do {
            let hashes = try node.bucketDigest(
                buckets: settings.digestBuckets, nowMillis: node.wallClock.nowMillis(), omitDeadBefore: digestOmitsDeadBefore)
            await send(.digest(Digest(hashes: hashes, reply: reply)), to: address)
        } catch {
            logger.warning("could not compute a digest", metadata: ["error": "\(error)"])
        }
    }

    /// Compares a member's digest with this node's and sends repair deltas for every bucket that
    /// differs; both sides repair, because the member receives this node's digest in reply.
    func answerDigest(_ digest: Digest, from member: NodeID) async {
        guard let address = addressOf(member) else { return }
        // A digest of another size would make every bucket differ (and one bucket would make this
        // node send its whole state): peers of one cluster use the same setting.
        guard digest.hashes.count == settings.digestBuckets else { return drop(reason: "digestSize", from: address) }
        do {
            let mine = try node.bucketDigest(
                buckets: digest.hashes.count, nowMillis: node.wallClock.nowMillis(), omitDeadBefore: digestOmitsDeadBefore)
            let differing = Set(mine.indices.filter { mine[$0] != digest.hashes[$0] })
            if !differing.isEmpty {
                statistics.repairsStarted += 1
                metrics.repair()
                let entries = try node.entries(inBuckets: differing, of: digest.hashes.count)
                await sendRepair(entries, to: address)
            }
            if digest.reply {
                await send(.digest(Digest(hashes: mine, reply: false)), to: address)
            }
        } catch {
            logger.warning("could not answer a digest", metadata: ["error": "\(error)"])
        }
    }

    func sendRepair(_ entries: [DeltaEntry], to address: PeerAddress) async {
        let budget = messageBudget - WireFormat.envelopeOverhead
        var batch: [DeltaEntry] = []
        var size = 0
        for entry in entries {
            let entrySize = WireFormat.encodedSize(of: entry)
            if !batch.isEmpty, size + entrySize > budget {
                await send(.delta(Delta(after: 0, through: 0, entries: batch, repair: true)), to: address)
                batch.removeAll()
                size = 0
            }
            batch.append(entry)
            size += entrySize
        }
        if !batch.isEmpty {
            await send(.delta(Delta(after: 0, through: 0, entries: batch, repair: true)), to: address)
        }
    }
}
