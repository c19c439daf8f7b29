import StarlingCore

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The files of a data directory, and whether they can be opened as they are.
///
/// A directory holds `starling.db` (with SQLite's `-wal` and `-shm` files beside it while open),
/// `node.id` (``NodeIdentityFile``) and `LOCK` (``DirectoryLock``). Only a directory with none of
/// the database files and no identity is new; one that was initialised but lost its database,
/// or kept a log without its database, is refused rather than started empty.
struct DataDirectory: Sendable {
    /// The directory.
    let path: String

    var database: String { path + "/starling.db" }
    var writeAheadLog: String { database + "-wal" }
    var sharedMemory: String { database + "-shm" }
    var identity: String { path + "/node.id" }

    /// What opening finds.
    enum Condition: Equatable {
        /// No database, no log, no identity: create them.
        case new
        /// A database to open, and the identity recorded apart from it: nil in a directory
        /// from before identity files (it is written from the database).
        case existing(identity: NodeID?)
    }

    /// Examines the directory without changing it.
    /// - Throws: `UNAVAILABLE` (``StoreError/Detail/damagedDataDirectory``) for an initialised
    ///   directory whose database is missing or empty, a log without its database, or an
    ///   unreadable identity file; `UNAVAILABLE` when the files cannot be examined.
    func inspect() throws(StoreError) -> Condition {
        let node = try NodeIdentityFile.read(self)
        var leftovers: [String] = []
        for file in [writeAheadLog, sharedMemory] where try POSIXFiles.size(of: file) != nil {
            leftovers.append(file)
        }
        switch try POSIXFiles.size(of: database) {
        case nil:
            if !leftovers.isEmpty { throw .orphanedLog(self, files: leftovers) }
            if let node { throw .missingDatabase(self, node: node) }
            return .new
        case 0?:
            throw .emptyDatabase(self, node: node, what: "0 bytes")
        default:
            return .existing(identity: node)
        }
    }

    /// Renames every database, log and identity file of the directory aside with the suffix
    /// `.aside-<stamp>` (the log keeps SQLite's naming: `starling.db.aside-<stamp>-wal`, so the
    /// set opens as one database), choosing a stamp no file has yet. Nothing is deleted.
    /// - Returns: each file moved and where it went.
    /// - Throws: `UNAVAILABLE` naming the file that could not be moved (and those that were).
    func moveAside(stamp: String) throws(StoreError) -> [(from: String, to: String)] {
        var suffix = ".aside-" + stamp
        var attempt = 1
        while try anyExists(targets(suffix).map(\.to)) {
            attempt += 1
            suffix = ".aside-\(stamp)-\(attempt)"
        }
        var moved: [(from: String, to: String)] = []
        for move in targets(suffix) where try POSIXFiles.size(of: move.from) != nil {
            do {
                try POSIXFiles.move(move.from, to: move.to)
            } catch {
                let done = moved.map { "\($0.from) to \($0.to)" }.joined(separator: ", ")
                throw .unavailable("\(error.message)\(done.isEmpty ? "" : "; already moved: \(done)")")
            }
            moved.append(move)
        }
        try POSIXFiles.syncDirectory(path)
        return moved
    }

    private func anyExists(_ paths: [String]) throws(StoreError) -> Bool {
        for path in paths where try POSIXFiles.size(of: path) != nil { return true }
        return false
    }

    private func targets(_ suffix: String) -> [(from: String, to: String)] {
        [
            (database, database + suffix), (writeAheadLog, database + suffix + "-wal"),
            (sharedMemory, database + suffix + "-shm"), (identity, identity + suffix),
        ]
    }

    /// `millis` since the Unix epoch as a UTC timestamp for file names: `20260102T130405Z`.
    static func stamp(millis: Int64) -> String {
        var seconds = time_t(millis / 1_000)
        var parts = tm()
        guard gmtime_r(&seconds, &parts) != nil else { return "\(millis)" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)\(two(parts.tm_mon + 1))\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour))\(two(parts.tm_min))\(two(parts.tm_sec))Z"
    }
}
