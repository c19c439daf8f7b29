public import StarlingCore

extension Store {
    /// Sets `key` to `value`.
    /// - Parameters:
    ///   - ttl: seconds until the key expires; 0 (the default) for never.
    /// - Returns: true.
    /// - Throws: `INVALID` for a bad key, value or ttl; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func set(_ key: String, _ value: JSONValue, ttl: Int64 = 0) async throws(StoreError) -> Bool {
        _ = try await put(key, value, PutOptions(ttl: ttl))
        return true
    }

    /// Sets `key` to `value` and returns the new entry.
    ///
    /// Conditional options are refused: a conditional write needs a linearizable store, and
    /// `kv.crdt` is eventually consistent.
    /// - Throws: `INVALID` for a bad key, value or ttl, or any conditional option;
    ///   `UNAVAILABLE` if storage failed.
    public func put(_ key: String, _ value: JSONValue, _ options: PutOptions = PutOptions()) async throws(StoreError)
        -> Entry
    {
        if options.onlyIfAbsent, options.ifVersion != nil {
            throw .invalid("only_if_absent and if_version are mutually exclusive")
        }
        if options.onlyIfAbsent || options.ifVersion != nil {
            throw .invalid(
                "conditional writes need a linearizable store; store \"\(id)\" is kv.crdt (eventually consistent)")
        }
        try checkKey(key)
        let encoded = try encode(value)
        let expiry = try Self.expiry(of: options)
        let storeID = self.storeID
        let register = try await node.localWrite { context throws(StoreError) in
            let stamp = try context.freshStamp()
            let expiresAt: Int64?
            switch expiry {
            case .never: expiresAt = nil
            case .after(let millis): expiresAt = Int64(stamp.hlc.physicalMillis) + millis
            case .at(let instant): expiresAt = instant
            case .kept:
                let current = try context.register(storeID, key)
                if let current, case .live(_, let kept) = current.visibility(at: context.nowMillis()) {
                    expiresAt = kept
                } else {
                    expiresAt = nil
                }
            }
            let register = Register(stamp: stamp, content: .value(encoded), expiresAt: expiresAt)
            try context.mergeFresh(register, store: storeID, key: key)
            return register
        }
        return Entry(key: key, value: value, version: register.latestStamp.version, expiresAt: register.expiresAt)
    }

    /// Sets every key of `entries`, all or nothing, in one local transaction.
    /// - Returns: true.
    /// - Throws: `INVALID` if any key, value or the ttl is bad (nothing is written);
    ///   `UNAVAILABLE` if storage failed.
    @discardableResult
    public func mset(_ entries: [String: JSONValue], ttl: Int64 = 0) async throws(StoreError) -> Bool {
        try checkUsable()
        let ttlMillis = try Self.checkTTL(ttl, allowZero: true)
        var encoded: [(String, EncodedValue)] = []
        encoded.reserveCapacity(entries.count)
        for (key, value) in entries {
            try checkKey(key)
            encoded.append((key, try encode(value)))
        }
        let storeID = self.storeID
        let batch = encoded
        try await node.localWrite { context throws(StoreError) in
            for (key, value) in batch {
                let register = Self.valueRegister(value, stamp: try context.freshStamp(), ttlMillis: ttlMillis)
                try context.mergeFresh(register, store: storeID, key: key)
            }
        }
        return true
    }

    /// Deletes `key` with a tombstone, so older copies arriving later cannot resurrect it.
    /// - Returns: true if a live key was deleted, false if there was none.
    /// - Throws: `INVALID` for a bad key; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func delete(_ key: String) async throws(StoreError) -> Bool {
        try await delete([key]) == 1
    }

    /// Deletes every key of `keys` in one local transaction, each with a tombstone.
    /// - Returns: how many of them were live (a key given twice counts once).
    /// - Throws: `INVALID` if any key is bad (nothing is deleted); `UNAVAILABLE` if storage failed.
    @discardableResult
    public func delete(_ keys: [String]) async throws(StoreError) -> Int {
        for key in keys { try checkKey(key) }
        let storeID = self.storeID
        return try await node.localWrite { context throws(StoreError) in
            var deleted = 0
            for key in keys {
                let current = try context.register(storeID, key)
                if current.map({ Self.isLive($0, at: context.nowMillis()) }) ?? false { deleted += 1 }
                try context.mergeFresh(
                    Register(stamp: try context.freshStamp(), content: .tombstone), store: storeID, key: key)
            }
            return deleted
        }
    }

    /// Sets a new expiry on a live key: a new write of its current value.
    /// - Parameter ttl: seconds from now; must be positive.
    /// - Returns: false if the key is absent.
    /// - Throws: `INVALID` for a bad key or ttl; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func expire(_ key: String, ttl: Int64) async throws(StoreError) -> Bool {
        guard let ttlMillis = try Self.checkTTL(ttl, allowZero: false) else { return false }
        return try await expire(key, ttlMillis: ttlMillis)
    }

    /// Sets a new expiry on a live key, in milliseconds: Redis's `PEXPIRE`.
    /// - Parameter ttlMillis: milliseconds from now; must be positive.
    /// - Returns: false if the key is absent.
    /// - Throws: `INVALID` for a bad key or ttl; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func expire(_ key: String, ttlMillis: Int64) async throws(StoreError) -> Bool {
        guard let millis = try Self.checkTTLMillis(ttlMillis, allowZero: false) else { return false }
        return try await rewrite(key) { stamp, _ in .expiresAt(Int64(stamp.hlc.physicalMillis) + millis) }
    }

    /// Sets the instant a live key expires: Redis's `PEXPIREAT`. An instant already past
    /// expires the key at once (it reads as absent, as after a delete).
    /// - Parameter unixMillis: the instant, in Unix milliseconds; must be positive.
    /// - Returns: false if the key is absent.
    /// - Throws: `INVALID` for a bad key or instant; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func expire(_ key: String, atMillis unixMillis: Int64) async throws(StoreError) -> Bool {
        let instant = try Self.checkInstant(unixMillis)
        return try await rewrite(key) { _, _ in .expiresAt(instant) }
    }

    /// Removes the expiry of a live key: a new write of its current value without one.
    /// - Returns: true if the key had an expiry; false if it is absent or never expired.
    /// - Throws: `INVALID` for a bad key; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func persist(_ key: String) async throws(StoreError) -> Bool {
        try await rewrite(key) { _, expiresAt in expiresAt == nil ? .leave : .expiresAt(nil) }
    }

    /// What ``rewrite(_:expiry:)`` does to a live key.
    private enum Rewrite {
        /// Write its value again, expiring at this instant (nil: never).
        case expiresAt(Int64?)
        /// Leave it as it is.
        case leave
    }

    /// Writes the current value of a live `key` again with the expiry `expiry` gives from the
    /// write's stamp and the key's expiry now.
    /// - Returns: whether the key was rewritten.
    private func rewrite(_ key: String, expiry: @escaping @Sendable (Stamp, Int64?) -> Rewrite)
        async throws(StoreError) -> Bool
    {
        try checkKey(key)
        let storeID = self.storeID
        return try await node.localWrite { context throws(StoreError) in
            guard let current = try context.register(storeID, key),
                case .live(let value, let expiresAt) = current.visibility(at: context.nowMillis())
            else { return false }
            let stamp = try context.freshStamp()
            guard case .expiresAt(let newExpiry) = expiry(stamp, expiresAt) else { return false }
            try context.mergeFresh(
                Register(stamp: stamp, content: .value(value), expiresAt: newExpiry), store: storeID, key: key)
            return true
        }
    }

    /// Adds `amount` to the integer at `key`; a missing key counts from 0, and a string holding a
    /// canonical decimal 64-bit integer (`"10"`) counts from that integer, as in Redis. Concurrent increments
    /// on different peers are never lost: each peer counts in its own slot of the key's counter.
    /// - Returns: the new value.
    /// - Throws: `INVALID` if the value is not an integer or the result overflows 64 bits;
    ///   `UNAVAILABLE` if storage failed.
    @discardableResult
    public func incr(_ key: String, by amount: Int64 = 1) async throws(StoreError) -> Int64 {
        try checkKey(key)
        let storeID = self.storeID
        return try await node.localWrite { context throws(StoreError) in
            let current = try context.register(storeID, key)
            let base = current ?? Register.zeroBase(at: context.clearStamp(storeID) ?? .zero)
            let now = context.nowMillis()
            let stamp = try context.freshStamp()
            guard
                let (register, value) = base.incremented(
                    by: amount, origin: stamp.origin, hlc: stamp.hlc, nowMillis: now)
            else {
                if case .live(let value, _) = base.visibility(at: now), value.counterBase == nil {
                    throw .invalid("the value of \(key) is not an integer")
                }
                throw .invalid("incrementing \(key) by \(amount) overflows a 64-bit integer")
            }
            try context.merge(register, into: current, store: storeID, key: key)
            return value
        }
    }

    /// Subtracts `amount` from the integer at `key`; see ``incr(_:by:)``.
    @discardableResult
    public func decr(_ key: String, by amount: Int64 = 1) async throws(StoreError) -> Int64 {
        guard amount != .min else { throw .invalid("decrementing by \(amount) overflows a 64-bit integer") }
        return try await incr(key, by: -amount)
    }

    /// Removes every key written before now, on every peer: a replicated range tombstone.
    /// Writes made after it (by its timestamp) survive, wherever they were made.
    /// - Returns: true.
    /// - Throws: `INVALID` for a released handle; `UNAVAILABLE` if storage failed.
    @discardableResult
    public func clear() async throws(StoreError) -> Bool {
        try checkUsable()
        let storeID = self.storeID
        try await node.localWrite { context throws(StoreError) in
            try context.clear(store: storeID, at: try context.freshStamp())
        }
        return true
    }

    /// How a write expires, from its ``PutOptions``.
    enum Expiry: Sendable, Hashable {
        case never
        case after(millis: Int64)
        case at(Int64)
        case kept
    }

    /// The expiry `options` ask for.
    /// - Throws: `INVALID` if more than one way of expiring is given, or a bad one.
    static func expiry(of options: PutOptions) throws(StoreError) -> Expiry {
        let given = [options.ttl != 0, options.ttlMillis != 0, options.expiresAt != nil, options.keepTTL]
        guard given.count(where: { $0 }) <= 1 else {
            throw .invalid("give at most one of ttl, ttl_ms, expires_at and keep_ttl")
        }
        if let seconds = try checkTTL(options.ttl, allowZero: true) { return .after(millis: seconds) }
        if let millis = try checkTTLMillis(options.ttlMillis, allowZero: true) { return .after(millis: millis) }
        if let instant = options.expiresAt { return .at(try checkInstant(instant)) }
        return options.keepTTL ? .kept : .never
    }

    static func valueRegister(_ value: EncodedValue, stamp: Stamp, ttlMillis: Int64?) -> Register {
        let expiresAt = ttlMillis.map { Int64(stamp.hlc.physicalMillis) + $0 }
        return Register(stamp: stamp, content: .value(value), expiresAt: expiresAt)
    }

    static func isLive(_ register: Register, at nowMillis: Int64) -> Bool {
        if case .live = register.visibility(at: nowMillis) { return true }
        return false
    }
}
