import ArgumentParser
import Foundation
import Logging
import Starling

/// `starling serve`: runs a peer on a data directory until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a peer: open the data directory and host its stores until interrupted.",
        discussion: """
            Opens (creating if needed) the data directory, hosts the `default` store and any \
            --store given, expires keys in the background, and on SIGINT or SIGTERM finishes \
            queued writes and closes the database cleanly.

            Examples:
              starling serve
              starling serve --data-dir /var/lib/starling --store app:cache
            """
    )

    @Option(help: "The data directory.")
    var dataDir = "./starling-data"

    @Option(name: .customLong("store"), help: "A store to host besides `default` (repeatable).")
    var stores: [String] = []

    @Option(help: "What an acknowledged write survives: process (default) or power.")
    var durability = "process"

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        let logger = Logger(label: "starling")
        var settings = Node.Settings()
        settings.stores += stores
        guard let durability = StorageSettings.Durability(rawValue: durability) else {
            throw ValidationError("--durability must be process or power, not \(durability)")
        }
        settings.storage.durability = durability
        let node: Node
        do {
            node = try Node.open(directory: dataDir, settings: settings, logger: logger)
        } catch {
            throw CleanExit.message("error: \(error.kind.name): \(error.message)")
        }
        let stores = node.storeNamesSorted.joined(separator: ", ")
        print("starling node \(node.id) serving \(stores) from \(dataDir); Ctrl-C to stop")
        await SignalWaiter.waitForTermination()
        print("shutting down: finishing queued writes")
        await node.close()
    }
}
