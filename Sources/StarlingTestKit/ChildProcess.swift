import Foundation

/// A child process whose standard output is read line by line: for tests that run the real
/// `starling` binary and kill it.
public final class ChildProcess: @unchecked Sendable {
    // @unchecked: `buffer`, `lines` and `ended` are touched only under `lock`, a condition variable
    // (readers block until a line or the end arrives), which `Mutex` does not offer.
    private let process = Process()
    private let pipe = Pipe()
    private let lock = NSCondition()
    private var buffer: [UInt8] = []
    private var lines: [String] = []
    private var ended = false

    /// Starts `executable` with `arguments`; with `readingStandardError`, what it writes to
    /// standard error is read into the same lines.
    public init(_ executable: String, _ arguments: [String], readingStandardError: Bool = false) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = readingStandardError ? pipe : FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.received(handle.availableData)
        }
        try process.run()
    }

    /// A test that fails half-way must not leave its processes running: they are killed when
    /// the handle goes away.
    deinit {
        if process.isRunning {
            Foundation.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    /// The process id.
    public var pid: Int32 { process.processIdentifier }

    /// Every complete line printed so far.
    public var outputLines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }

    /// Waits until a printed line satisfies `predicate`, the output ends, or `timeout` passes.
    /// - Returns: the matching line, or nil.
    public func waitForLine(timeout: Duration = .seconds(30), where predicate: (String) -> Bool) -> String? {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds))
        lock.lock()
        defer { lock.unlock() }
        var checked = 0
        while true {
            while checked < lines.count {
                if predicate(lines[checked]) { return lines[checked] }
                checked += 1
            }
            if ended || !lock.wait(until: deadline) { return nil }
        }
    }

    /// Sends `signal` (9, SIGKILL, by default) and waits for the process to exit (see
    /// ``waitForExit(timeout:)``).
    public func kill(_ signal: Int32 = 9, timeout: Duration = .seconds(60)) {
        Foundation.kill(process.processIdentifier, signal)
        guard waitForExit(timeout: timeout) != Self.didNotExit else { return }
        pipe.fileHandleForReading.readabilityHandler = nil
        received(pipe.fileHandleForReading.readDataToEndOfFile())
    }

    /// What ``waitForExit(timeout:)`` returns for a process that outlived its deadline.
    public static let didNotExit = Int32.min

    /// Waits for the process to exit and returns its status; a process still running after
    /// `timeout` is killed and ``didNotExit`` returned, so a test that expects an exit fails
    /// instead of hanging the suite.
    public func waitForExit(timeout: Duration = .seconds(60)) -> Int32 {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                Foundation.kill(process.processIdentifier, SIGKILL)
                return Self.didNotExit
            }
            usleep(10_000)  // polling for the exit, with the deadline above
        }
        return process.terminationStatus
    }

    private func received(_ data: Data) {
        lock.lock()
        defer {
            lock.broadcast()
            lock.unlock()
        }
        if data.isEmpty {
            ended = true
            return
        }
        buffer.append(contentsOf: data)
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            lines.append(String(decoding: buffer[..<newline], as: UTF8.self))
            buffer.removeSubrange(...newline)
        }
    }
}
