import Foundation
import StarlingCore

/// The node's identity recorded apart from its database, in `<data dir>/node.id`, so that a
/// directory whose database went missing or empty can tell it was initialised:
///
/// ```
/// starling-node-identity 1
/// node_id 0123456789abcdef
/// ```
///
/// The first line is the format (a newer format is refused, not guessed at); lines starting
/// with `#` are comments. Written atomically at first start, and on the first open of a
/// directory from before identity files, from its database.
enum NodeIdentityFile {
    /// The format this build writes and reads.
    static let formatVersion = 1
    static let formatWord = "starling-node-identity"

    /// The file's text for `node`.
    static func text(for node: NodeID) -> String {
        """
        \(formatWord) \(formatVersion)
        node_id \(node)
        # The data directory of Starling node \(node); its database is starling.db beside this file.
        # Never copy another node's starling.db or node.id into this directory.

        """
    }

    /// Parses the file's text.
    /// - Returns: the node id, or a description of what is wrong (completing "the identity file ...").
    static func parse(_ text: String) -> Result<NodeID, Problem> {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
        guard let format = lines.first else { return .failure(Problem("is empty")) }
        let formatWords = format.split(separator: " ")
        guard formatWords.count == 2, formatWords[0] == formatWord, let version = Int(formatWords[1]) else {
            return .failure(
                Problem("does not start with \"\(formatWord) \(formatVersion)\": it is not a Starling identity file"))
        }
        guard version == formatVersion else {
            return .failure(
                Problem(
                    "has format \(version), which this build (format \(formatVersion)) cannot read: run a newer Starling"
                ))
        }
        let idLines = lines.dropFirst().filter { $0.hasPrefix("node_id ") }
        guard idLines.count == 1, let raw = UInt64(idLines[0].dropFirst("node_id ".count), radix: 16), raw != 0 else {
            return .failure(Problem("has no valid \"node_id <16 hex digits>\" line"))
        }
        return .success(NodeID(rawValue: raw))
    }

    /// What is wrong with an identity file.
    struct Problem: Error, Equatable {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// The identity recorded in `directory`, or nil when it has no identity file.
    /// - Throws: `UNAVAILABLE` when the file cannot be read or is not an identity file.
    static func read(_ directory: DataDirectory) throws(StoreError) -> NodeID? {
        guard let bytes = try POSIXFiles.contents(of: directory.identity, limit: 4_096) else { return nil }
        switch parse(String(decoding: bytes, as: UTF8.self)) {
        case .success(let node): return node
        case .failure(let problem): throw .unreadableIdentity(directory, problem.description)
        }
    }

    /// Records `node` in `directory`, atomically and durably.
    /// - Throws: `UNAVAILABLE` when the file cannot be written.
    static func write(_ node: NodeID, in directory: DataDirectory) throws(StoreError) {
        try POSIXFiles.writeAtomically(Array(text(for: node).utf8), to: directory.identity, directory: directory.path)
    }
}
