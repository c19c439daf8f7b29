import Logging
import StarlingCore
import Synchronization

/// Reads a node's change feed once per commit for every feed that follows it: the feeds share
/// one ``FeedWindow`` of the latest rows, so a thousand watchers cost one storage read per
/// commit, not a thousand, and the writer wakes one reader instead of each watcher.
///
/// While at least one feed is subscribed, the hub observes commits and runs one reader task.
/// On each commit the task reads the new rows of every store after the window's end (in pages
/// of ``pageSize``), appends them to the window and wakes every subscriber; each subscriber then
/// takes the rows of its store and prefix. A subscriber never blocks the task or the others: the
/// window only keeps the latest rows, and a feed that fell behind its start reads storage on its
/// own from its position (as a feed that resumes from an old position does) until it catches up.
/// When the last feed leaves, the task stops and the commit observation ends.
final class FeedHub: Sendable {
    /// How many rows one read of the hub returns at most.
    static let pageSize = 512

    private struct State {
        var subscribers: [Int: FeedSignal] = [:]
        var nextID = 0
        /// Bumped each time the reader starts, so a stopped reader never publishes into a new window.
        var generation = 0
        var window: FeedWindow?
        /// A read failure, reported to every feed waiting at the window's end.
        var failure: StoreError?
        var observation: Node.CommitObservation?
        var reader: Task<Void, Never>?
    }

    private let state = Mutex(State())
    private let reads = Atomic<Int>(0)
    private let maxRows: Int
    private let maxBytes: Int

    init(maxRows: Int, maxBytes: Int) {
        self.maxRows = maxRows
        self.maxBytes = maxBytes
    }

    /// How many storage reads of the change feed were made, by the hub and by feeds catching up on
    /// their own: tests check that many watchers cost one read per commit.
    var readCount: Int { reads.load(ordering: .relaxed) }

    /// Counts one storage read of the feed.
    func countRead() { reads.add(1, ordering: .relaxed) }

    /// How many feeds are subscribed.
    var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    /// Subscribes `signal`, which is notified whenever the window moves or the node closes; the
    /// first subscriber starts the reader.
    /// - Returns: the id to unsubscribe with.
    func subscribe(_ signal: FeedSignal, node: Node) -> Int {
        state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = signal
            if state.reader == nil {
                state.generation += 1
                state.window = FeedWindow(head: node.lastSeq, maxRows: maxRows, maxBytes: maxBytes)
                state.failure = nil
                let wake = FeedSignal()
                let generation = state.generation
                // Observed before the reader looks at the head, so no commit after it goes unnoticed.
                state.observation = node.observeCommits { _ in wake.notify() }
                state.reader = Task { [self] in await self.run(generation: generation, wake: wake, node: node) }
            }
            return state.nextID
        }
    }

    /// Unsubscribes the feed `id`; the last one stops the reader and the commit observation.
    func unsubscribe(_ id: Int) {
        let stopped = state.withLock { state -> (Node.CommitObservation?, Task<Void, Never>?)? in
            guard state.subscribers.removeValue(forKey: id) != nil, state.subscribers.isEmpty else { return nil }
            defer {
                state.observation = nil
                state.reader = nil
                state.window = nil
            }
            return (state.observation, state.reader)
        }
        guard let (observation, reader) = stopped else { return }
        observation?.cancel()
        reader?.cancel()
    }

    /// The rows after `position` a feed of `store` and `keys` can take from the window.
    ///
    /// While the window has not yet read through `head` (commits the reader has not read yet),
    /// a feed inside it is told to wait (``FeedWindow/Take/caughtUp``) rather than given part of
    /// them: a row it took now could be overwritten by a commit already made, and a feed reports
    /// the latest state of each key as of its read, as a read of storage would.
    /// - Throws: the failure of the hub's last read, for a feed at the window's end.
    func take(after position: Int64, head: Int64, store: StoreID, keys: FeedKeyRange, limit: Int)
        throws(StoreError) -> FeedWindow.Take
    {
        let (take, failure) = state.withLock { state in
            guard let window = state.window else { return (FeedWindow.Take.behind, state.failure) }
            if window.end < head, position >= window.start, state.failure == nil {
                return (.caughtUp, nil)
            }
            return (window.take(after: position, store: store, keys: keys, limit: limit), state.failure)
        }
        if case .caughtUp = take, let failure { throw failure }
        return take
    }

    /// The reader: waits for commits and reads what they added, until cancelled or the node closes.
    private func run(generation: Int, wake: FeedSignal, node: Node) async {
        while !Task.isCancelled {
            if node.writer.isClosed {
                wakeSubscribers()
                return
            }
            readNewRows(generation: generation, node: node)
            await wake.wait()
        }
    }

    /// Reads every row after the window's end through the head, then wakes the subscribers.
    private func readNewRows(generation: Int, node: Node) {
        while true {
            guard let end = state.withLock({ $0.generation == generation ? $0.window?.end : nil }) else { return }
            let head = node.lastSeq
            guard end < head else { return }
            let page: FeedPage
            do {
                countRead()
                page = try node.readFeedRows(after: end, limit: Self.pageSize)
            } catch {
                // Closing the node closes its readers under a running read: the feeds end on their own.
                if !node.writer.isClosed {
                    node.logger.warning("could not read the change feed for watchers", metadata: ["error": "\(error)"])
                    state.withLock { if $0.generation == generation { $0.failure = error } }
                }
                wakeSubscribers()
                return
            }
            let rows = Self.windowRows(page.rows, nowMillis: node.wallClock.nowMillis())
            let last = page.rows.last?.seq ?? end
            // A short page holds every row after `end` in its snapshot, which includes everything through `head`.
            let through = page.rows.count < Self.pageSize ? Swift.max(last, head) : last
            let published = state.withLock { state in
                guard state.generation == generation else { return false }
                state.window?.append(rows, through: through, purgedSeq: page.purgedSeq)
                state.failure = nil
                return true
            }
            guard published else { return }
            wakeSubscribers()
        }
    }

    private func wakeSubscribers() {
        for signal in state.withLock({ Array($0.subscribers.values) }) { signal.notify() }
    }

    /// The rows as the window keeps them, each live value decoded once for every feed.
    private static func windowRows(_ rows: [FeedPage.Row], nowMillis: Int64) -> [FeedWindow.Row] {
        rows.map { row in
            var decoded: JSONValue?
            var failure: String?
            var valueBytes = 0
            if case .live(let encoded, _) = row.register.visibility(at: nowMillis) {
                // The decoded form takes about twice the canonical text, with the register's copy.
                valueBytes = 3 * encoded.bytes.count
                do {
                    decoded = try encoded.decoded()
                } catch {
                    failure = "\(error)"
                }
            }
            let keyBytes = Array(row.key.utf8)
            return FeedWindow.Row(
                seq: row.seq, store: row.store, key: row.key, keyBytes: keyBytes, register: row.register,
                decoded: decoded, decodeFailure: failure, bytes: 2 * keyBytes.count + valueBytes + 128)
        }
    }
}
