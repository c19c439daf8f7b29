import Starling
import StarlingTestKit
import Synchronization
import Testing

/// The connection budget (issue report 6): below the descriptor limit by default, shared by
/// every admission, refusals counted and reported at most once per interval.
@Suite(.showsLogsOnFailure) struct ConnectionLimiterTests {
    /// A clock the test moves by hand.
    final class ManualInstant: Sendable {
        let instant = Mutex(ContinuousClock.now)
        func now() -> ContinuousClock.Instant { instant.withLock { $0 } }
        func advance(by duration: Duration) { instant.withLock { $0 += duration } }
    }

    @Test func theDefaultLimitKeepsDescriptorsInReserveWithinBounds() {
        #expect(ConnectionLimiter.defaultLimit(descriptorLimit: 1_024) == 896)
        #expect(ConnectionLimiter.defaultLimit(descriptorLimit: 100) == ConnectionLimiter.minimumDefaultLimit)
        #expect(ConnectionLimiter.defaultLimit(descriptorLimit: 1 << 20) == ConnectionLimiter.maximumDefaultLimit)
        #expect(ConnectionLimiter.defaultLimit(descriptorLimit: nil) == ConnectionLimiter.maximumDefaultLimit)
        if let current = ConnectionLimiter.currentDescriptorLimit() {
            #expect(ConnectionLimiter.defaultLimit < max(current, ConnectionLimiter.minimumDefaultLimit + 1))
        }
    }

    @Test func refusalsPastTheLimitAreCountedAndReportedOncePerInterval() {
        let clock = ManualInstant()
        let limiter = ConnectionLimiter(limit: 2, logInterval: .seconds(10)) { clock.now() }
        #expect(limiter.admit() == .admitted)
        #expect(limiter.admit() == .admitted)
        #expect(limiter.admit() == .refused(report: 1), "the first refusal is reported")
        #expect(limiter.admit() == .refused(report: nil), "within the interval, counted but not reported")
        clock.advance(by: .seconds(11))
        #expect(limiter.admit() == .refused(report: 2), "the next report says how many since the last")
        #expect(limiter.refusedConnections == 3)
        limiter.release()
        #expect(limiter.openConnections == 1)
        #expect(limiter.admit() == .admitted, "a released place is admitted again")
    }
}
