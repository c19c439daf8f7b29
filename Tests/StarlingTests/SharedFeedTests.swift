import StarlingCore
import StarlingTestKit
import Testing

@testable import Starling

/// Many watchers cost the writers nothing per watcher (issue report 8): the node's feed hub reads
/// each commit once for all of them.
@Suite(.showsLogsOnFailure) struct SharedFeedTests {
    @Test func fiftyWatchersCostOneFeedReadPerCommitNotOnePerWatcher() async throws {
        try await TestNode.with { node, store, _ in
            let watchers = 50
            let writes = 20
            let before = node.feedHub.readCount
            let seen = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<watchers {
                    group.addTask {
                        var iterator = try store.watch().makeAsyncIterator()
                        var count = 0
                        while let event = try await iterator.next(), event.key != "last" { count += 1 }
                        return count + 1
                    }
                }
                #expect(await eventually { node.feedHub.subscriberCount == watchers })
                for index in 0..<writes { try await store.set("k\(index)", .integer(Int64(index))) }
                try await store.set("last", true)
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(seen.count == watchers && seen.allSatisfy { $0 >= 1 }, "every watcher saw the last write")
            let reads = node.feedHub.readCount - before
            // One read per commit at most (fewer when commits batch), far below one per watcher.
            #expect(reads <= writes + 1 + 2, "\(reads) feed reads for \(writes + 1) commits and \(watchers) watchers")
        }
    }
}
