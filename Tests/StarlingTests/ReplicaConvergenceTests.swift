import PropertyBased
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// Random histories of writes on three peers, delivered to two replicas in different orders
/// with duplicates, give identical state; and so does exchanging change feeds both ways.
@Suite(.showsLogsOnFailure) struct ReplicaConvergenceTests {
    /// One random operation on a store.
    static func randomOperation(on store: Store, clock: ManualWallClock, using rng: inout SeededGenerator) async throws
    {
        let key = "k\(Int.random(in: 0..<6, using: &rng))"
        clock.advance(by: Int64.random(in: 0...700, using: &rng))
        switch Int.random(in: 0..<10, using: &rng) {
        case 0, 1: try await store.set(key, .integer(Int64.random(in: 0...9, using: &rng)))
        case 2: try await store.set(key, .string("s"), ttl: Int64.random(in: 1...3, using: &rng))
        case 3: try await store.delete(key)
        case 4, 5, 6: _ = try? await store.incr(key, by: Int64.random(in: -3...3, using: &rng))
        case 7: _ = try await store.expire(key, ttl: 1)
        case 8 where Int.random(in: 0..<4, using: &rng) == 0: try await store.clear()
        default: try await store.mset([key: true, "m": .integer(Int64.random(in: 0...9, using: &rng))])
        }
    }

    @Test func historiesDeliveredInDifferentOrdersWithDuplicatesConverge() async throws {
        await propertyCheck(count: 25, input: Gen.uint64()) { seed in
            do {
                try await Self.checkConvergence(seed: seed)
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    static func checkConvergence(seed: UInt64) async throws {
        var rng = SeededGenerator(seed: seed)
        let clock = ManualWallClock()
        try await TestNode.with(clock: clock) { writerA, storeA, _ in
            try await TestNode.with(clock: clock) { writerB, storeB, _ in
                try await TestNode.with(clock: clock) { replica1, _, _ in
                    try await TestNode.with(clock: clock) { replica2, _, _ in
                        // Two writers diverge, then merge each other's feeds part-way, then diverge again.
                        for round in 0..<3 {
                            for _ in 0..<12 {
                                let store = Bool.random(using: &rng) ? storeA : storeB
                                try await randomOperation(on: store, clock: clock, using: &rng)
                            }
                            if round == 1 {
                                try await writerB.apply(writerA.changes(after: 0, limit: 10_000))
                            }
                        }
                        let feed =
                            try writerA.changes(after: 0, limit: 10_000) + writerB.changes(after: 0, limit: 10_000)
                        // Replica 1 takes the feed in order; replica 2 shuffled, in random batches, with duplicates.
                        try await replica1.apply(feed)
                        var scrambled = (feed + feed.filter { _ in Bool.random(using: &rng) }).shuffled(using: &rng)
                        while !scrambled.isEmpty {
                            let count = Int.random(in: 1...max(1, scrambled.count), using: &rng)
                            try await replica2.apply(Array(scrambled.prefix(count)))
                            scrambled.removeFirst(count)
                        }
                        // The writers exchange everything too.
                        try await writerA.apply(writerB.changes(after: 0, limit: 10_000))
                        try await writerB.apply(writerA.changes(after: 0, limit: 10_000))
                        let now = clock.nowMillis()
                        let digests = try [writerA, writerB, replica1, replica2].map { try $0.stateDigest(at: now) }
                        #expect(Set(digests).count == 1, "seed \(seed): digests \(digests)")
                        let seen = try [writerA, writerB, replica1, replica2].map { node in
                            try node.store("default").list(limit: 1_000).items
                        }
                        #expect(seen.allSatisfy { $0 == seen[0] }, "seed \(seed): visible contents differ")
                    }
                }
            }
        }
    }

    @Test func concurrentIncrementsOnTwoPeersAllCount() async throws {
        let clock = ManualWallClock()
        try await TestNode.with(clock: clock) { nodeA, storeA, _ in
            try await TestNode.with(clock: clock) { nodeB, storeB, _ in
                for _ in 0..<5 { _ = try await storeA.incr("hits") }
                for _ in 0..<7 { _ = try await storeB.incr("hits", by: 2) }
                try await nodeA.apply(nodeB.changes(after: 0, limit: 100))
                try await nodeB.apply(nodeA.changes(after: 0, limit: 100))
                #expect(try storeA.get("hits") == 19 && storeB.get("hits") == 19)
            }
        }
    }

    @Test func aDeletedKeyStaysDeletedWhenAnOlderWriteArrivesLater() async throws {
        let clock = ManualWallClock()
        try await TestNode.with(clock: clock) { nodeA, storeA, _ in
            try await TestNode.with(clock: clock) { nodeB, storeB, _ in
                try await storeA.set("k", "old")
                let old = try nodeA.changes(after: 0, limit: 10)
                clock.advance(by: 10)
                try await nodeB.apply(old)
                try await storeB.delete("k")
                try await nodeA.apply(nodeB.changes(after: 0, limit: 10))
                try await nodeA.apply(old)  // a late duplicate of the older write
                #expect(try storeA.get("k") == nil && storeB.get("k") == nil)
            }
        }
    }

    @Test func aClearRemovesOlderWritesThatArriveAfterIt() async throws {
        let clock = ManualWallClock()
        try await TestNode.with(clock: clock) { nodeA, storeA, _ in
            try await TestNode.with(clock: clock) { nodeB, storeB, _ in
                try await storeA.set("early", 1)
                clock.advance(by: 10)
                try await storeB.clear()
                clock.advance(by: 10)
                try await storeB.set("late", 2)
                try await nodeB.apply(nodeA.changes(after: 0, limit: 10))
                #expect(try storeB.keys() == ["late"])
            }
        }
    }

    @Test func stampsTooFarInTheFutureAreRefusedWholeAndChangeNothing() async throws {
        let clock = ManualWallClock()
        try await TestNode.with(clock: clock) { nodeA, storeA, _ in
            try await TestNode.with(clock: clock) { nodeB, storeB, _ in
                clock.advance(by: 61_000)
                try await storeA.set("from-the-future", 1)
                let future = try nodeA.changes(after: 0, limit: 10)
                clock.advance(by: -61_000)
                let error = await #expect(throws: StoreError.self) { try await nodeB.apply(future) }
                #expect(error?.kind == .invalid && error?.message.contains("ahead of local wall time") == true)
                #expect(try storeB.keys().isEmpty)
            }
        }
    }
}

/// Review findings on the remote apply path, each with the scenario it guards.
@Suite(.showsLogsOnFailure) struct RemoteApplyTests {
    @Test func entriesOfAStoreDeclaredOnlyElsewhereAreKeptUntilItIsDeclaredHere() async throws {
        var withCache = Node.Settings()
        withCache.stores = ["app:cache"]
        let clock = ManualWallClock()
        try await TestNode.with(settings: withCache, clock: clock) { nodeA, _, _ in
            try await nodeA.store("app:cache").set("k", "v")
            let directory = TemporaryDirectory()
            defer { directory.remove() }
            var plain = Node.Settings()
            plain.sweepInterval = .zero
            var nodeB = try Node.open(
                directory: directory.path, settings: plain, clock: clock, logger: TestNode.quietLogger)
            let report = try await nodeB.apply(nodeA.changes(after: 0, limit: 10))
            #expect(report.applied == 1)
            #expect(try nodeB.changes(after: 0, limit: 10).map(\.store) == ["app:cache"], "forwarded under its name")
            #expect(throws: StoreError.self) { try nodeB.store("app:cache") }
            await nodeB.close()
            var declared = plain
            declared.stores = ["app:cache"]
            nodeB = try Node.open(
                directory: directory.path, settings: declared, clock: clock, logger: TestNode.quietLogger)
            #expect(try nodeB.store("app:cache").get("k") == "v")
            await nodeB.close()
        }
    }

    @Test func malformedEntriesAreRefusedOneByOneAndTheRestApplied() async throws {
        try await TestNode.with { node, store, clock in
            let stamp = Stamp(
                hlc: HybridTimestamp(physicalMillis: UInt64(clock.nowMillis()), logical: 0), origin: NodeID(rawValue: 7)
            )
            let report = try await node.apply([
                Change(
                    seq: 1, store: "default", key: "bad",
                    register: Register(stamp: stamp, content: .value(EncodedValue(canonicalBytes: Array("{nope".utf8))))
                ),
                Change(seq: 2, store: "", key: "k", register: Register(stamp: stamp, content: .tombstone)),
                Change(
                    seq: 3, store: "default", key: "good",
                    register: Register(stamp: stamp, content: .value(EncodedValue(integer: 1)))),
            ])
            #expect(report.invalid.count == 2 && report.applied == 1)
            #expect(try store.keys() == ["good"])
            #expect(try store.list().items.count == 1, "no unreadable key can break list")
        }
    }

    @Test func valuesNestedDeeperThanTheDecoderAllowsAreRefused() async throws {
        try await TestNode.with { _, store, _ in
            var deep: JSONValue = 1
            for _ in 0..<128 { deep = [deep] }
            try await store.set("ok", deep)
            #expect(try store.get("ok") == deep)
            let error = await #expect(throws: StoreError.self) { try await store.set("deep", [deep]) }
            #expect(error?.kind == .invalid)
        }
    }
}
