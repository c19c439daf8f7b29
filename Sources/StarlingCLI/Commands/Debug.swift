import ArgumentParser
import Foundation
import Starling
import StarlingCore

/// `starling debug`: tools for tests and operators, hidden from the main help.
struct Debug: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Diagnostics used by the test suite.",
        shouldDisplay: false,
        subcommands: [WriteLoop.self, Hold.self]
    )

    /// Writes `key-0`, `key-1`, ... with value = index, printing `ack N` after each write
    /// returned: the crash-durability test kills it with SIGKILL mid-stream.
    struct WriteLoop: AsyncParsableCommand {
        @Option var dataDir: String
        @Option var durability = "process"
        @Option var count = 1_000_000
        @Option(help: "Concurrent writers.") var writers = 8

        func run() async throws {
            var settings = Node.Settings()
            settings.storage.durability = Node.Settings.Storage.Durability(rawValue: durability) ?? .process
            let node = try Node.open(directory: dataDir, settings: settings)
            let store = try node.store("default")
            LineOutput.emit("ready \(node.id)")
            let total = count
            let writers = max(1, self.writers)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for writer in 0..<writers {
                    group.addTask {
                        var index = writer
                        while index < total {
                            try await store.set("key-\(index)", .integer(Int64(index)))
                            if index % 7 == 0 { _ = try await store.incr("counter") }
                            LineOutput.emit("ack \(index)")
                            index += writers
                        }
                    }
                }
                try await group.waitForAll()
            }
            await node.close()
        }
    }

    /// Opens a data directory and holds it until killed: the lock test's other process.
    struct Hold: AsyncParsableCommand {
        @Option var dataDir: String

        func run() async throws {
            let node = try Node.open(directory: dataDir)
            LineOutput.emit("holding \(node.id)")
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
    }
}
