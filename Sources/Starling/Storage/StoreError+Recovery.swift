import StarlingCore

/// The refusals of a damaged data directory. Each names the file, what is wrong with it, and the
/// ways out: restore a backup, or re-initialise explicitly. All are `UNAVAILABLE`: the node's
/// storage cannot be used as it is, and nothing was written.
extension StoreError {
    /// The explicit way to start over, as the messages give it.
    static let reinitializeHint =
        "re-initialise explicitly (`starling serve --reinitialize`, STARLING_REINITIALIZE=true, or "
        + "`settings.storage.reinitialize` for an embedded node): the old files are moved aside with a "
        + "timestamp suffix, not deleted, and the node starts empty under a new id that the cluster "
        + "re-replicates to"

    /// A directory refusal: `UNAVAILABLE` with ``Detail/damagedDataDirectory``.
    static func damagedDataDirectory(_ message: String) -> StoreError {
        var error = StoreError.unavailable(message)
        error.detail = .damagedDataDirectory
        return error
    }

    /// The database of an initialised directory is gone.
    static func missingDatabase(_ directory: DataDirectory, node: NodeID) -> StoreError {
        .damagedDataDirectory(
            "the database \(directory.database) is missing, but \(directory.path) was initialised for node \(node) "
                + "(\(directory.identity)); Starling will not start an empty node in its place. "
                + "Restore this node's starling.db from a backup, or \(reinitializeHint)")
    }

    /// The database file exists but holds nothing: zero bytes, or no node.
    static func emptyDatabase(_ directory: DataDirectory, node: NodeID?, what: String) -> StoreError {
        let initialised =
            node.map { "\(directory.path) was initialised for node \($0) (\(directory.identity))" }
            ?? "a new data directory has no starling.db at all, so it was truncated or replaced"
        return .damagedDataDirectory(
            "the database \(directory.database) is empty (\(what)), but \(initialised); Starling will not start "
                + "an empty node in its place. Restore this node's starling.db from a backup, or \(reinitializeHint)")
    }

    /// A write-ahead log or shared-memory file lies in the directory without its database.
    static func orphanedLog(_ directory: DataDirectory, files: [String]) -> StoreError {
        .damagedDataDirectory(
            "the database \(directory.database) is missing, but \(files.joined(separator: " and ")) "
                + "\(files.count == 1 ? "is" : "are") still there (a write-ahead log may hold the latest writes); "
                + "Starling will not create a new database over \(files.count == 1 ? "it" : "them"). "
                + "Put the database back beside its log (from a backup), or \(reinitializeHint)")
    }

    /// The identity file and the database name different nodes.
    static func identityMismatch(_ directory: DataDirectory, file: NodeID, database: NodeID) -> StoreError {
        .damagedDataDirectory(
            "\(directory.identity) says this directory belongs to node \(file), but the database "
                + "\(directory.database) belongs to node \(database): the database (or the identity file) was "
                + "copied from another node's data directory, and two peers with one id corrupt each other's "
                + "data. Put this node's own starling.db back (from a backup); or, if the database was restored "
                + "on purpose and node \(database) runs nowhere else, move \(directory.identity) away so it is "
                + "rewritten from the database; or \(reinitializeHint)")
    }

    /// The identity file cannot be read as one.
    static func unreadableIdentity(_ directory: DataDirectory, _ problem: String) -> StoreError {
        .damagedDataDirectory(
            "the identity file \(directory.identity) \(problem). If \(directory.database) is this node's "
                + "database, move the identity file away and it is rewritten from the database; or \(reinitializeHint)")
    }

    /// SQLite found the file corrupt or not a database, at open or at run time.
    static func corruptDatabase(_ error: SQLiteError, while action: String) -> StoreError {
        let file = error.database ?? "the database"
        let what = error.isNotADatabase ? "\(file) is not an SQLite database" : "the database \(file) is corrupt"
        var failure = StoreError.unavailable(
            "\(what) (SQLite: \(error.message), while \(action)); Starling cannot use it. Restore a backup into a "
                + "new data directory and start the node there, or \(reinitializeHint)")
        failure.detail = .corruptDatabase
        return failure
    }
}
