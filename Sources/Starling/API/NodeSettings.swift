public import StarlingCore

extension Node {
    /// How a node stores and validates data. Every setting has a documented default; create
    /// with `Node.Settings()` and change what you need.
    public struct Settings: Sendable {
        /// The stores this node hosts, in addition to `default`, which always exists.
        /// Default: `["default"]`.
        public var stores: [String] = ["default"]

        /// Storage behaviour.
        public var storage = Storage()

        /// Size limits enforced at the API boundary.
        public var limits = Limits()

        /// How far ahead of local wall time a replicated timestamp may be before its message is
        /// refused (and how far ahead of it this node's own clock may run before it refuses local
        /// writes). Default 60 s; at least 1 ms.
        public var maxClockOffset: Duration = .seconds(60)

        /// How often expired entries are turned into tombstones; zero for never. Default 1 s.
        /// Reads hide expired entries at their expiry instant regardless; the sweep frees their bytes.
        public var sweepInterval: Duration = .seconds(1)

        /// The identity a *new* data directory gets; ignored when the directory already has one.
        /// Default nil: a random identity. Simulations set it so that a seed replays exactly.
        public var initialNodeID: NodeID?

        /// How many of the latest change-feed rows the node keeps in memory for its watchers, which all
        /// take them from there (one storage read per commit serves every watcher); a watcher that falls
        /// further behind reads storage on its own until it catches up. Default 4,096.
        package var feedWindowRows = 4_096
        /// The most bytes of keys and values those rows may hold. Default 8 MiB.
        package var feedWindowBytes = 8 << 20

        /// Creates settings with every default.
        public init() {}

        /// How a node uses SQLite.
        public struct Storage: Sendable {
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

            /// Whether opening an existing database first reads all of it with `PRAGMA quick_check`, so a
            /// corrupt file is refused at start (`UNAVAILABLE`, naming the file and how to recover) rather
            /// than found by some later read or write. Measured: about 80 ms for 100,000 keys (16 MB) and
            /// 0.3 s for 1,000,000 keys (170 MB) with the file in the page cache; turn it off only for a
            /// database so large that the check delays starts too much. Default true.
            public var checkOnOpen = true

            /// Whether to start over in a data directory that cannot be opened as it is: one that was
            /// initialised (it has `node.id`) but whose `starling.db` is missing or empty, a write-ahead
            /// log or shared-memory file without its database, an identity that names another node than
            /// the database, or a corrupt database. Its files are renamed aside with a timestamp suffix
            /// (`starling.db.aside-20260102T130405Z`, never deleted), the move is logged, and the node
            /// starts empty under a new id for the cluster to re-replicate to. A directory that opens as it
            /// is stays as it is; with this set its open runs `PRAGMA quick_check` even without
            /// ``checkOnOpen``, so corruption anywhere in the file is found. Default false: such a directory is refused with `UNAVAILABLE`
            /// naming the file and these options.
            public var reinitialize = false

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
    }
}
