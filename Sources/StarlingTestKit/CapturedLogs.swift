public import Logging
import Synchronization

/// A logger whose records a test reads back: to check that something was logged (a warning
/// naming a sender), and to show what was logged when a test fails.
///
/// A test (or suite) with the ``Testing/Trait/showsLogsOnFailure`` trait runs with a capture as
/// ``current``; ``TestNode/quietLogger`` (which every test node and server logs to) writes into
/// it, and the trait prints what it holds if the test fails, and drops it otherwise.
public final class CapturedLogs: Sendable {
    /// The capture of the running test, inherited by the tasks it starts; nil outside one.
    @TaskLocal public static var current: CapturedLogs?

    /// The most records a capture keeps; older ones are dropped (and counted).
    public static let retained = 5_000
    /// One log record.
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private struct Records {
        var kept: [Record] = []
        var dropped = 0
    }

    private let records = Mutex(Records())

    /// Creates an empty capture.
    public init() {}

    /// A logger writing into this capture, at `level` and above.
    public func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "starling-test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Every record so far, oldest first.
    public var all: [Record] { records.withLock { $0.kept } }

    /// The records at `level` or above.
    public func at(_ level: Logger.Level) -> [Record] { all.filter { $0.level >= level } }

    fileprivate func append(_ record: Record) {
        records.withLock { records in
            if records.kept.count >= Self.retained {
                records.kept.removeFirst(records.kept.count / 2)
                records.dropped += Self.retained / 2
            }
            records.kept.append(record)
        }
    }

    /// The records as text, one line each, oldest first, saying how many older ones were dropped.
    public var text: String {
        let (kept, dropped) = records.withLock { ($0.kept, $0.dropped) }
        var lines = dropped > 0 ? ["(\(dropped) older records dropped)"] : []
        for record in kept {
            let metadata = record.metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            lines.append(([record.level.rawValue, record.message] + metadata).joined(separator: " "))
        }
        return lines.joined(separator: "\n")
    }

    /// A logger that writes into the running test's capture (``current``) when there is one and
    /// drops everything otherwise, at no cost beyond a task-local read.
    public static let ofCurrentTest = Logger(label: "starling-test") { _ in CurrentTestHandler() }

    private struct CurrentTestHandler: LogHandler {
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level {
            get { CapturedLogs.current == nil ? .critical : .debug }
            set {}
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            guard let capture = CapturedLogs.current else { return }
            Handler(capture: capture, metadata: metadata).log(event: event)
        }
    }

    private struct Handler: LogHandler {
        let capture: CapturedLogs
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            var merged: [String: String] = [:]
            for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
                merged[key] = "\(value)"
            }
            capture.append(Record(level: event.level, message: event.message.description, metadata: merged))
        }
    }
}
