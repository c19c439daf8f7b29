import Foundation
import StarlingTestKit
import Testing

/// `starling serve` as an operator meets it: a data directory that lost its database is refused
/// with a message and a non-zero exit, and `--reinitialize` starts over keeping the old file.
@Suite(.serialized, .showsLogsOnFailure) struct ServeDataDirectoryTests {
    /// Starts `starling serve` on `directory` and waits until it serves or fails.
    /// - Returns: the process and the line that decided (nil if neither came).
    static func serve(_ directory: TemporaryDirectory, _ extra: [String] = []) throws -> (ChildProcess, String?) {
        let arguments = [
            "serve", "--data-dir", directory.path, "--gossip", "127.0.0.1:0", "--http", "127.0.0.1:0", "--resp",
            "127.0.0.1:0",
        ]
        let process = try ChildProcess(Fixtures.starlingExecutable, arguments + extra, readingStandardError: true)
        let line = process.waitForLine(timeout: .seconds(60)) { $0.contains("HTTP on ") || $0.hasPrefix("error: ") }
        return (process, line)
    }

    /// The node id in `starling node <id> serving ...`.
    static func nodeID(in line: String?) -> String? {
        line?.components(separatedBy: "starling node ").dropFirst().first?.components(separatedBy: " ").first
    }

    @Test func serveRefusesATruncatedDatabaseAndReinitializeStartsOverKeepingItAside() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let (first, started) = try Self.serve(directory)
        let oldID = try #require(Self.nodeID(in: started), "serve started: \(first.outputLines)")
        first.kill(SIGTERM)
        #expect(first.waitForExit() == 0)

        let database = directory.appending("starling.db")
        try Data().write(to: URL(fileURLWithPath: database))
        let (refused, refusal) = try Self.serve(directory)
        if refusal?.hasPrefix("error: ") != true { refused.kill() }
        #expect(refused.waitForExit() == 1, "a refused start exits non-zero")
        let message = try #require(refusal)
        #expect(message.hasPrefix("error: UNAVAILABLE: the database \(database) is empty (0 bytes)"))
        #expect(message.contains("initialised for node \(oldID)") && message.contains("--reinitialize"))
        #expect(!refused.outputLines.contains { $0.contains("serving") })

        let (second, restarted) = try Self.serve(directory, ["--reinitialize"])
        let newID = try #require(Self.nodeID(in: restarted), "serve --reinitialize started: \(second.outputLines)")
        #expect(newID != oldID)
        #expect(second.outputLines.contains { $0.contains("moved aside") && $0.contains(database) })
        second.kill(SIGTERM)
        #expect(second.waitForExit() == 0)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        let aside = try #require(
            files.first {
                $0.hasPrefix("starling.db.aside-") && !$0.hasSuffix("-wal") && !$0.hasSuffix("-shm")
            }, "\(files)")
        #expect(try FileManager.default.attributesOfItem(atPath: directory.appending(aside))[.size] as? Int == 0)
        #expect(files.contains { $0.hasPrefix("node.id.aside-") })
    }
}
