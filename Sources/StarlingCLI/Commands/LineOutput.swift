import Foundation

/// Writes whole lines to standard output without buffering, so a reader (a test, a pipe)
/// sees each line the moment it is written, even if the process is then killed.
enum LineOutput {
    static func emit(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }
}
