/// Every failure of a store operation: a ``kind`` from the store spec, a message a person can
/// act on, and whether retrying can help. A failed call changes nothing.
public struct StoreError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The spec's error kinds. New kinds may be added, so switch with a `default`.
    public struct Kind: Sendable, Hashable, CustomStringConvertible {
        private enum Code: String, Sendable, Hashable {
            case invalid = "INVALID"
            case notFound = "NOT_FOUND"
            case alreadyExists = "ALREADY_EXISTS"
            case conflict = "CONFLICT"
            case permissionDenied = "PERMISSION_DENIED"
            case unauthenticated = "UNAUTHENTICATED"
            case unavailable = "UNAVAILABLE"
            case `internal` = "INTERNAL"
        }

        private let code: Code

        /// A bad argument: empty or oversized key, oversized or malformed value, bad ttl,
        /// a conditional write on this backend, a released handle.
        public static let invalid = Kind(code: .invalid)
        /// An unknown store id, or an absent key where the caller required one.
        public static let notFound = Kind(code: .notFound)
        /// Reserved by the spec for `only_if_absent`; never produced by `kv.crdt`.
        public static let alreadyExists = Kind(code: .alreadyExists)
        /// Reserved by the spec for `if_version`; never produced by `kv.crdt`.
        public static let conflict = Kind(code: .conflict)
        /// The caller's token does not allow the action.
        public static let permissionDenied = Kind(code: .permissionDenied)
        /// A policy is configured and the request has no valid token.
        public static let unauthenticated = Kind(code: .unauthenticated)
        /// Storage cannot accept writes right now (disk full, I/O error); nothing was written.
        public static let unavailable = Kind(code: .unavailable)
        /// A bug; the message says what to report.
        public static let `internal` = Kind(code: .internal)

        /// The spec's name of the kind, such as `INVALID`.
        public var name: String { code.rawValue }

        /// Whether a retry of the same call can succeed (`CONFLICT`, `UNAVAILABLE`).
        public var isRetryable: Bool { code == .conflict || code == .unavailable }

        /// The kind with the spec's `name`, or nil for an unknown name.
        public init?(name: String) {
            guard let code = Code(rawValue: name) else { return nil }
            self.code = code
        }

        private init(code: Code) {
            self.code = code
        }

        public var description: String { name }
    }

    /// What went wrong, as the spec names it.
    public var kind: Kind
    /// What happened and what to do about it.
    public var message: String
    /// Whether retrying the same call can help.
    public var isRetryable: Bool { kind.isRetryable }

    /// Why, more precisely than the kind, for callers inside the package that act on it.
    package enum Detail: Sendable, Hashable {
        /// A replicated stamp was beyond `maxClockOffsetMillis`.
        case clockOffset
        /// This node's own clock is further than `maxClockOffsetMillis` ahead of its wall clock
        /// (by `millis`), so it refuses local writes.
        case clockAhead(millis: Int64)
        /// The data directory was initialised but its files are missing, empty, orphaned or
        /// belong to another node: the node refuses to start rather than start empty.
        case damagedDataDirectory
        /// SQLite reported the database file corrupt or not a database.
        case corruptDatabase
    }

    /// The precise cause, when the package needs to tell one `INVALID` from another.
    package var detail: Detail?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind.name): \(message)" }

    /// An `INVALID` error.
    public static func invalid(_ message: String) -> StoreError { StoreError(.invalid, message) }
    /// A `NOT_FOUND` error.
    public static func notFound(_ message: String) -> StoreError { StoreError(.notFound, message) }
    /// An `UNAVAILABLE` error.
    public static func unavailable(_ message: String) -> StoreError { StoreError(.unavailable, message) }
    /// An `INTERNAL` error.
    public static func `internal`(_ message: String) -> StoreError { StoreError(.internal, message) }
}
