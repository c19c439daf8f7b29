import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// The change feed of `Store.watch`: replay after a position, live local and replicated writes,
/// prefix filtering, the kind of each change, no gap or duplicate across resumes, refusal of
/// positions it can no longer answer, and an end that unregisters from the node.
@Suite(.timeLimit(.minutes(2)), .showsLogsOnFailure) struct WatchTests {
    /// The next `count` events of `iterator`, failing the test if the feed ends first.
    static func take(_ count: Int, from iterator: inout ChangeFeed.Iterator) async throws -> [ChangeFeed.Event] {
        var events: [ChangeFeed.Event] = []
        while events.count < count {
            events.append(try #require(try await iterator.next(), "the feed ended after \(events.count) events"))
        }
        return events
    }

    @Test func replaysTheChangesAfterASeqThenFollowsLiveWrites() async throws {
        try await TestNode.with { node, store, _ in
            try await store.set("a", 1)
            let afterA = node.lastSeq
            try await store.set("b", 2)
            try await store.set("c", 3)
            var iterator = try store.watch(after: afterA).makeAsyncIterator()
            let replayed = try await Self.take(2, from: &iterator)
            #expect(replayed.map(\.key) == ["b", "c"])
            #expect(replayed.map(\.value) == [2, 3])
            #expect(replayed[0].seq > afterA && replayed[0].seq < replayed[1].seq)
            #expect(replayed[1].version == (try store.entry("c"))?.version)
            try await store.set("d", 4)
            let live = try await Self.take(1, from: &iterator)[0]
            #expect(live.key == "d" && live.kind == .set && live.value == 4 && live.seq == node.lastSeq)
        }
    }

    @Test func watchingFromNowSkipsWhatWasStoredBefore() async throws {
        try await TestNode.with { _, store, _ in
            try await store.set("old", 1)
            let feed = try store.watch()
            try await store.set("new", 2)
            var iterator = feed.makeAsyncIterator()
            #expect(try await Self.take(1, from: &iterator).map(\.key) == ["new"])
        }
    }

    @Test func replicatedWritesAppliedByTheNodeAppearInItsFeed() async throws {
        try await TestNode.with { origin, originStore, _ in
            try await TestNode.with { replica, replicaStore, _ in
                var iterator = try replicaStore.watch().makeAsyncIterator()
                try await originStore.set("k", "from origin")
                try await originStore.delete("gone")
                try await replica.apply(try origin.changes(after: 0, limit: 100))
                let events = try await Self.take(2, from: &iterator)
                #expect(events.map(\.key) == ["k", "gone"])
                #expect(events.map(\.kind) == [.set, .delete])
                #expect(events[0].value == "from origin")
                #expect(events[0].version == (try originStore.entry("k"))?.version)
                // A local write after the replicated ones follows them.
                try await replicaStore.set("local", true)
                #expect(try await Self.take(1, from: &iterator).map(\.key) == ["local"])
            }
        }
    }

    @Test func aPrefixKeepsMatchingKeysAndEveryClear() async throws {
        try await TestNode.with { _, store, _ in
            var iterator = try store.watch(prefix: "user:", after: 0).makeAsyncIterator()
            try await store.set("user:1", 1)
            try await store.set("other", 0)
            try await store.set("user;", 0)
            try await store.set("user:2", 2)
            #expect(try await Self.take(2, from: &iterator).map(\.key) == ["user:1", "user:2"])
            try await store.clear()
            try await store.set("user:3", 3)
            let events = try await Self.take(2, from: &iterator)
            #expect(events.map(\.key) == ["", "user:3"])
            #expect(events.map(\.kind) == [.clear, .set])
        }
    }

    @Test func aClearReplacesTheChangesBeforeItInAReplay() async throws {
        try await TestNode.with { node, store, _ in
            let start = node.lastSeq
            try await store.set("user:1", 1)
            try await store.clear()
            try await store.set("user:2", 2)
            var iterator = try store.watch(prefix: "user:", after: start).makeAsyncIterator()
            let events = try await Self.take(2, from: &iterator)
            #expect(events.map(\.key) == ["", "user:2"])
            #expect(events[0].kind == .clear && events[0].value == nil && events[0].expiresAt == nil)
        }
    }

    @Test func everyKindOfChangeIsReportedAsSuch() async throws {
        try await TestNode.with { node, store, clock in
            var live = try store.watch().makeAsyncIterator()
            try await store.set("null", nil)
            #expect(try await Self.take(1, from: &live)[0].value == JSONValue.null, "null is a value, not its absence")
            try await store.set("gone", 1)
            #expect(try await Self.take(1, from: &live).map(\.kind) == [.set])
            try await store.delete("gone")
            _ = try await store.incr("counter", by: 5)
            try await store.set("ttl", "short", ttl: 2)
            try await store.set("expired", "old", ttl: 1)
            let seen = try await Self.take(4, from: &live)
            #expect(seen.map(\.key) == ["gone", "counter", "ttl", "expired"])
            #expect(seen.map(\.kind) == [.delete, .incr, .set, .set])
            #expect(seen[0].value == nil && seen[1].value == 5)
            #expect(seen[2].expiresAt == clock.nowMillis() + 2_000)

            // Replayed after the expiry, the expired key says so; the counter is still a counter.
            clock.advance(by: 1_000)
            var replay = try store.watch(after: seen[0].seq).makeAsyncIterator()
            let later = try await Self.take(3, from: &replay)
            #expect(later.map(\.kind) == [.incr, .set, .expired])
            #expect(later[2].value == nil && later[2].expiresAt == seen[3].expiresAt)
            #expect(try await node.sweepExpired() == 1)
            var swept = try store.watch(after: seen[2].seq).makeAsyncIterator()
            #expect(try await Self.take(1, from: &swept).map(\.kind) == [.expired])
        }
    }

    @Test func changesMadeBeforeTheFeedReadsThemCollapseToTheLatestStateOfEachKey() async throws {
        try await TestNode.with { _, store, _ in
            var iterator = try store.watch().makeAsyncIterator()
            try await store.set("gone", 1)
            try await store.delete("gone")
            try await store.set("kept", 1)
            let events = try await Self.take(2, from: &iterator)
            #expect(events.map(\.key) == ["gone", "kept"])
            #expect(events.map(\.kind) == [.delete, .set])
        }
    }

    @Test func aKeyWrittenSeveralTimesWhileTheFeedIsBehindAppearsOnceAtItsLatestState() async throws {
        try await TestNode.with { node, store, _ in
            let start = node.lastSeq
            for value in 1...5 { try await store.set("k", .integer(Int64(value))) }
            try await store.set("other", 0)
            var iterator = try store.watch(after: start).makeAsyncIterator()
            let events = try await Self.take(2, from: &iterator)
            #expect(events.map(\.key) == ["k", "other"])
            #expect(events[0].value == 5)
        }
    }

    /// Random writes run concurrently with a consumer that stops and resumes from the last `seq`
    /// it saw, with small pages: applying the events in order rebuilds the store exactly (no
    /// gap), and sequence numbers strictly increase (no duplicate).
    @Test(arguments: [UInt64(1), 2, 3, 0xC0FFEE])
    func resumingUnderConcurrentWritesLosesAndRepeatsNothing(seed: UInt64) async throws {
        try await TestNode.with { _, store, _ in
            let writer = Task {
                var rng = SeededGenerator(seed: seed)
                for _ in 0..<400 {
                    let key = "k\(Int.random(in: 0..<12, using: &rng))"
                    switch Int.random(in: 0..<10, using: &rng) {
                    case 0, 1: try await store.delete(key)
                    case 2, 3: _ = try? await store.incr(key, by: 1)
                    case 4: try await store.mset([key: 1, "m\(Int.random(in: 0..<3, using: &rng))": 2])
                    case 5 where Int.random(in: 0..<8, using: &rng) == 0: try await store.clear()
                    default: try await store.set(key, .integer(Int64.random(in: 0..<1_000, using: &rng)))
                    }
                }
                // The last write, never overwritten: the consumer stops when it sees it.
                try await store.set("zz-end", true)
            }
            var rng = SeededGenerator(seed: seed ^ 0x5EED)
            var state: [String: JSONValue] = [:]
            var lastSeq: Int64 = 0
            var done = false
            while !done {
                // A fresh feed each round, resumed where the previous one stopped.
                var iterator = try store.watch(after: lastSeq, pageSize: 3).makeAsyncIterator()
                for _ in 0..<Int.random(in: 1...40, using: &rng) where !done {
                    let event = try #require(try await iterator.next())
                    #expect(event.seq > lastSeq, "seed \(seed): seq \(event.seq) after \(lastSeq)")
                    lastSeq = event.seq
                    switch event.kind {
                    case .set, .incr: state[event.key] = event.value
                    case .delete, .expired: state[event.key] = nil
                    case .clear: state = [:]
                    }
                    done = event.key == "zz-end"
                }
            }
            try await writer.value
            var stored: [String: JSONValue] = [:]
            for entry in try store.list(limit: 1_000).items { stored[entry.key] = entry.value }
            #expect(state == stored, "seed \(seed): the events rebuild the store")
        }
    }

    @Test func cancellingTheConsumerEndsTheFeedAndUnregistersIt() async throws {
        try await TestNode.with { node, store, _ in
            let feed = try store.watch()
            let consumer = Task {
                var count = 0
                for try await _ in feed { count += 1 }
                return count
            }
            #expect(await eventually { node.commitObserverCount == 1 })
            try await store.set("k", 1)
            consumer.cancel()
            #expect(try await consumer.value <= 1)
            #expect(node.commitObserverCount == 0)
        }
    }

    @Test func stoppingIterationUnregisters() async throws {
        try await TestNode.with { node, store, _ in
            try await store.set("a", 1)
            try await store.set("b", 2)
            for try await event in try store.watch(after: 0) where event.key == "a" {
                #expect(node.commitObserverCount == 1)
                break
            }
            #expect(await eventually { node.commitObserverCount == 0 })
        }
    }

    @Test func closingTheNodeEndsTheFeed() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let node = try Node.open(directory: directory.path, logger: TestNode.quietLogger)
        let store = try node.store("default")
        let feed = try store.watch()
        let consumer = Task {
            var keys: [String] = []
            for try await event in feed { keys.append(event.key) }
            return keys
        }
        #expect(await eventually { node.commitObserverCount == 1 })
        try await store.set("k", 1)
        #expect(await eventually { node.lastSeq > feed.startSeq })
        await node.close()
        let keys = try await consumer.value
        #expect(keys == [] || keys == ["k"])
        #expect(node.commitObserverCount == 0)
    }

    @Test func aResumeBeforePurgedTombstonesIsRefusedRatherThanMissingDeletions() async throws {
        try await TestNode.with { node, store, clock in
            try await store.set("a", 1)
            try await store.set("b", 2)
            let beforeDelete = node.lastSeq
            let lagging = try store.watch(after: beforeDelete)
            try await store.delete("a")
            try await store.set("c", 3)
            let far = clock.nowMillis() + 1_000_000
            let purged = try await node.purgeTombstones(
                before: HybridTimestamp(physicalMillis: UInt64(far), logical: 0), deadBeforeMillis: far)
            #expect(purged == 1)
            let refusal = ChangeFeedErrors.truncated(after: beforeDelete, purgedSeq: beforeDelete + 1)
            #expect(throws: refusal) { try store.watch(after: beforeDelete) }
            // A feed created before the purge fails when it reads, instead of skipping the delete.
            var iterator = lagging.makeAsyncIterator()
            await #expect(throws: refusal) { try await iterator.next() }
            #expect(node.commitObserverCount == 0)
            // From the purge on, and a full replay from 0, are complete.
            var full = try store.watch(after: 0).makeAsyncIterator()
            #expect(try await Self.take(2, from: &full).map(\.key) == ["b", "c"])
            _ = try store.watch(after: beforeDelete + 1)
        }
    }

    @Test func positionsThatAreNotThisNodesAreRefused() async throws {
        try await TestNode.with { node, store, _ in
            try await store.set("a", 1)
            #expect(throws: StoreError.invalid("after must be a sequence number of 0 or more, not -1")) {
                try store.watch(after: -1)
            }
            let head = node.lastSeq
            #expect(
                throws: StoreError.invalid(
                    "after \(head + 1) is beyond this node's change feed head \(head): sequence numbers are per node, "
                        + "so resume only on the node that issued them")
            ) { try store.watch(after: head + 1) }
            try store.release()
            #expect(throws: StoreError.self) { try store.watch() }
        }
    }
}

/// The errors the change feed is expected to throw, spelled out as the tests expect them.
enum ChangeFeedErrors {
    static func truncated(after: Int64, purgedSeq: Int64) -> StoreError {
        .invalid(
            "the change feed can no longer resume after seq \(after): deleted keys up to seq \(purgedSeq) "
                + "were purged since; re-read the store and watch from now")
    }
}
