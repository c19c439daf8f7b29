import Logging
import StarlingTestKit
import Testing

/// What ``ShowsLogsOnFailure`` prints comes from here: a failing test's logs, written through the
/// test kit's logger from the test and from the tasks it started.
@Suite(.showsLogsOnFailure) struct CapturedLogsTests {
    @Test func theTestKitsLoggerWritesIntoTheRunningTestsCapture() async throws {
        let capture = try #require(CapturedLogs.current, "the trait gives each test a capture")
        TestNode.quietLogger.info("from the test", metadata: ["n": "1"])
        await Task { TestNode.quietLogger.debug("from a task it started") }.value
        #expect(capture.all.map(\.message) == ["from the test", "from a task it started"])
        #expect(capture.text == "info from the test n=1\ndebug from a task it started")
    }

    @Test func outsideATestNothingIsKeptAndNothingIsEvaluated() {
        CapturedLogs.$current.withValue(nil) {
            #expect(TestNode.quietLogger.logLevel == .critical)
            TestNode.quietLogger.debug("\(Issue.record("a dropped message was evaluated"))")
        }
    }

    @Test func aLongCaptureKeepsTheNewestRecordsAndSaysHowManyWentBefore() {
        let capture = CapturedLogs()
        let logger = capture.logger()
        for index in 0..<(CapturedLogs.retained + 1) { logger.info("\(index)") }
        #expect(capture.all.last?.message == "\(CapturedLogs.retained)")
        #expect(capture.all.count <= CapturedLogs.retained)
        #expect(capture.text.hasPrefix("(\(CapturedLogs.retained / 2) older records dropped)\n"))
    }
}
