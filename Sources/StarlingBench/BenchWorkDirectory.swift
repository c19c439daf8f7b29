import Foundation

/// The scratch directory of a benchmark run.
enum BenchWorkDirectory {
    /// Removes `directory` after a run, or says where it was kept (`--keep`).
    static func finish(_ directory: String, keep: Bool) {
        if keep {
            FileHandle.standardError.write(Data("kept the work directory \(directory)\n".utf8))
        } else {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }
}
