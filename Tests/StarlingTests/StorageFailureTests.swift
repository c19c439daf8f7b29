import Foundation
import Starling
import StarlingCore
import StarlingTestKit
import Testing

/// A full disk surfaces as `UNAVAILABLE` (retryable) and loses nothing acknowledged.
@Suite(.showsLogsOnFailure) struct StorageFailureTests {
    @Test func aFullDatabaseRefusesWritesRetryablyAndKeepsEveryAcknowledgedOne() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        var settings = Node.Settings()
        settings.storage.maxDatabaseBytes = 256 * 1024
        settings.sweepInterval = .zero
        var node = try Node.open(directory: directory.path, settings: settings)
        var store = try node.store("default")
        let value = JSONValue.string(String(repeating: "x", count: 2_000))
        var acknowledged: [String] = []
        var failure: StoreError?
        for index in 0..<1_000 {
            do {
                try await store.set("key-\(index)", value)
                acknowledged.append("key-\(index)")
            } catch {
                failure = error
                break
            }
        }
        let error = try #require(failure, "the size limit was reached")
        #expect(error.kind == .unavailable && error.isRetryable)
        #expect(try store.get("key-\(acknowledged.count)") == nil, "the refused write changed nothing")
        // Concurrent writes in the same failing batch are all refused, none half-applied.
        let full = store
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8 { group.addTask { _ = try? await full.set("late-\(index)", value) } }
        }
        await node.close()

        settings.storage.maxDatabaseBytes = nil
        node = try Node.open(directory: directory.path, settings: settings)
        store = try node.store("default")
        for key in acknowledged { #expect(try store.get(key) == value, "\(key) survived") }
        try await store.set("after", 1)
        #expect(try store.get("after") == 1, "writes resume once there is room")
        await node.close()
    }
}
