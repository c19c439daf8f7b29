import Foundation

/// Reads the files settings name: the configuration file, the cluster key file, the policy file.
enum TextFile {
    /// The whole of the UTF-8 text file at `path`.
    /// - Throws: ``TextFileError`` saying why it cannot be read.
    static func read(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            if !FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
                throw TextFileError(description: "no such file")
            }
            throw TextFileError(description: isDirectory.boolValue ? "it is a directory" : "permission denied")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw TextFileError(description: "not UTF-8 text") }
        return text
    }
}

/// Why a file could not be read, in a few words.
struct TextFileError: Error, CustomStringConvertible {
    let description: String
}
