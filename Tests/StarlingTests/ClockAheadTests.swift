import Logging
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// A peer whose clock ran ahead must not acknowledge writes that other peers would refuse.
@Suite(.showsLogsOnFailure) struct ClockAheadTests {
    static let day: Int64 = 86_400_000

    @Test("after a wall clock jumped a day ahead and back, local writes fail UNAVAILABLE naming the clock")
    func writesAreRefusedWhileTheClockIsAhead() async throws {
        let clock = ManualWallClock()
        try await TestNode.with(clock: clock) { node, store, _ in
            let start = clock.nowMillis()
            clock.set(start + Self.day)
            try await store.set("during", "the jump")  // stamped a day ahead: the wall clock said so
            clock.set(start)
            for write in 0..<3 {
                do throws(StoreError) {
                    try await store.set("after", .integer(Int64(write)))
                    Issue.record("a write stamped a day ahead of the wall clock was acknowledged")
                } catch {
                    #expect(error.kind == .unavailable)
                    #expect(error.isRetryable)
                    #expect(error.message.contains("clock"))
                    #expect(error.message.contains("max_clock_offset"))
                }
            }
            await #expect(throws: StoreError.self) { try await store.incr("n") }
            await #expect(throws: StoreError.self) { try await store.delete("during") }
            await #expect(throws: StoreError.self) { try await store.clear() }
            #expect(node.clockAheadRefusals == 6)
            #expect(node.clockAheadMillis >= Self.day - 1)
            #expect(try store.get("after") == nil, "nothing of a refused write was stored")
            // Within max_clock_offset of the stamp, writes go ahead again.
            clock.set(start + Self.day - 30_000)
            try await store.set("after", "caught up")
            #expect(try store.get("after") == "caught up")
        }
    }

    @Test("the refusal is logged (rate-limited) and survives a restart with the persisted clock")
    func refusalIsLoggedAndPersists() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let clock = ManualWallClock()
        let start = clock.nowMillis()
        var settings = Node.Settings()
        settings.sweepInterval = .zero
        let first = try Node.open(
            directory: directory.path, settings: settings, clock: clock, logger: TestNode.quietLogger)
        clock.set(start + Self.day)
        try await first.store("default").set("k", 1)
        await first.close()
        clock.set(start)
        let logs = CapturedLogs()
        let again = try Node.open(directory: directory.path, settings: settings, clock: clock, logger: logs.logger())
        #expect(logs.at(.error).contains { $0.message.contains("persisted clock is ahead") })
        for _ in 0..<5 { _ = try? await again.store("default").set("k", 2) }
        #expect(again.clockAheadRefusals == 5)
        #expect(logs.at(.error).filter { $0.message.contains("refusing local writes") }.count == 1)
        #expect(try again.store("default").get("k") == 1)
        await again.close()
    }
}
