import ArgumentParser
import Foundation
import Starling
import StarlingClient
import StarlingCore
import StarlingTestKit
import Testing

@testable import StarlingCLI
@testable import StarlingHTTP

/// A real peer (`StarlingServer`, what `starling serve` runs) with a fresh data directory, its HTTP
/// API and gossip on `127.0.0.1` and ports the system picked, and no other members.
struct TestServer: Sendable {
    /// The base URL, such as `http://127.0.0.1:40123`.
    let endpoint: String
    /// The node behind the API.
    let node: Node
    /// Its `default` store.
    let store: Store
    /// Its gossip address, `127.0.0.1:PORT`.
    let gossipAddress: String

    /// Runs `body` with a server, then stops the server and closes the node.
    static func with(
        stores: [String] = [], _ body: @Sendable (TestServer) async throws -> Void
    ) async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let server = try await StarlingServer.start(
            configuration(directory, stores: stores), logger: TestNode.quietLogger)
        do {
            let store = try server.node.store("default")
            try await body(
                TestServer(
                    endpoint: "http://127.0.0.1:\(server.httpPort)", node: server.node, store: store,
                    gossipAddress: server.replication.boundAddress.description))
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
    }

    /// A peer on loopback with system-chosen ports, alone (no seeds), in `directory`.
    static func configuration(_ directory: TemporaryDirectory, stores: [String] = []) -> StarlingServer.Configuration {
        var configuration = StarlingServer.Configuration()
        configuration.dataDirectory = directory.path
        configuration.node.stores += stores
        configuration.httpPort = 0
        configuration.replication.bind = PeerAddress(host: "127.0.0.1", port: 0)
        return configuration
    }

    /// Runs `body` with a client of this server's store `store`, shut down afterwards.
    func withClient<T: Sendable>(
        store: String = "default", token: String? = nil, _ body: (StarlingClient) async throws -> T
    ) async throws -> T {
        try await StarlingClient.with(endpoint: endpoint, store: store, token: token, body)
    }

    /// Parses `arguments` as the `starling` command line and runs the client command they name
    /// against this server (unless they give their own `--endpoint`).
    /// - Returns: what the command printed and its exit status.
    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> CommandOutput {
        var environment = environment
        if environment["STARLING_ENDPOINT"] == nil { environment["STARLING_ENDPOINT"] = endpoint }
        return try await TestServer.run(arguments, environment: environment)
    }

    /// Parses `arguments` as the `starling` command line and runs the client command they name.
    static func run(_ arguments: [String], environment: [String: String]) async throws -> CommandOutput {
        let command = try StarlingCommand.parseAsRoot(arguments)
        let client = try #require(command as? any ClientCommand, "\(arguments) is not a client command")
        return await client.execute(environment: environment)
    }
}

/// A port on 127.0.0.1 where nothing listens: bound by a server that then stopped.
func closedPort() async throws -> Int {
    let directory = TemporaryDirectory()
    defer { directory.remove() }
    let server = try await StarlingServer.start(TestServer.configuration(directory), logger: TestNode.quietLogger)
    await server.shutdown()
    return server.httpPort
}

/// What a run of the real `starling` binary printed, and its exit status.
struct ProcessOutput {
    var stdout: String
    var stderr: String
    var status: Int32
}

/// Runs the built `starling` binary with `arguments` and waits for it to exit.
func runStarlingBinary(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessOutput {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Fixtures.starlingExecutable)
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.merge(environment) { _, new in new }
    process.environment = merged
    let stdout = Pipe()
    let stderr = Pipe()
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    let out = stdout.fileHandleForReading.readDataToEndOfFile()
    let err = stderr.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ProcessOutput(
        stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self),
        status: process.terminationStatus)
}
