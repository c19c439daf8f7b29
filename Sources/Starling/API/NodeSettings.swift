public import StarlingCore

/// How a node stores and validates data. Every setting has a documented default; create
/// with `Node.Settings()` and change what you need.
public struct NodeSettings: Sendable {
    /// The stores this node hosts, in addition to `default`, which always exists.
    /// Default: `["default"]`.
    public var stores: [String] = ["default"]

    /// Storage behaviour.
    public var storage = StorageSettings()

    /// Size limits enforced at the API boundary.
    public var limits = Limits()

    /// How far ahead of local wall time a replicated timestamp may be before its message is
    /// refused, in milliseconds. Default 60,000 (60 s).
    public var maxClockOffsetMillis: UInt64 = 60_000

    /// How often expired entries are turned into tombstones, in milliseconds. Default 1,000.
    /// Reads hide expired entries at their expiry instant regardless; the sweep frees their bytes.
    public var sweepIntervalMillis: Int64 = 1_000

    /// The identity a *new* data directory gets; ignored when the directory already has one.
    /// Default nil: a random identity. Simulations set it so that a seed replays exactly.
    public var initialNodeID: NodeID?

    /// Creates settings with every default.
    public init() {}
}

/// How a node uses SQLite.
public struct StorageSettings: Sendable {
    /// What an acknowledged write survives.
    public enum Durability: String, Sendable, CaseIterable {
        /// A crash of the process (`synchronous=NORMAL` in WAL mode). The default.
        case process
        /// A power loss or OS crash (`synchronous=FULL`): every commit waits for `fsync`.
        case power
    }

    /// What an acknowledged write survives. Default `.process`.
    public var durability: Durability = .process

    /// The most reader connections kept open for concurrent reads. Default 8.
    public var maxReaders = 8

    /// The most writes grouped into one transaction. Default 4,096.
    public var maxBatch = 4_096

    /// An upper bound on the database size in bytes, or nil for none (the disk is the limit).
    /// Writes beyond it fail with `UNAVAILABLE` and change nothing. Default nil.
    public var maxDatabaseBytes: Int64?

    /// Creates settings with every default.
    public init() {}
}

/// Size limits enforced at the API boundary.
public struct Limits: Sendable {
    /// The longest key in UTF-8 bytes. Default 1,024.
    public var maxKeyBytes = 1_024
    /// The largest value in canonical JSON bytes. Default 262,144 (256 KiB).
    public var maxValueBytes = 262_144
    /// The most items one `list` call returns. Default 1,000.
    public var maxListLimit = 1_000

    /// Creates limits with every default.
    public init() {}
}
