import ArgumentParser
import Foundation
import Starling

/// `starling keygen FILE`: writes a new cluster key file, readable by its owner only.
struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Write a new cluster key file.",
        discussion: """
            Writes one random 256-bit key, base64, to FILE with mode 0600 (owner only). Copy the file \
            to every peer and start each with --cluster-key-file FILE: gossip is then authenticated and \
            encrypted, and peers without the key cannot join. To rotate, put a new key first in every \
            peer's file with the old one after it, restart the peers, then remove the old key.
            """
    )

    @Argument(help: ArgumentHelp("The key file to write.", valueName: "file"))
    var file: String

    @Flag(help: "Replace FILE if it exists (its peers can no longer talk to peers with the new key).")
    var force = false

    func run() throws {
        do {
            try Self.write(to: file, replacing: force)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
        LineOutput.emit("wrote a cluster key to \(file); copy it to every peer and pass --cluster-key-file \(file)")
    }

    /// Writes a new key file at `path`, mode 0600, refusing to replace one unless `replacing`.
    static func write(to path: String, replacing: Bool) throws(KeygenError) {
        if !replacing, FileManager.default.fileExists(atPath: path) {
            throw KeygenError(description: "\(path) exists; pass --force to replace it")
        }
        let text = ClusterKeyring.newKeyFileContents(comment: "written by `starling keygen`")
        let temporary = path + ".tmp-\(getpid())"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else {
            throw KeygenError(description: "cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw KeygenError(description: "cannot move the key into \(path): \(reason)")
        }
    }
}

/// Why a key file could not be written.
struct KeygenError: Error, CustomStringConvertible {
    let description: String
}
