import ArgumentParser
import Foundation
import Synchronization
import UnixSignals

/// `starling cluster up N`: N local peers on loopback, each a `starling serve` process with its
/// own ports and data directory, stopped cleanly together on Ctrl-C.
struct ClusterUp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start N local peers on loopback and stop them together on Ctrl-C.",
        discussion: """
            Peer i (from 1) keeps its data in DATA-ROOT/peer-i, serves HTTP on \
            127.0.0.1:(HTTP-PORT + i - 1), the Redis protocol on 127.0.0.1:(RESP-PORT + i - 1) \
            and gossips on 127.0.0.1:(GOSSIP-PORT + i - 1); every \
            peer after the first joins the first, gossip sealed with the key in DATA-ROOT/cluster.key \
            (written on first use). Each peer's output goes to DATA-ROOT/peer-i.log. \
            Running it again on the same DATA-ROOT restarts the same peers with their data. On \
            Ctrl-C (or SIGTERM) every peer shuts down cleanly; if one peer exits on its own, the \
            others are stopped and the command fails.

            Examples:
              starling cluster up 3
              starling cluster up 5 --data-root /tmp/starling-lab --http-port 8070 --gossip-port 8946
              starling cluster up 3 --store app:cache
            """
    )

    @Argument(help: "How many peers to start (1 to 32).")
    var count: Int

    @Option(help: "The folder holding each peer's data directory and log.")
    var dataRoot = "./starling-cluster"

    @Option(help: "The HTTP port of the first peer; the others count up from it.")
    var httpPort = 7070

    @Option(help: "The Redis protocol port of the first peer; the others count up from it.")
    var respPort = 7379

    @Option(help: "The UDP gossip port of the first peer; the others count up from it.")
    var gossipPort = 7946

    @Option(name: .customLong("store"), help: "A store every peer hosts besides `default` (repeatable).")
    var stores: [String] = []

    func validate() throws {
        guard (1...32).contains(count) else { throw ValidationError("N must be from 1 to 32, not \(count)") }
        for (name, port) in [("--http-port", httpPort), ("--resp-port", respPort), ("--gossip-port", gossipPort)]
        where !(1...(65_535 - count + 1)).contains(port) {
            throw ValidationError("\(name) leaves no room for \(count) ports from \(port)")
        }
    }

    /// The command line of peer `index` (from 0).
    func serveArguments(peer index: Int) -> [String] {
        var arguments = [
            "serve", "--data-dir", "\(dataRoot)/peer-\(index + 1)",
            "--http", "127.0.0.1:\(httpPort + index)", "--resp", "127.0.0.1:\(respPort + index)",
            "--gossip", "127.0.0.1:\(gossipPort + index)",
        ]
        if index > 0 { arguments += ["--join", "127.0.0.1:\(gossipPort)"] }
        arguments += ["--cluster-key-file", keyFile]
        for store in stores { arguments += ["--store", store] }
        return arguments
    }

    /// The cluster's key file: gossip between the peers is sealed with it, as on a real cluster.
    var keyFile: String { "\(dataRoot)/cluster.key" }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: dataRoot, withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: keyFile) { try Keygen.write(to: keyFile, replacing: false) }
        let (events, sink) = AsyncStream<LocalPeers.Event>.makeStream()
        let signals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        Task {
            for await _ in signals { break }
            sink.yield(.signal)
        }
        let peers = LocalPeers(events: sink)
        do {
            for index in 0..<count {
                try peers.start(
                    arguments: serveArguments(peer: index), log: "\(dataRoot)/peer-\(index + 1).log",
                    ready: "HTTP on ")
            }
        } catch {
            peers.stopAll()
            throw CleanExit.message("error: UNAVAILABLE: \(error)")
        }
        LineOutput.emit("\(count) peers running; Ctrl-C stops them all")
        LineOutput.emit("peer  http                   resp             gossip           data")
        for index in 0..<count {
            LineOutput.emit(
                "\(index + 1)".padding(toLength: 6, withPad: " ", startingAt: 0)
                    + "http://127.0.0.1:\(httpPort + index)".padding(toLength: 23, withPad: " ", startingAt: 0)
                    + "127.0.0.1:\(respPort + index)".padding(toLength: 17, withPad: " ", startingAt: 0)
                    + "127.0.0.1:\(gossipPort + index)".padding(toLength: 17, withPad: " ", startingAt: 0)
                    + "\(dataRoot)/peer-\(index + 1)")
        }
        if count > 1 {
            LineOutput.emit(
                "try: starling set greeting hello --endpoint http://127.0.0.1:\(httpPort) && "
                    + "starling get greeting --endpoint http://127.0.0.1:\(httpPort + 1)")
            LineOutput.emit(
                "or:  redis-cli -p \(respPort) set greeting hello && redis-cli -p \(respPort + 1) get greeting")
        }
        for await event in events {
            switch event {
            case .signal:
                LineOutput.emit("stopping \(count) peers")
                peers.stopAll()
                return
            case .exited(let index, let status):
                LineOutput.emit("peer \(index + 1) exited with status \(status); stopping the others")
                peers.stopAll()
                throw ExitCode.failure
            }
        }
    }
}

/// Child `starling serve` processes started by ``ClusterUp``.
final class LocalPeers: Sendable {

    /// What ends the wait of `cluster up`.
    enum Event: Sendable {
        /// SIGINT or SIGTERM arrived.
        case signal
        /// A peer exited on its own (index from 0, exit status).
        case exited(Int, Int32)
    }

    /// A peer that could not start.
    struct StartFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let log: String
        var description: String {
            let tail =
                (try? String(contentsOfFile: log, encoding: .utf8))?
                .split(separator: "\n").suffix(5).joined(separator: "\n  ") ?? ""
            return "starling \(arguments.joined(separator: " ")) did not start; the end of \(log):\n  \(tail)"
        }
    }

    private struct State {
        var processes: [Process] = []
        var stopping = false
    }

    private let state = Mutex(State())
    private let events: AsyncStream<Event>.Continuation

    init(events: AsyncStream<Event>.Continuation) {
        self.events = events
    }

    /// Starts `starling` (this executable) with `arguments`, its output appended to `log`, and
    /// returns once a line of the log contains `ready`.
    /// - Throws: ``StartFailed`` when it exits first or prints nothing ready within 30 s.
    func start(arguments: [String], log: String, ready: String) throws {
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let start = output.seekToEndOfFile()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        process.arguments = arguments
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let index = state.withLock { $0.processes.count }
        process.terminationHandler = { [weak self] process in
            guard let self, !self.state.withLock({ $0.stopping }) else { return }
            self.events.yield(.exited(index, process.terminationStatus))
        }
        try process.run()
        state.withLock { $0.processes.append(process) }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, process.isRunning {
            if let data = FileManager.default.contents(atPath: log),
                String(decoding: data.dropFirst(Int(start)), as: UTF8.self).contains(ready)
            {
                return
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw StartFailed(arguments: arguments, log: log)
    }

    /// Sends SIGTERM to every peer and waits for each to exit; one still running after 30 s is
    /// killed.
    func stopAll() {
        let running = state.withLock { state in
            state.stopping = true
            return state.processes
        }
        for process in running where process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date().addingTimeInterval(30)
        for process in running {
            while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
            }
        }
    }
}
