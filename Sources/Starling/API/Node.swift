import Foundation
public import Logging
public import StarlingCore

/// A Starling peer's local state: one data directory holding a SQLite database with every
/// store this node hosts. Obtain ``Store`` handles from it with ``store(_:)``.
///
/// One process at a time may open a data directory; a second opener fails at once with an
/// error naming the holder, and writes nothing. Call ``close()`` when done.
public final class Node: Sendable {

    /// This peer's identity: the `origin` of its writes. Created on first open and persisted.
    public let id: NodeID
    /// The data directory.
    public let directory: String
    /// The settings the node was opened with.
    public let settings: Settings

    let writer: GroupCommitWriter
    let readers: ReaderPool
    package let wallClock: any WallClock
    let logger: Logger
    /// Local writes refused because the clock ran ahead, counted and logged.
    let clockAhead = ClockAheadMonitor()
    /// Replication's backpressure on local writes (none while nothing replicates).
    package let backpressure: WriteBackpressure
    /// Reads the change feed once per commit for every watcher that keeps up.
    let feedHub: FeedHub
    /// The hosted (declared) stores. Others may have rows too: entries replicated for stores
    /// declared elsewhere are kept, so declaring the store later finds its data.
    private let storeIDs: [String: StoreID]
    private let lock: DirectoryLock
    private let sweeper: ExpirySweeper

    /// The ids of the stores this node hosts, sorted.
    public var storeNamesSorted: [String] { storeIDs.keys.sorted() }

    /// Opens (creating if needed) the node whose data lives in `directory`.
    ///
    /// A new directory gets `starling.db` and `node.id`, the node's identity recorded apart from
    /// the database. A directory that was initialised but lost its database (missing, or emptied),
    /// holds a write-ahead log without its database, or whose database belongs to another node is
    /// refused, never started empty; so is a corrupt database. `settings.storage.reinitialize`
    /// moves such files aside and starts the node empty under a new id.
    /// - Parameters:
    ///   - directory: the data directory; created with its parents if missing.
    ///   - settings: storage, limits and stores; `default` is always hosted.
    ///   - clock: the wall clock; tests pass a manual one. Default: the system clock.
    ///   - logger: where the node logs. Default: a logger labelled `starling`.
    /// - Throws: `UNAVAILABLE` if another process holds the directory, storage cannot be opened,
    ///   the directory is damaged as above or the database is corrupt (the message names the file
    ///   and the ways to recover); `INVALID` for invalid settings; `INTERNAL` for a database from a
    ///   newer version.
    public static func open(
        directory: String,
        settings: Settings = Settings(),
        clock: any WallClock = SystemWallClock(),
        logger: Logger = Logger(label: "starling")
    ) throws(StoreError) -> Node {
        try settings.validate()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .unavailable("cannot create the data directory \(directory): \(error.localizedDescription)")
        }
        let lock = try DirectoryLock(directory: directory)
        let files = DataDirectory(path: directory)
        let opened = try StorageOpener.open(files, settings: settings, clock: clock, logger: logger)
        return Node(
            directory: directory, settings: settings, clock: clock, logger: logger, lock: lock,
            path: files.database, opened: opened)
    }

    private init(
        directory: String, settings: Settings, clock: any WallClock, logger: Logger, lock: DirectoryLock,
        path: String, opened: StorageOpener.Opened
    ) {
        self.id = opened.state.nodeID
        self.backpressure = WriteBackpressure(node: opened.state.nodeID.description)
        self.directory = directory
        self.settings = settings
        self.wallClock = clock
        self.logger = logger
        self.lock = lock
        self.storeIDs = opened.storeIDs
        let checkpointer: WALCheckpointer?
        do {
            checkpointer = try WALCheckpointer(
                path: path, durability: settings.storage.durability, logger: logger)
        } catch {
            logger.warning(
                "cannot open a connection for background WAL checkpoints; the writer checkpoints itself",
                metadata: ["error": "\(error)"])
            checkpointer = nil
        }
        self.writer = GroupCommitWriter(
            connection: opened.writer, state: opened.state, wallClock: clock, maxBatch: settings.storage.maxBatch,
            checkpointer: checkpointer)
        self.readers = ReaderPool(path: path, maxIdle: settings.storage.maxReaders, logger: logger)
        self.feedHub = FeedHub(maxRows: settings.feedWindowRows, maxBytes: settings.feedWindowBytes)
        self.sweeper = ExpirySweeper(intervalMillis: settings.sweepIntervalMillis)
        sweeper.start(writer: writer, logger: logger)
        logger.info("opened node", metadata: ["node": "\(id)", "directory": "\(directory)"])
        let ahead = opened.state.clock.millisAhead(ofWall: UInt64(clamping: clock.nowMillis()))
        if ahead > settings.maxClockOffsetMillis {
            logger.error(
                """
                this node's persisted clock is ahead of its wall clock by more than max_clock_offset: local \
                writes are refused until the wall clock catches up (see the operations guide)
                """,
                metadata: ["ahead_ms": "\(ahead)", "max_clock_offset_ms": "\(settings.maxClockOffsetMillis)"])
        }
    }

    /// A handle on the store `id`.
    /// - Throws: `INVALID` for an empty id; `NOT_FOUND` for a store this node does not host.
    public func store(_ id: String) throws(StoreError) -> Store {
        guard !id.isEmpty else { throw .invalid("the store id is empty") }
        guard let storeID = storeIDs[id] else {
            throw .notFound("no store \"\(id)\" on this node; hosted: \(storeNamesSorted.joined(separator: ", "))")
        }
        return Store(id: id, storeID: storeID, node: self)
    }

    /// Finishes queued writes, stops the expiry sweep, closes the database and releases the
    /// data directory. Calls on its stores fail afterwards.
    public func close() async {
        await sweeper.stop()
        do {
            try await writer.close()
        } catch {
            logger.error("closing the database failed", metadata: ["node": "\(id)", "error": "\(error)"])
        }
        readers.close()
        lock.release()
        logger.info("closed node", metadata: ["node": "\(id)"])
    }

    /// The highest local sequence number committed so far: the head of the change feed.
    package var lastSeq: Int64 { writer.lastCommittedSeq }

    /// The head of the change feed and this node's clock as of the same commit: every stamp the
    /// node issued up to `clock` is in the feed through `seq`.
    package var committedPosition: (seq: Int64, clock: HybridTimestamp) { writer.committedPosition }

    /// The changes applied after `seq`, in sequence order, at most `limit` of them: what
    /// replication sends. Only the latest change of each key is kept, so a key changed twice
    /// after `seq` appears once, at its latest sequence number.
    /// - Parameter store: only this store's changes, or every store's if nil.
    public func changes(after seq: Int64, limit: Int, store: String? = nil) throws(StoreError) -> [Change] {
        let filter = try store.map { name throws(StoreError) in try self.store(name).storeID }
        return try readers.read("reading the change feed") { db in
            try db.changes(after: seq, limit: limit, store: filter)
        }
    }

    /// Turns up to `limit` expired values into tombstones now, instead of waiting for the sweep.
    /// - Returns: how many were swept.
    @discardableResult
    public func sweepExpired(limit: Int = 1_000) async throws(StoreError) -> Int {
        try await ExpirySweeper.sweep(writer: writer, limit: limit)
    }
}

extension Node.Settings {
    /// Refuses a setting out of its range with `INVALID`, naming it; ``Node/open(directory:settings:clock:logger:)``
    /// checks its settings first.
    public func validate() throws(StoreError) {
        for store in stores where store.isEmpty {
            throw .invalid("stores: a store id is empty")
        }
        // Keys and values must also fit the wire format (u16 key length, values up to 16 MiB).
        try SettingCheck.check("limits.maxKeyBytes", limits.maxKeyBytes, in: 1...65_535)
        try SettingCheck.check("limits.maxValueBytes", limits.maxValueBytes, in: 1...WireFormat.maxValueBytes)
        try SettingCheck.check("limits.maxListLimit", limits.maxListLimit, atLeast: 1)
        try SettingCheck.check("storage.maxReaders", storage.maxReaders, atLeast: 1)
        try SettingCheck.check("storage.maxBatch", storage.maxBatch, atLeast: 1)
        if let bytes = storage.maxDatabaseBytes {
            try SettingCheck.check("storage.maxDatabaseBytes", bytes, atLeast: 65_536)
        }
        try SettingCheck.check("maxClockOffset", maxClockOffset, atLeast: .milliseconds(1))
        try SettingCheck.check("sweepInterval", sweepInterval, atLeast: .zero)
    }

    // The times as the node counts them.
    package var maxClockOffsetMillis: UInt64 { UInt64(max(1, maxClockOffset.wholeMilliseconds)) }
    package var sweepIntervalMillis: Int64 { max(0, sweepInterval.wholeMilliseconds) }
}
