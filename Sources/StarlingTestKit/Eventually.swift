import Foundation

/// Waits until `condition` holds, checking every `interval`, for at most `timeout`.
/// Tests use it instead of fixed sleeps when they wait for real replication.
/// - Returns: whether the condition held before the deadline.
public func eventually(
    timeout: Duration = .seconds(20), interval: Duration = .milliseconds(20), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: interval)
    }
    return try await condition()
}
