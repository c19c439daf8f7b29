internal import CStarlingSQLite

/// A failed SQLite call: the primary and extended result codes and SQLite's message.
struct SQLiteError: Error, CustomStringConvertible {
    var code: Int32
    var extendedCode: Int32
    var message: String
    var statement: String?
    /// The database file the failing connection had open.
    var database: String?

    /// The primary result code (`SQLITE_FULL`, `SQLITE_IOERR`, ...).
    var primaryCode: Int32 { code & 0xFF }

    /// True for failures of the disk or the environment rather than of the request:
    /// full disk, I/O error, lock contention, out of memory, read-only file, can't open.
    var isEnvironmental: Bool {
        [
            SQLITE_FULL, SQLITE_IOERR, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_CANTOPEN,
            SQLITE_PROTOCOL, SQLITE_NOLFS,
        ]
        .contains(primaryCode)
    }

    /// True when the file is damaged: "SQLITE_CORRUPT ... the database file has been corrupted",
    /// "SQLITE_NOTADB ... the file being opened does not appear to be an SQLite database file"
    /// (https://sqlite.org/rescode.html).
    var isCorruption: Bool { primaryCode == SQLITE_CORRUPT || primaryCode == SQLITE_NOTADB }

    /// True when the file is not an SQLite database at all.
    var isNotADatabase: Bool { primaryCode == SQLITE_NOTADB }

    /// A corruption found by a check rather than reported by a call: `SQLITE_CORRUPT` with `message`.
    static func corruption(_ message: String, database: String) -> SQLiteError {
        SQLiteError(
            code: SQLITE_CORRUPT, extendedCode: SQLITE_CORRUPT, message: message, statement: nil, database: database)
    }

    var description: String {
        var text = "SQLite error \(extendedCode): \(message)"
        if let statement { text += " (in: \(statement))" }
        return text
    }
}

extension StoreError {
    /// Maps a storage failure to the error kind the API reports: `UNAVAILABLE` (retryable) for
    /// a full disk or an I/O error; `UNAVAILABLE` naming the file and the ways to recover for a
    /// corrupt database (``corruptDatabase(_:while:)``); `INTERNAL` for anything that means a bug.
    init(_ error: SQLiteError, while action: String) {
        if error.isCorruption {
            self = .corruptDatabase(error, while: action)
        } else if error.isEnvironmental {
            self = .unavailable("storage cannot accept this right now while \(action): \(error.message)")
        } else {
            self = .internal("storage failed while \(action): \(error) — please report this")
        }
    }
}
