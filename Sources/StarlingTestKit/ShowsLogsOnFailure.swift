import Synchronization
public import Testing

/// Runs each test with a fresh ``CapturedLogs`` as ``CapturedLogs/current`` and, when the test
/// records an issue or throws, prints what it logged (through ``TestNode/quietLogger``) after
/// the failure, so a failure in CI comes with the node's own account of it.
public struct ShowsLogsOnFailure: TestTrait, SuiteTrait, TestScoping {
    public var isRecursive: Bool { true }

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // Suites get their scope through their tests; only a test (case) captures.
        guard !test.isSuite else { return try await function() }
        let capture = CapturedLogs()
        let failed = FailureFlag()
        let watcher = IssueHandlingTrait.compactMapIssues { issue in
            if issue.severity >= .error { failed.set() }
            return issue
        }
        do {
            try await watcher.provideScope(for: test, testCase: testCase) {
                try await CapturedLogs.$current.withValue(capture) { try await function() }
            }
        } catch {
            Self.show(capture, of: test, because: "it threw \(error)")
            throw error
        }
        if failed.isSet { Self.show(capture, of: test, because: "it recorded an issue") }
    }

    private static func show(_ capture: CapturedLogs, of test: Test, because reason: String) {
        let text = capture.text
        print(
            """
            ── logs of \(test.name), which failed (\(reason)) ──
            \(text.isEmpty ? "(nothing was logged)" : text)
            ── end of the logs of \(test.name) ──
            """)
    }
}

extension Trait where Self == ShowsLogsOnFailure {
    /// Captures what each test logs and prints it if the test fails.
    public static var showsLogsOnFailure: Self { ShowsLogsOnFailure() }
}

/// Set once, from any thread.
private final class FailureFlag: Sendable {
    private let flag = Mutex(false)
    func set() { flag.withLock { $0 = true } }
    var isSet: Bool { flag.withLock { $0 } }
}
