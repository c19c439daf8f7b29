internal import CStarlingSQLite
import Dispatch
import Logging
import Synchronization

/// Moves the write-ahead log into the database on a thread and connection of its own, so that
/// the writer never waits for a checkpoint's `fdatasync`.
///
/// SQLite checkpoints automatically on the committing connection once the WAL passes 1,000 pages
/// ("wal_autocheckpoint"), and with `synchronous = NORMAL` or `FULL` that checkpoint syncs the
/// WAL and the database file: profiling the writer under `redis-benchmark -t set -P 16` found
/// it in `sqlite3WalCheckpoint` → `fdatasync` in about half of its samples. Here the writer's
/// connection reports the WAL's size after each commit (``WALFrames``, from `sqlite3_wal_hook`,
/// which also turns the automatic checkpoint off), and past ``threshold`` frames it asks this
/// checkpointer for a `PASSIVE` checkpoint: "Checkpoint as many frames as possible without
/// waiting for any database readers or writers to finish"
/// (https://sqlite.org/c3ref/wal_checkpoint_v2.html). The checkpointer's connection has the
/// writer's `synchronous` setting, so a checkpoint is as durable as it was on the writer.
///
/// A passive checkpoint never empties a log that is written meanwhile, and SQLite starts the log
/// over only once every frame was copied back, so under a steady stream of writes the log would
/// grow without end (a 200 MB WAL was seen under `redis-benchmark`). So past ``backstop`` frames
/// the writer checkpoints itself, as SQLite would have: most frames are copied back by then, the
/// log starts over at the next write, and the writer pays one `fdatasync` per ``backstop``
/// frames instead of one per ``threshold``.
final class WALCheckpointer: Sendable {
    /// Frames in the WAL past which a checkpoint is requested: SQLite's own default.
    static let threshold = 1_000
    /// Frames past which the writer checkpoints itself (about 32 MB of 4 KiB pages).
    static let backstop = 8_000

    // Touched only on `queue`.
    nonisolated(unsafe) private var connection: SQLiteConnection?
    private let queue = DispatchQueue(label: "starling.checkpointer")
    private let scheduled = Atomic<Bool>(false)
    private let logger: Logger

    /// Opens the checkpointer's connection to the database at `path`, syncing as the writer does
    /// for `durability`.
    init(path: String, durability: Node.Settings.Storage.Durability, logger: Logger) throws(SQLiteError) {
        let connection = try SQLiteConnection(path: path, readOnly: false)
        try connection.execute(
            "PRAGMA synchronous = \(StorageOpener.synchronous(durability)); PRAGMA busy_timeout = 5000")
        self.connection = connection
        self.logger = logger
    }

    /// Asks for a checkpoint; one already asked for and not yet run covers this one.
    func request() {
        guard !scheduled.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async {
            self.scheduled.store(false, ordering: .releasing)
            do {
                try self.connection?.execute("PRAGMA wal_checkpoint(PASSIVE)")
            } catch {
                self.logger.warning(
                    "a background WAL checkpoint failed; the writer will checkpoint", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Waits for a checkpoint under way and closes the connection.
    func close() {
        queue.sync {
            try? connection?.close()
            connection = nil
        }
    }
}

/// How many frames the WAL of a connection held after its last commit, as `sqlite3_wal_hook`
/// reports them.
final class WALFrames: Sendable {
    let count = Atomic<Int>(0)

    /// Installs the hook on `connection`: from now on it records the WAL's size after each commit,
    /// and SQLite no longer checkpoints automatically on that connection.
    func observe(_ connection: SQLiteConnection) {
        connection.setWALHook(Unmanaged.passUnretained(self).toOpaque()) { context, _, _, frames in
            guard let context else { return SQLITE_OK }
            Unmanaged<WALFrames>.fromOpaque(context).takeUnretainedValue().count.store(
                Int(frames), ordering: .relaxed)
            return SQLITE_OK
        }
    }
}
