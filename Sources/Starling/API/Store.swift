import Foundation
import StarlingCore
import Synchronization

/// A handle on one store of a ``Node``: every operation of the `kv.crdt` store API.
///
/// Reads see this peer's committed state and run on the caller's thread (SQLite point reads
/// take microseconds). Writes are validated and encoded here, then stamped, merged and
/// committed by the node's group-commit writer; they return once durable.
///
/// Every failure throws ``StoreError`` and changes nothing. After ``release()`` every call
/// fails with `INVALID`.
public final class Store: Sendable {
    /// The store id, such as `default` or `app:cache`.
    public let id: String
    let storeID: StoreID
    let node: Node
    private let released = Atomic<Bool>(false)

    init(id: String, storeID: StoreID, node: Node) {
        self.id = id
        self.storeID = storeID
        self.node = node
    }

    /// What this store promises: `kv.crdt`, eventual consistency, no conditional writes.
    /// - Throws: `INVALID` if the handle was released.
    public func info() throws(StoreError) -> StoreInfo {
        try checkUsable()
        return StoreInfo(id: id)
    }

    /// Makes this handle unusable; the store and other handles on it are unaffected.
    /// - Returns: true.
    /// - Throws: `INVALID` if the handle was already released.
    @discardableResult
    public func release() throws(StoreError) -> Bool {
        try checkUsable()
        released.store(true, ordering: .releasing)
        return true
    }

    // MARK: Validation at the API boundary

    func checkUsable() throws(StoreError) {
        if released.load(ordering: .acquiring) {
            throw .invalid("the handle on store \"\(id)\" was released; open a new one with node.store(\"\(id)\")")
        }
    }

    func checkKey(_ key: String) throws(StoreError) {
        try checkUsable()
        guard !key.isEmpty else { throw .invalid("the key is empty") }
        let bytes = key.utf8.count
        guard bytes <= node.settings.limits.maxKeyBytes else {
            throw .invalid("the key is \(bytes) bytes; the limit is \(node.settings.limits.maxKeyBytes)")
        }
    }

    func encode(_ value: JSONValue) throws(StoreError) -> EncodedValue {
        guard value.isFinite else { throw .invalid("the value contains a non-finite number (NaN or infinity)") }
        // Stored values must decode again, and the decoder allows 128 levels of nesting.
        guard value.nestingDepth <= 128 else {
            throw .invalid("the value nests arrays and objects deeper than 128 levels")
        }
        let encoded = EncodedValue(value)
        guard encoded.bytes.count <= node.settings.limits.maxValueBytes else {
            throw .invalid(
                "the value is \(encoded.bytes.count) bytes encoded; the limit is \(node.settings.limits.maxValueBytes)")
        }
        return encoded
    }

    /// The longest ttl, in milliseconds: 100 years.
    static let maxTTLMillis: Int64 = 100 * 365 * 86_400_000

    /// A ttl in seconds, as milliseconds; nil for 0 (no expiry) where `allowZero`.
    static func checkTTL(_ ttl: Int64, allowZero: Bool) throws(StoreError) -> Int64? {
        try checkTTL(ttl, unitMillis: 1_000, name: "ttl", allowZero: allowZero)
    }

    /// A ttl in milliseconds; nil for 0 (no expiry) where `allowZero`.
    static func checkTTLMillis(_ ttlMillis: Int64, allowZero: Bool) throws(StoreError) -> Int64? {
        try checkTTL(ttlMillis, unitMillis: 1, name: "ttl_ms", allowZero: allowZero)
    }

    private static func checkTTL(_ amount: Int64, unitMillis: Int64, name: String, allowZero: Bool)
        throws(StoreError) -> Int64?
    {
        if amount < 0 || (!allowZero && amount == 0) {
            throw .invalid(allowZero ? "\(name) must not be negative (0 means no expiry)" : "\(name) must be positive")
        }
        guard amount <= maxTTLMillis / unitMillis else { throw .invalid("\(name) must be at most 100 years") }
        return amount == 0 ? nil : amount * unitMillis
    }

    /// An expiry instant in Unix milliseconds: positive, and before the year 10000.
    static func checkInstant(_ unixMillis: Int64) throws(StoreError) -> Int64 {
        guard unixMillis > 0, unixMillis <= 253_402_300_799_999 else {
            throw .invalid("the expiry instant must be a positive Unix time in milliseconds before the year 10000")
        }
        return unixMillis
    }

    /// Decodes a stored value for a caller.
    func decode(_ value: EncodedValue) throws(StoreError) -> JSONValue {
        do {
            return try value.decoded()
        } catch {
            throw .internal("a stored value of store \"\(id)\" is not JSON (\(error)); please report this")
        }
    }

    /// The entry a read sees of `register` at `nowMillis`, or nil if absent.
    func entry(key: String, register: Register, nowMillis: Int64) throws(StoreError) -> Entry? {
        guard case .live(let value, let expiresAt) = register.visibility(at: nowMillis) else { return nil }
        return Entry(key: key, value: try decode(value), version: register.latestStamp.version, expiresAt: expiresAt)
    }
}
