/// Splits an encoded envelope too large for one datagram into fragment envelopes.
public enum Fragmenter {
    /// The fragment envelopes that carry `encodedMessage`.
    ///
    /// Each fragment, once encoded with `writeStarlingEnvelope`, is at most `maxDatagram` bytes;
    /// pass the budget left after sealing (`maxDatagram - DatagramSealer.overhead`).
    /// - Parameters:
    ///   - encodedMessage: the complete encoded envelope to carry.
    ///   - messageID: the id shared by the fragments; a sender SHOULD not reuse one while its
    ///     fragments may still be in flight.
    ///   - clusterID: the cluster of the fragment envelopes.
    ///   - sender: the sender of the fragment envelopes.
    ///   - maxDatagram: the largest encoded fragment envelope, in bytes.
    /// - Returns: the fragments in index order, or `[]` if `maxDatagram` leaves no room for a
    ///   payload or the message needs more than 65,535 fragments (the caller counts it as too large).
    public static func fragments(
        of encodedMessage: [UInt8], messageID: UInt32, clusterID: UInt64, sender: NodeID, maxDatagram: Int
    ) -> [Envelope] {
        let room = maxDatagram - WireFormat.fragmentOverhead
        guard room > 0 else { return [] }
        let chunk = min(room, Int(UInt16.max))
        let pieces = max(1, (encodedMessage.count + chunk - 1) / chunk)
        guard let count = UInt16(exactly: pieces) else { return [] }
        var envelopes: [Envelope] = []
        envelopes.reserveCapacity(pieces)
        for index in 0..<count {
            let start = Int(index) * chunk
            let end = min(start + chunk, encodedMessage.count)
            let fragment = Fragment(
                messageID: messageID, index: index, count: count, payload: Array(encodedMessage[start..<end]))
            envelopes.append(Envelope(clusterID: clusterID, sender: sender, message: .fragment(fragment)))
        }
        return envelopes
    }
}

/// Reassembles fragmented messages with bounded memory and a timeout. Pure: the caller passes
/// the time in and calls ``expire(nowMillis:)`` periodically.
///
/// Loss is harmless: an incomplete message times out, and replication re-sends its range.
/// Duplicates are harmless: a repeated fragment is ignored, also shortly after its message completed.
public struct FragmentAssembler: Sendable {
    /// Memory and time limits.
    public struct Settings: Sendable, Hashable {
        /// The most partial messages held at once; the oldest is evicted to make room.
        /// Default 64; at least 1.
        public var maxPendingMessages = 64
        /// The most payload bytes held in partial messages; the oldest are evicted to make room.
        /// Default 8 MiB; at least 1.
        public var maxPendingBytes = 8 << 20
        /// How long after its first fragment arrived a partial message is dropped. Default 5 s;
        /// at least 1 ms.
        public var timeout: Duration = .seconds(5)

        /// Creates the default settings.
        public init() {}

        // The limits as the assembler applies them: a setting below its minimum counts as the
        // minimum (these settings are the package's own, never read from a configuration).
        var timeoutMillis: Int64 { max(1, timeout.wholeMilliseconds) }
        var pendingMessagesLimit: Int { max(1, maxPendingMessages) }
        var pendingBytesLimit: Int { max(1, maxPendingBytes) }
    }

    private struct Key: Hashable, Sendable {
        var sender: NodeID
        var messageID: UInt32
    }

    private struct Partial: Sendable {
        var count: UInt16
        var pieces: [UInt16: [UInt8]] = [:]
        var bytes = 0
        var firstMillis: Int64
        var arrival: UInt64
    }

    /// The limits in force.
    public let settings: Settings
    /// Partial messages dropped so far: timed out, evicted for memory, or inconsistent.
    public private(set) var droppedMessages = 0
    /// Payload bytes currently held in partial messages.
    public private(set) var pendingBytes = 0
    /// The number of partial messages currently held.
    public var pendingMessages: Int { pending.count }

    private var pending: [Key: Partial] = [:]
    private var arrivals: UInt64 = 0
    /// Recently completed messages and when they completed, so late duplicates start nothing.
    private var completed: [Key: Int64] = [:]

    /// Creates an empty assembler.
    /// - Parameter settings: the limits; defaults as documented on ``Settings``.
    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Bytes charged per piece on top of its payload, for the bookkeeping it costs.
    static let pieceOverhead = 64

    /// Takes in one fragment.
    ///
    /// A fragment whose index is not below its count, or whose count differs from earlier
    /// fragments of the same message (which is then dropped), is ignored.
    /// - Parameters:
    ///   - fragment: the fragment, as decoded from a datagram.
    ///   - sender: the envelope's sender; message ids are per sender.
    ///   - nowMillis: the current time in milliseconds (any monotonic origin).
    /// - Returns: the reassembled encoded envelope when this fragment completes it, else nil.
    public mutating func receive(_ fragment: Fragment, from sender: NodeID, nowMillis: Int64) -> [UInt8]? {
        guard fragment.index < fragment.count else { return nil }
        if fragment.count == 1 { return fragment.payload }
        let key = Key(sender: sender, messageID: fragment.messageID)
        if let completedAt = completed[key] {
            if !isExpired(since: completedAt, now: nowMillis) { return nil }
            completed[key] = nil
        }
        if let existing = pending[key], existing.count != fragment.count {
            drop(key)
            return nil
        }
        if pending[key]?.pieces[fragment.index] != nil { return nil }
        // Every piece is charged a bookkeeping overhead, so tiny or empty pieces cannot hold
        // memory outside the byte budget.
        let cost = fragment.payload.count + Self.pieceOverhead
        guard makeRoom(for: key, bytes: cost) else { return nil }

        // Taken out while it changes, so that its pieces are not copied on write.
        var partial = pending.removeValue(forKey: key) ?? newPartial(count: fragment.count, nowMillis: nowMillis)
        partial.pieces[fragment.index] = fragment.payload
        partial.bytes += cost
        guard partial.pieces.count == Int(partial.count) else {
            pendingBytes += cost
            pending[key] = partial
            return nil
        }
        pendingBytes -= partial.bytes - cost
        rememberCompleted(key, nowMillis: nowMillis)
        var message: [UInt8] = []
        message.reserveCapacity(partial.bytes)
        for index in 0..<partial.count {
            message += partial.pieces[index] ?? []
        }
        return message
    }

    /// Drops the partial messages whose first fragment arrived at least
    /// ``Settings/timeoutMillis`` before `nowMillis`.
    /// - Parameter nowMillis: the current time, on the clock passed to ``receive(_:from:nowMillis:)``.
    /// - Returns: the number of partial messages dropped.
    @discardableResult
    public mutating func expire(nowMillis: Int64) -> Int {
        let expired = pending.filter { isExpired(since: $0.value.firstMillis, now: nowMillis) }.map(\.key)
        for key in expired {
            drop(key)
        }
        completed = completed.filter { !isExpired(since: $0.value, now: nowMillis) }
        return expired.count
    }

    private mutating func newPartial(count: UInt16, nowMillis: Int64) -> Partial {
        arrivals += 1
        return Partial(count: count, firstMillis: nowMillis, arrival: arrivals)
    }

    private func isExpired(since start: Int64, now: Int64) -> Bool {
        let (age, overflow) = now.subtractingReportingOverflow(start)
        return overflow ? now > start : age >= settings.timeoutMillis
    }

    /// Evicts the oldest other partial messages until `bytes` more fit (and, for a new message,
    /// one more message fits). Returns false, dropping `key`'s message, if they cannot fit.
    private mutating func makeRoom(for key: Key, bytes: Int) -> Bool {
        let isNew = pending[key] == nil
        while pendingBytes + bytes > settings.pendingBytesLimit
            || (isNew && pending.count >= settings.pendingMessagesLimit)
        {
            let others = pending.lazy.filter { $0.key != key }
            guard let oldest = others.min(by: { $0.value.arrival < $1.value.arrival }) else {
                if isNew { droppedMessages += 1 } else { drop(key) }
                return false
            }
            drop(oldest.key)
        }
        return true
    }

    private mutating func drop(_ key: Key) {
        guard let partial = pending.removeValue(forKey: key) else { return }
        pendingBytes -= partial.bytes
        droppedMessages += 1
    }

    /// Remembers a completed message until it times out, holding at most four times
    /// ``Settings/maxPendingMessages`` of them.
    private mutating func rememberCompleted(_ key: Key, nowMillis: Int64) {
        let limit = min(settings.pendingMessagesLimit, 1 << 16) * 4
        if completed.count >= limit {
            completed = completed.filter { !isExpired(since: $0.value, now: nowMillis) }
            if completed.count >= limit { completed.removeAll(keepingCapacity: true) }
        }
        completed[key] = nowMillis
    }
}
