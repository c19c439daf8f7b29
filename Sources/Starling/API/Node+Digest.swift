package import StarlingCore

extension Node {
    /// The bucket of a key for digest repair: a stable hash of store and key.
    static func digestBucket(store: String, key: [UInt8], buckets: Int) -> Int {
        var hash = StableHash()
        hash.combine(Array(store.utf8))
        hash.combine(key)
        return Int(hash.value64 % UInt64(buckets))
    }

    /// Hashes of this node's replicated state in `buckets` buckets: equal on two peers (with
    /// overwhelming probability) exactly when they hold the same registers in that bucket.
    /// Expired values count as their swept tombstones, so sweeping never causes a repair.
    ///
    /// Tombstones stamped before `omitDeadBefore` are left out: peers purge them at different
    /// times, and a peer that lacks one but holds an older value still shows a difference.
    package func bucketDigest(buckets: Int, nowMillis: Int64, omitDeadBefore: HybridTimestamp = .zero)
        throws(StoreError) -> [UInt64]
    {
        var hashes = [UInt64](repeating: 0, count: max(1, buckets))
        try scanAll { store, key, register in
            if !Self.isLiveState(register), register.stamp.hlc < omitDeadBefore { return }
            let bucket = Self.digestBucket(store: store, key: key, buckets: hashes.count)
            let canonical = register.sweptIfExpired(at: nowMillis) ?? register
            hashes[bucket] ^= Self.entryHash(store: store, key: key, register: canonical)
        }
        return hashes
    }

    /// This node's entries (every store, range tombstones included) in the given buckets.
    package func entries(inBuckets wanted: Set<Int>, of buckets: Int) throws(StoreError) -> [DeltaEntry] {
        var entries: [DeltaEntry] = []
        try scanAll { store, key, register in
            if wanted.contains(Self.digestBucket(store: store, key: key, buckets: max(1, buckets))) {
                entries.append(DeltaEntry(store: store, key: String(decoding: key, as: UTF8.self), register: register))
            }
        }
        return entries
    }

    private func scanAll(_ visit: (String, [UInt8], Register) -> Void) throws(StoreError) {
        try readers.read("scanning for a digest") { db in try db.everyRegister(ordered: false, visit) }
    }

    private static func entryHash(store: String, key: [UInt8], register: Register) -> UInt64 {
        var hash = StableHash()
        hash.combine(Array(store.utf8))
        hash.combine(key)
        hash.combine(register)
        return hash.value64
    }
}
