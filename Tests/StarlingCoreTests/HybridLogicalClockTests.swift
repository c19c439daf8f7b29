import StarlingCore
import StarlingTestKit
import Testing

@Suite(.showsLogsOnFailure) struct HybridLogicalClockTests {
    @Test func issuesWallTimeWhenTheWallClockMovesForward() {
        var clock = HybridLogicalClock()
        let first = clock.now(wallMillis: 1_000)
        let second = clock.now(wallMillis: 1_005)
        #expect(first == HybridTimestamp(physicalMillis: 1_000, logical: 0))
        #expect(second == HybridTimestamp(physicalMillis: 1_005, logical: 0))
    }

    @Test func countsLogicallyWithinOneMillisecondAndWhenTheWallClockGoesBack() {
        var clock = HybridLogicalClock()
        let a = clock.now(wallMillis: 2_000)
        let b = clock.now(wallMillis: 2_000)
        let c = clock.now(wallMillis: 1_500)
        #expect(a < b && b < c)
        #expect(c.physicalMillis == 2_000)
        #expect(c.logical == 2)
    }

    @Test func logicalOverflowBorrowsTheNextMillisecond() {
        var clock = HybridLogicalClock(last: HybridTimestamp(physicalMillis: 5_000, logical: .max))
        let next = clock.now(wallMillis: 5_000)
        #expect(next == HybridTimestamp(physicalMillis: 5_001, logical: 0))
        #expect(clock.now(wallMillis: 5_000) > next)
    }

    @Test func restoredClockNeverReissuesAfterTheWallClockWentBackwards() {
        let persisted = HybridTimestamp(physicalMillis: 9_000, logical: 3)
        var restarted = HybridLogicalClock(last: persisted)
        #expect(restarted.now(wallMillis: 100) > persisted)
    }

    @Test func observingARemoteStampOrdersLaterLocalStampsAfterIt() throws {
        var clock = HybridLogicalClock()
        _ = clock.now(wallMillis: 1_000)
        let remote = HybridTimestamp(physicalMillis: 1_500, logical: 7)
        try clock.observe(remote, wallMillis: 1_000)
        let next = clock.now(wallMillis: 1_000)
        #expect(next > remote)
        #expect(next.physicalMillis == 1_500)
    }

    @Test func refusesARemoteStampBeyondTheMaximumOffsetAndStaysUnchanged() {
        var clock = HybridLogicalClock(maxOffsetMillis: 60_000)
        let before = clock.now(wallMillis: 1_000_000)
        let remote = HybridTimestamp(physicalMillis: 1_000_000 + 60_001, logical: 0)
        #expect(throws: ClockOffsetError.self) { try clock.observe(remote, wallMillis: 1_000_000) }
        #expect(clock.last == before)
        // Exactly at the tolerance is accepted.
        #expect(throws: Never.self) {
            try clock.observe(HybridTimestamp(physicalMillis: 1_060_000, logical: 0), wallMillis: 1_000_000)
        }
    }

    @Test func stampOrderIsTimestampThenOriginAndVersionsRoundTrip() {
        let a = Stamp(hlc: HybridTimestamp(physicalMillis: 10, logical: 0), origin: NodeID(rawValue: .max))
        let b = Stamp(hlc: HybridTimestamp(physicalMillis: 10, logical: 1), origin: NodeID(rawValue: 1))
        let c = Stamp(hlc: b.hlc, origin: NodeID(rawValue: 2))
        #expect(a < b && b < c)
        #expect(Stamp(version: c.version) == c)
        #expect(Stamp(version: "nope") == nil)
        #expect(c.version.count == 32)
    }
}
