import Foundation
public import StarlingCore

extension Store {
    /// The value of `key`, or nil when it is missing, deleted or expired.
    /// - Throws: `INVALID` for a bad key or a released handle; `UNAVAILABLE` on storage failure.
    public func get(_ key: String) throws(StoreError) -> JSONValue? {
        try entry(key)?.value
    }

    /// The entry of `key` with its version and expiry, or nil when absent.
    /// - Throws: `INVALID` for a bad key or a released handle; `UNAVAILABLE` on storage failure.
    public func entry(_ key: String) throws(StoreError) -> Entry? {
        try checkKey(key)
        guard let register = try readRegister(key) else { return nil }
        return try entry(key: key, register: register, nowMillis: node.wallClock.nowMillis())
    }

    /// Whether `key` is live.
    /// - Throws: `INVALID` for a bad key or a released handle; `UNAVAILABLE` on storage failure.
    public func has(_ key: String) throws(StoreError) -> Bool {
        try checkKey(key)
        guard let register = try readRegister(key) else { return false }
        if case .live = register.visibility(at: node.wallClock.nowMillis()) { return true }
        return false
    }

    /// Seconds until `key` expires, rounded up: `-1` if it never does, `-2` if it is absent.
    /// - Throws: `INVALID` for a bad key or a released handle; `UNAVAILABLE` on storage failure.
    public func ttl(_ key: String) throws(StoreError) -> Int64 {
        let millis = try ttlMillis(key)
        return Self.seconds(roundingUp: millis)
    }

    /// `millis` in whole seconds, rounded up (without overflowing); -1 and -2 stay as they are.
    package static func seconds(roundingUp millis: Int64) -> Int64 {
        millis < 0 ? millis : millis / 1000 + (millis % 1000 > 0 ? 1 : 0)
    }

    /// Milliseconds until `key` expires: `-1` if it never does, `-2` if it is absent.
    /// - Throws: `INVALID` for a bad key or a released handle; `UNAVAILABLE` on storage failure.
    public func ttlMillis(_ key: String) throws(StoreError) -> Int64 {
        try checkKey(key)
        let now = node.wallClock.nowMillis()
        guard let register = try readRegister(key), case .live(_, let expiresAt) = register.visibility(at: now) else {
            return -2
        }
        guard let expiresAt else { return -1 }
        return expiresAt - now
    }

    /// The values of `keys` in the same order, nil for each absent key, read in one snapshot.
    /// - Throws: `INVALID` if any key is bad; `UNAVAILABLE` on storage failure.
    public func mget(_ keys: [String]) throws(StoreError) -> [JSONValue?] {
        for key in keys { try checkKey(key) }
        let now = node.wallClock.nowMillis()
        // One read transaction for all the keys: one snapshot, and one set of file locks rather
        // than one per key (they were 40% of a point read's samples).
        let registers = try node.readers.read("reading \(keys.count) keys") { db in
            try db.inReadTransaction { () throws(SQLiteError) in
                try keys.map { key throws(SQLiteError) in try db.readRegister(store: storeID, key: key) }
            }
        }
        var values: [JSONValue?] = []
        values.reserveCapacity(keys.count)
        for (key, register) in zip(keys, registers) {
            values.append(
                try register.flatMap { register throws(StoreError) in
                    try entry(key: key, register: register, nowMillis: now)?.value
                })
        }
        return values
    }

    /// One page of live entries in bytewise UTF-8 key order.
    /// - Parameters:
    ///   - prefix: only keys starting with it. Default: all keys.
    ///   - after: the `cursor` of the previous page. Default: from the start.
    ///   - limit: the most entries to return, 1 to `limits.maxListLimit` (1,000). Default 100.
    /// - Throws: `INVALID` for a bad limit or cursor; `UNAVAILABLE` on storage failure.
    public func list(prefix: String = "", after: String? = nil, limit: Int = 100) throws(StoreError) -> ListPage {
        try list(prefix: prefix, after: after, limit: limit, where: { _ in true })
    }

    /// One page of the live entries whose keys `isVisible` accepts, in bytewise UTF-8 key order:
    /// the listing of a caller who may see only some keys (an access policy).
    ///
    /// The page reveals nothing about keys it leaves out: the cursor is the last visible key
    /// returned, and `hasMore` is true only if a further visible key exists.
    /// - Parameters:
    ///   - prefix: only keys starting with it.
    ///   - after: the `cursor` of the previous page; nil from the start.
    ///   - limit: the most entries to return, 1 to `limits.maxListLimit` (1,000).
    ///   - isVisible: whether the caller may see a key.
    /// - Throws: `INVALID` for a bad limit or cursor; `UNAVAILABLE` on storage failure.
    public func list(
        prefix: String, after: String?, limit: Int, where isVisible: (String) -> Bool
    ) throws(StoreError) -> ListPage {
        try checkUsable()
        guard limit >= 1, limit <= node.settings.limits.maxListLimit else {
            throw .invalid("limit must be between 1 and \(node.settings.limits.maxListLimit)")
        }
        let start = try after.map { cursor throws(StoreError) in try Self.decodeCursor(cursor) } ?? []
        let now = node.wallClock.nowMillis()
        var items: [Entry] = []
        var hasMore = false
        try scan(prefix: Array(prefix.utf8), after: start) { key, register throws(StoreError) in
            guard let entry = try entry(key: key, register: register, nowMillis: now), isVisible(entry.key) else {
                return true
            }
            if items.count == limit {
                hasMore = true
                return false
            }
            items.append(entry)
            return true
        }
        return ListPage(
            items: items, cursor: hasMore ? items.last.map { Self.encodeCursor($0.key) } : nil, hasMore: hasMore)
    }

    /// The live keys matching a glob, sorted: `*` any run, `?` one character, `[abc]`, `[a-z]`,
    /// `[!a]` negation, `\` escapes.
    /// - Throws: `INVALID` for a malformed pattern; `UNAVAILABLE` on storage failure.
    public func keys(_ pattern: String = "*") throws(StoreError) -> [String] {
        try checkUsable()
        let glob: GlobPattern
        do {
            glob = try GlobPattern(pattern)
        } catch {
            throw .invalid("bad key pattern \"\(pattern)\": \(error)")
        }
        let now = node.wallClock.nowMillis()
        var keys: [String] = []
        try scan(prefix: Array(glob.literalPrefix.utf8), after: []) { key, register in
            if glob.matches(key), case .live = register.visibility(at: now) { keys.append(key) }
            return true
        }
        return keys
    }

    /// Counts of this store's keys now.
    /// - Throws: `INVALID` for a released handle; `UNAVAILABLE` on storage failure.
    public func stats() throws(StoreError) -> StoreStats {
        try checkUsable()
        let now = node.wallClock.nowMillis()
        var stats = StoreStats()
        try scan(prefix: [], after: []) { _, register in
            switch register.visibility(at: now) {
            case .live(let value, let expiresAt):
                stats.activeKeys += 1
                stats.valueBytes += value.bytes.count
                if expiresAt != nil { stats.keysWithTTL += 1 }
                if !register.increments.isEmpty { stats.counters += 1 }
            case .absent:
                if case .value = register.content { stats.expiredKeys += 1 } else { stats.tombstones += 1 }
            }
            return true
        }
        stats.totalKeys = stats.activeKeys + stats.expiredKeys
        return stats
    }

    /// The changes to this store after `seq`, in sequence order, at most `limit`.
    public func changes(after seq: Int64, limit: Int) throws(StoreError) -> [Change] {
        try checkUsable()
        return try node.changes(after: seq, limit: limit, store: id)
    }

    // MARK: Storage access

    func readRegister(_ key: String) throws(StoreError) -> Register? {
        try node.readers.read("reading \(key)") { db in try db.readRegister(store: storeID, key: key) }
    }

    /// Visits this store's registers in key order, starting after `after` and within `prefix`,
    /// until `visit` returns false. The range tombstone (the empty key) is never visited.
    func scan(prefix: [UInt8], after: [UInt8], _ visit: (String, Register) throws(StoreError) -> Bool)
        throws(StoreError)
    {
        let upper = Self.prefixUpperBound(prefix)
        var visitError: StoreError?
        try node.readers.read("listing store \(id)") { db in
            try db.scanRegisters(store: storeID, from: prefix, after: after, below: upper) { key, register in
                do throws(StoreError) {
                    return try visit(key, register)
                } catch {
                    visitError = error
                    return false
                }
            }
        }
        if let visitError { throw visitError }
    }

    /// The smallest byte string greater than every string starting with `prefix`, or nil if none is.
    static func prefixUpperBound(_ prefix: [UInt8]) -> [UInt8]? {
        var bound = prefix
        while let last = bound.last {
            if last < 0xFF {
                bound[bound.count - 1] = last + 1
                return bound
            }
            bound.removeLast()
        }
        return nil
    }

    static func encodeCursor(_ key: String) -> String {
        Data(key.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func decodeCursor(_ cursor: String) throws(StoreError) -> [UInt8] {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard !cursor.isEmpty, let data = Data(base64Encoded: base64) else {
            throw .invalid("the cursor \"\(cursor)\" is not one that list returned")
        }
        return Array(data)
    }
}
