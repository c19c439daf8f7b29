public import Logging
import Synchronization

/// A logger whose records a test reads back: to check that something was logged (a warning
/// naming a sender), and to show what was logged when a test fails.
public final class CapturedLogs: Sendable {
    /// One log record.
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: [String: String]
    }

    private let records = Mutex<[Record]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger writing into this capture, at `level` and above.
    public func logger(level: Logger.Level = .debug) -> Logger {
        var logger = Logger(label: "starling-test") { _ in Handler(capture: self) }
        logger.logLevel = level
        return logger
    }

    /// Every record so far, oldest first.
    public var all: [Record] { records.withLock { $0 } }

    /// The records at `level` or above.
    public func at(_ level: Logger.Level) -> [Record] { all.filter { $0.level >= level } }

    fileprivate func append(_ record: Record) { records.withLock { $0.append(record) } }

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
