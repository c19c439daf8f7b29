import StarlingCore

extension ChangeFeed {
    /// Iterates a ``ChangeFeed``: replays stored changes, then takes new commits from the node's
    /// shared feed window (``FeedHub``), read once per commit for every feed.
    public struct Iterator: AsyncIteratorProtocol {
        /// The error iteration throws.
        public typealias Failure = StoreError

        private let feed: ChangeFeed
        private let registration: FeedRegistration
        private let keyRange: FeedKeyRange
        /// Every change through `position` has been read from storage.
        private var position: Int64
        private var buffer: [Event] = []
        private var index = 0
        private var finished = false

        init(feed: ChangeFeed) {
            self.feed = feed
            // Registered before the first look at the head, so no commit after it goes unnoticed.
            registration = FeedRegistration(node: feed.store.node)
            keyRange = FeedKeyRange(prefix: feed.prefix)
            position = feed.startSeq
        }

        /// The next change, waiting for one to commit if needed.
        /// - Returns: nil once the consumer's task is cancelled or the node closed.
        /// - Throws: `INVALID` if tombstones after the feed's position were purged before it read
        ///   them (see ``ChangeFeed``); `UNAVAILABLE` on a storage failure; `INTERNAL` for a stored
        ///   value that is not JSON. The feed ends after an error.
        public mutating func next(isolation actor: isolated (any Actor)? = #isolation) async throws(StoreError)
            -> Event?
        {
            while true {
                switch try await step(idleTimeout: nil) {
                case .event(let event): return event
                case .idle: continue
                case .end: return nil
                }
            }
        }

        /// The next change; see ``next(isolation:)``.
        public mutating func next() async throws(StoreError) -> Event? {
            try await next(isolation: nil)
        }

        /// What one ``step(idleTimeout:isolation:)`` produced.
        package enum Step: Sendable {
            /// A change.
            case event(Event)
            /// Nothing committed within the idle timeout.
            case idle
            /// The feed ended: cancelled, stopped, or the node closed.
            case end
        }

        /// The next change, or ``Step/idle`` if none commits within `idleTimeout` (nil: wait as
        /// long as it takes), or ``Step/end``. Servers use the idle steps for keep-alives.
        package mutating func step(idleTimeout: Duration?, isolation actor: isolated (any Actor)? = #isolation)
            async throws(StoreError) -> Step
        {
            while true {
                if index < buffer.count {
                    defer { index += 1 }
                    return .event(buffer[index])
                }
                let node = feed.store.node
                if finished || Task.isCancelled || registration.signal.isStopped || node.writer.isClosed {
                    finish()
                    return .end
                }
                switch try takeFromWindow() {
                case .rows(let rows, let through):
                    buffer = try events(rows)
                    index = 0
                    position = through
                    continue
                case .behind:
                    // Before the shared window: catch up from storage on our own.
                    let before = position
                    try readPage(head: node.lastSeq)
                    if position != before || index < buffer.count { continue }
                case .caughtUp:
                    break
                }
                if let idleTimeout {
                    if await !registration.signal.wait(timeout: idleTimeout) { return .idle }
                } else {
                    await registration.signal.wait()
                }
            }
        }

        /// Whether the next step returns a change already read, without waiting or reading storage.
        package var hasBufferedEvent: Bool { index < buffer.count }

        /// A closure that ends this iterator's feed from any task (its next step returns
        /// ``Step/end``): for a server's graceful shutdown.
        package var stopper: @Sendable () -> Void {
            { [signal = registration.signal] in signal.stop() }
        }

        /// What the node's shared feed window holds for this feed after `position`.
        private mutating func takeFromWindow() throws(StoreError) -> FeedWindow.Take {
            do {
                let node = feed.store.node
                return try node.feedHub.take(
                    after: position, head: node.lastSeq, store: feed.store.storeID, keys: keyRange,
                    limit: feed.pageSize)
            } catch {
                finish()
                throw error
            }
        }

        /// The events of rows taken from the window, classified now as a read of storage would be.
        /// - Throws: `INTERNAL` for a stored value that is not JSON.
        private mutating func events(_ rows: [FeedWindow.Row]) throws(StoreError) -> [Event] {
            let nowMillis = feed.store.node.wallClock.nowMillis()
            var events: [Event] = []
            events.reserveCapacity(rows.count)
            for row in rows {
                let (kind, encoded, expiresAt) = Event.Kind.classify(
                    key: row.key, register: row.register, nowMillis: nowMillis)
                var value: JSONValue?
                if let encoded {
                    if let failure = row.decodeFailure {
                        finish()
                        throw .internal(
                            "a stored value of store \"\(feed.store.id)\" is not JSON (\(failure)); please report this")
                    }
                    if let decoded = row.decoded {
                        value = decoded
                    } else {
                        do throws(StoreError) {
                            value = try feed.store.decode(encoded)
                        } catch {
                            finish()
                            throw error
                        }
                    }
                }
                events.append(
                    Event(
                        seq: row.seq, key: row.key, kind: kind, value: value,
                        version: row.register.latestStamp.version, expiresAt: expiresAt))
            }
            return events
        }

        /// Reads the next page after `position` into the buffer and advances `position`.
        /// `head` was committed before the read began, so the read sees every change through it.
        private mutating func readPage(head: Int64) throws(StoreError) {
            let page: FeedPage
            do {
                page = try feed.store.node.readFeedPage(
                    store: feed.store.storeID, after: position, keys: keyRange, limit: feed.pageSize)
            } catch {
                finish()
                // Closing the node closes its readers under a running read: that ends the feed.
                if feed.store.node.writer.isClosed { return }
                throw error
            }
            if position > 0, page.purgedSeq > position {
                finish()
                throw ChangeFeed.truncated(position: position, purgedSeq: page.purgedSeq)
            }
            let nowMillis = feed.store.node.wallClock.nowMillis()
            var events: [Event] = []
            events.reserveCapacity(page.rows.count)
            for row in page.rows {
                let (kind, encoded, expiresAt) = Event.Kind.classify(
                    key: row.key, register: row.register, nowMillis: nowMillis)
                let value = try encoded.map { encoded throws(StoreError) in try feed.store.decode(encoded) }
                events.append(
                    Event(
                        seq: row.seq, key: row.key, kind: kind, value: value,
                        version: row.register.latestStamp.version, expiresAt: expiresAt))
            }
            buffer = events
            index = 0
            // A short page holds every matching row after `position` in its snapshot, which
            // includes everything through `head`: skip the gaps (rows overwritten or filtered out).
            let last = page.rows.last?.seq ?? position
            position = page.rows.count < feed.pageSize ? Swift.max(last, head) : last
        }

        private mutating func finish() {
            finished = true
            registration.cancel()
        }
    }

    /// The error of a feed positioned before a purged tombstone.
    static func truncated(position: Int64, purgedSeq: Int64) -> StoreError {
        .invalid(
            "the change feed can no longer resume after seq \(position): deleted keys up to seq \(purgedSeq) "
                + "were purged since; re-read the store and watch from now")
    }
}
