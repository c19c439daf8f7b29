public import Logging
public import Starling

/// A node in a fresh temporary directory with a manual clock and no background sweep, closed
/// and removed after the body, whatever the body does.
public enum TestNode {
    /// The logger of test nodes and servers: it prints nothing, so test output shows only
    /// failures, and under ``Testing/Trait/showsLogsOnFailure`` it captures what a failing test
    /// logged (``CapturedLogs/ofCurrentTest``).
    public static let quietLogger = CapturedLogs.ofCurrentTest

    /// Runs `body` with a fresh node, its `default` store and its clock.
    public static func with<T>(
        settings: Node.Settings = Node.Settings(),
        clock: ManualWallClock = ManualWallClock(),
        _ body: (Node, Store, ManualWallClock) async throws -> T
    ) async throws -> T {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var settings = settings
        settings.sweepInterval = .zero
        let node = try Node.open(directory: directory.path, settings: settings, clock: clock, logger: quietLogger)
        do {
            let result = try await body(node, try node.store("default"), clock)
            await node.close()
            return result
        } catch {
            await node.close()
            throw error
        }
    }
}
